import Foundation
import OSSCore

/// Writes `.safetensors` files through a shared mapping of the output, so multi-GB models are produced without
/// holding them in memory, and `model.safetensors.index.json` files for sharded models.
public struct SafetensorsWriter {
    /// One tensor to write. `fill` receives the tensor's slice of the output (exactly `shape` product × `dtype.size`
    /// bytes, zeroed, aligned only to the element size) and must write every byte of it; the slice is only valid
    /// during the call. The writer cannot detect a `fill` that leaves bytes unwritten (they stay zero).
    public struct Entry {
        public let name: String
        public let dtype: SafetensorsDType
        public let shape: [Int]
        public let fill: (UnsafeMutableRawBufferPointer) throws -> Void
        /// Set by the convenience initialisers when the given data cannot fill the shape; reported by `write`.
        let problem: String?

        public init(
            name: String, dtype: SafetensorsDType, shape: [Int],
            fill: @escaping (UnsafeMutableRawBufferPointer) throws -> Void
        ) {
            self.init(name: name, dtype: dtype, shape: shape, problem: nil, fill: fill)
        }

        private init(
            name: String, dtype: SafetensorsDType, shape: [Int], problem: String?,
            fill: @escaping (UnsafeMutableRawBufferPointer) throws -> Void
        ) {
            self.name = name
            self.dtype = dtype
            self.shape = shape
            self.problem = problem
            self.fill = fill
        }

        /// A tensor given as its little-endian bytes (count must equal shape product × dtype size; checked by `write`).
        public init(name: String, dtype: SafetensorsDType, shape: [Int], bytes: [UInt8]) {
            let expected = SafetensorsHeader.byteCount(shape: shape, dtype: dtype)
            self.init(
                name: name, dtype: dtype, shape: shape,
                problem: expected == bytes.count ? nil : "\(bytes.count) bytes given for shape \(shape) of \(dtype)"
            ) {
                if $0.count == bytes.count { $0.copyBytes(from: bytes) }
            }
        }

        /// A float tensor from Float32 values (row-major, shape product of them), stored as `dtype` (F32, F16 or BF16;
        /// rounded to nearest even). A count mismatch or another dtype is reported by `write`.
        public init(name: String, values: [Float], shape: [Int], dtype: SafetensorsDType = .f32) {
            let count = shape.allSatisfy { $0 >= 0 } ? SafetensorsHeader.byteCount(shape: shape, dtype: .u8) : nil
            let problem: String?
            if dtype.floatDType == nil {
                problem = "Float values cannot be stored as \(dtype) (F32, F16 or BF16)"
            } else if count != values.count {
                problem = "\(values.count) values given for shape \(shape)"
            } else {
                problem = nil
            }
            self.init(name: name, dtype: dtype, shape: shape, problem: problem) { out in
                if let core = dtype.floatDType, let base = out.baseAddress, out.count == values.count * dtype.size {
                    FloatConversion.encode(values, as: core, into: base)
                }
            }
        }
    }

    /// Writes `entries` and `metadata` to `url` (replaced atomically: written under a temporary name, then renamed).
    ///
    /// Layout, as the reference implementation: tensors ordered by element size (largest first), then by name, so
    /// each starts at a multiple of its element size; `data_offsets` contiguous; header padded with spaces to a
    /// multiple of 8 bytes. Names must be unique and not `__metadata__`; dimensions non-negative. An error thrown
    /// by a `fill` is passed on unchanged (and nothing is left at `url`).
    public static func write(_ entries: [Entry], metadata: [String: String] = [:], to url: URL) throws {
        var seen = Set<String>()
        var sizes: [Int] = []
        for e in entries {
            guard e.name != SafetensorsHeader.metadataKey else {
                throw SafetensorsError.invalidEntry(
                    file: url, tensor: e.name, reason: "the name is reserved for metadata")
            }
            guard seen.insert(e.name).inserted else {
                throw SafetensorsError.duplicateTensor(file: url, tensor: e.name)
            }
            guard e.shape.allSatisfy({ $0 >= 0 }) else {
                throw SafetensorsError.negativeDimension(file: url, tensor: e.name, shape: e.shape)
            }
            guard let n = SafetensorsHeader.byteCount(shape: e.shape, dtype: e.dtype) else {
                throw SafetensorsError.sizeOverflow(file: url, tensor: e.name, shape: e.shape)
            }
            if let problem = e.problem {
                throw SafetensorsError.invalidEntry(file: url, tensor: e.name, reason: problem)
            }
            sizes.append(n)
        }
        let order = entries.indices.sorted {
            (entries[$0].dtype.size, entries[$1].name) > (entries[$1].dtype.size, entries[$0].name)
        }
        var offsets = [Int](repeating: 0, count: entries.count)
        var dataSize = 0
        for i in order {
            offsets[i] = dataSize
            let (next, overflow) = dataSize.addingReportingOverflow(sizes[i])
            guard !overflow else {
                throw SafetensorsError.sizeOverflow(file: url, tensor: entries[i].name, shape: entries[i].shape)
            }
            dataSize = next
        }

        var header = "{"
        if !metadata.isEmpty {
            header += JSONValue.quoted(SafetensorsHeader.metadataKey) + ":{"
            header += metadata.keys.sorted().map { JSONValue.quoted($0) + ":" + JSONValue.quoted(metadata[$0] ?? "") }
                .joined(separator: ",")
            header += "}" + (entries.isEmpty ? "" : ",")
        }
        header += order.map { i in
            let e = entries[i]
            return JSONValue.quoted(e.name) + ":{\"dtype\":\"\(e.dtype.rawValue)\",\"shape\":["
                + e.shape.map(String.init).joined(separator: ",")
                + "],\"data_offsets\":[\(offsets[i]),\(offsets[i] + sizes[i])]}"
        }.joined(separator: ",")
        header += "}"
        var headerBytes = Array(header.utf8)
        headerBytes += [UInt8](repeating: 0x20, count: (8 - headerBytes.count % 8) % 8)
        guard headerBytes.count <= SafetensorsHeader.maxHeaderLength else {
            throw SafetensorsError.headerTooLarge(
                file: url, headerLength: UInt64(headerBytes.count),
                limit: SafetensorsHeader.maxHeaderLength)
        }
        let dataStart = 8 + headerBytes.count
        let (total, overflow) = dataStart.addingReportingOverflow(dataSize)
        guard !overflow else {
            throw SafetensorsError.writeFailed(file: url, operation: "layout", reason: "file size overflows")
        }

        let output: WritableMappedFile
        do {
            output = try WritableMappedFile(url: url, size: total)
        } catch {
            throw SafetensorsError.writeFailed(file: url, operation: error.operation, reason: error.reason)
        }
        output.base.storeBytes(of: UInt64(headerBytes.count).littleEndian, as: UInt64.self)
        UnsafeMutableRawBufferPointer(start: output.base + 8, count: headerBytes.count).copyBytes(from: headerBytes)
        do {
            for i in order {
                try entries[i].fill(
                    UnsafeMutableRawBufferPointer(
                        start: output.base + dataStart + offsets[i],
                        count: sizes[i]))
            }
        } catch {
            output.discard()
            throw error
        }
        do {
            try output.commit()
        } catch {
            throw SafetensorsError.writeFailed(file: url, operation: error.operation, reason: error.reason)
        }
    }

    /// Writes a `model.safetensors.index.json`: `{"metadata": {…}, "weight_map": {tensor: shard file name}}`
    /// (keys sorted, two-space indentation, as Hugging Face writes it). Shard names must be relative paths
    /// without `..` (as the reader requires).
    public static func writeIndex(weightMap: [String: String], metadata: [String: String], to url: URL) throws {
        for (tensor, shard) in weightMap where !SafetensorsIndex.isSafeRelativePath(shard) {
            throw SafetensorsError.invalidEntry(
                file: url, tensor: tensor,
                reason: "shard \"\(shard)\" is not a relative file name inside the directory")
        }
        func object(_ d: [String: String]) -> String {
            guard !d.isEmpty else { return "{}" }
            return "{\n"
                + d.keys.sorted().map { "    " + JSONValue.quoted($0) + ": " + JSONValue.quoted(d[$0] ?? "") }
                .joined(separator: ",\n") + "\n  }"
        }
        let text = "{\n  \"metadata\": \(object(metadata)),\n  \"weight_map\": \(object(weightMap))\n}\n"
        do {
            try Data(text.utf8).write(to: url, options: .atomic)
        } catch {
            throw SafetensorsError.writeFailed(file: url, operation: "write", reason: "\(error)")
        }
    }
}
