import Foundation
import OSSCore

/// Writes GGUF v3 files through a shared mapping of the output (multi-GB files never sit in memory), in the layout
/// ggml reads: metadata in the given order, tensor infos in the given order, data aligned to `general.alignment`
/// (taken from `metadata` when present — a u32 power of two — else 32), each tensor padded to it with zeros.
public struct GGUFWriter {
    /// One tensor to write. `fill` receives exactly the tensor's bytes (`ne` product / block size × type size),
    /// zeroed and aligned to the file alignment, and must write all of them; the slice is valid only during the call.
    public struct Entry {
        public let name: String
        public let type: GGMLType
        /// ggml dimensions, fastest first (`[in, out]` for a matrix of `out` rows).
        public let ne: [Int]
        public let fill: (UnsafeMutableRawBufferPointer) throws -> Void
        /// Set by the convenience initialisers when the given data cannot fill the tensor; reported by `write`.
        let problem: String?

        public init(
            name: String, type: GGMLType, ne: [Int], fill: @escaping (UnsafeMutableRawBufferPointer) throws -> Void
        ) {
            self.init(name: name, type: type, ne: ne, problem: nil, fill: fill)
        }

        private init(
            name: String, type: GGMLType, ne: [Int], problem: String?,
            fill: @escaping (UnsafeMutableRawBufferPointer) throws -> Void
        ) {
            self.name = name
            self.type = type
            self.ne = ne
            self.problem = problem
            self.fill = fill
        }

        /// A weight in its own dtype (`ne` = its shape reversed). F32/F16/BF16/Q8_0 bytes are copied as they are;
        /// MXFP4 is repacked from the Hugging Face layout into GGUF 17-byte blocks (lossless).
        public init(name: String, weight: WeightTensor) {
            let w = weight
            self.init(name: name, type: GGMLType(w.dtype), ne: w.shape.dims.reversed()) { out in
                guard let base = out.baseAddress else { return }
                let rows = w.shape.rows
                if w.dtype != .mxfp4 {
                    base.copyMemory(from: w.data, byteCount: rows * w.rowBytes)
                    return
                }
                guard let scales = w.scales else { return }
                for b in 0..<(rows * (w.inFeatures / 32)) {
                    let block = base + MXFP4Layout.ggufBlockBytes * b
                    block.storeBytes(of: scales[b], as: UInt8.self)
                    MXFP4Layout.ggufBytes(fromHF: w.data + 16 * b, into: block + 1)
                }
            }
        }

        /// A float tensor from Float32 values (`ne` product of them, fastest dimension first), stored as F32, F16
        /// or BF16 (round to nearest even). Another type or a count mismatch is reported by `write`.
        public init(name: String, values: [Float], ne: [Int], type: GGMLType = .f32) {
            let problem: String?
            if type.dtype == nil || type.blockSize != 1 {
                problem = "Float values cannot be stored as \(type) (F32, F16 or BF16)"
            } else if ne.contains(where: { $0 < 0 }) || ShapeMath.elementCount(ne) != values.count {
                problem = "\(values.count) values given for ne \(ne)"
            } else {
                problem = nil
            }
            self.init(name: name, type: type, ne: ne, problem: problem) { out in
                if let dtype = type.dtype, let base = out.baseAddress, out.count == values.count * dtype.bytesPerBlock {
                    FloatConversion.encode(values, as: dtype, into: base)
                }
            }
        }
    }

    /// Writes `metadata` (keys unique and non-empty, arrays homogeneous) and `tensors` (names unique, `ne` of 1…4
    /// non-negative dimensions, `ne[0]` a multiple of the type's block size) to `url`, replacing it atomically.
    /// An error thrown by a `fill` is passed on unchanged and nothing is left at `url`.
    public static func write(metadata: [(key: String, value: GGUFValue)], tensors: [Entry], to url: URL) throws {
        var header = GGUFByteWriter()
        header.u32(0x4655_4747)
        header.u32(3)
        header.u64(UInt64(tensors.count))
        header.u64(UInt64(metadata.count))

        var keys = Set<String>()
        var alignment = GGUFFile.defaultAlignment
        for (key, value) in metadata {
            guard !key.isEmpty, keys.insert(key).inserted else {
                throw GGUFError.invalidWriterInput(
                    file: url, name: key, reason: key.isEmpty ? "empty key" : "duplicate key")
            }
            if key == "general.alignment" {
                guard case .uint32(let a) = value, a > 0, a & (a - 1) == 0, Int(a) <= GGUFFile.maxAlignment else {
                    throw GGUFError.invalidWriterInput(
                        file: url, name: key, reason: "must be a u32 power of two ≤ 1 MiB, got \(value)")
                }
                alignment = Int(a)
            }
            header.string(key)
            header.u32(value.type.rawValue)
            try header.value(value, depth: 0) { reason in
                GGUFError.invalidWriterInput(file: url, name: key, reason: reason)
            }
        }

        var names = Set<String>()
        var offsets: [Int] = []
        var sizes: [Int] = []
        var dataSize = 0
        for t in tensors {
            func invalid(_ reason: String) -> GGUFError { .invalidWriterInput(file: url, name: t.name, reason: reason) }
            guard names.insert(t.name).inserted else { throw invalid("duplicate tensor name") }
            if let problem = t.problem { throw invalid(problem) }
            guard t.name.utf8.count < 64 else {
                throw invalid("tensor names must be shorter than 64 bytes (ggml's limit)")
            }
            guard (1...4).contains(t.ne.count), t.ne.allSatisfy({ $0 >= 0 }) else {
                throw invalid("ne \(t.ne) must have 1…4 non-negative dimensions")
            }
            guard t.ne[0] % t.type.blockSize == 0 else {
                throw invalid("ne[0] = \(t.ne[0]) is not a multiple of the \(t.type) block size \(t.type.blockSize)")
            }
            guard let bytes = GGUFFile.byteCount(ne: t.ne, type: t.type),
                let next = GGUFFile.padded(dataSize + bytes, to: alignment)
            else { throw invalid("size overflows") }
            header.string(t.name)
            header.u32(UInt32(t.ne.count))
            for d in t.ne { header.u64(UInt64(d)) }
            header.u32(t.type.rawValue)
            header.u64(UInt64(dataSize))
            offsets.append(dataSize)
            sizes.append(bytes)
            dataSize = next
        }
        guard let dataStart = GGUFFile.padded(header.bytes.count, to: alignment) else {
            throw GGUFError.invalidWriterInput(file: url, name: "header", reason: "size overflows")
        }

        let output: WritableMappedFile
        do {
            output = try WritableMappedFile(url: url, size: dataStart + dataSize)
        } catch {
            throw GGUFError.writeFailed(file: url, operation: error.operation, reason: error.reason)
        }
        output.bytes.copyBytes(from: header.bytes)
        do {
            for (i, t) in tensors.enumerated() {
                try t.fill(UnsafeMutableRawBufferPointer(start: output.base + dataStart + offsets[i], count: sizes[i]))
            }
        } catch {
            output.discard()
            throw error
        }
        do {
            try output.commit()
        } catch {
            throw GGUFError.writeFailed(file: url, operation: error.operation, reason: error.reason)
        }
    }
}
