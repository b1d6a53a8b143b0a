import Dispatch
import Foundation
import OSSCore
import OSSFormats

/// Errors of `GGUFQuantizer`; each names the file and tensor.
public enum QuantizeError: Error, Equatable, CustomStringConvertible {
    /// A tensor that cannot be quantized as asked (non-finite values, an unreadable shape).
    case tensor(file: String, tensor: String, reason: String)
    /// A tensor already in a quantized type would be quantized again (lossy) without `allowRequantize`.
    case requantize(file: String, tensor: String, from: String, to: String)

    public var description: String {
        switch self {
        case let .tensor(f, t, r): return "\(f): tensor \(t): \(r)"
        case let .requantize(f, t, from, to):
            return "\(f): tensor \(t) is already \(from); quantizing it to \(to) loses accuracy twice (--allow-requantize)"
        }
    }
}

/// `oss quantize`: rewrites a GGUF model with its matrices in a block type (or a llama.cpp mix), everything else
/// unchanged: metadata (with `general.file_type` and `general.quantization_version` set, split keys dropped: the output
/// is one file), tensor order, 1-D tensors, norms and routers as stored. Each tensor is decoded to Float32 and encoded
/// row by row with the scale-search quantizers of OSSCore, in parallel over rows, straight into the output mapping.
public enum GGUFQuantizer {
    /// One tensor of the result.
    public struct TensorReport: Sendable, Equatable {
        public let name: String
        public let from: GGMLType
        public let to: GGMLType
        public let bytes: Int
    }

    /// What was written.
    public struct Report: Sendable {
        public let tensors: [TensorReport]
        public let inputBytes: Int
        public let outputBytes: Int
    }

    /// Quantizes the GGUF model `archive` (any architecture ModelLoader reads; a split model as one) to `output`.
    /// - Parameters:
    ///   - threads: workers encoding rows (≥ 1).
    ///   - allowRequantize: lets a tensor already in a quantized type (Q8_0, MXFP4, Q4_K …) be decoded and quantized
    ///     to another one; without it that is an error, as in llama.cpp.
    /// - Throws: `QuantizeError`, `GGUFError` (reading, writing: nothing is left at `output` then).
    public static func quantize(_ archive: GGUFArchive, to output: URL, type: QuantizationType, threads: Int,
                                allowRequantize: Bool = false) throws -> Report {
        let file = archive.url.path
        let infos = archive.tensors
        let architecture = try archive.string("general.architecture")
        let layers = try archive.optionalInt(architecture + ".block_count") ?? 0
        let plan = type.plan(tensors: infos.map { ($0.name, $0.ne) }, layers: layers)
        var entries: [GGUFWriter.Entry] = []
        var reports: [TensorReport] = []
        for (info, target) in zip(infos, plan) {
            let to = target ?? info.type
            if to == info.type {
                let bytes = try archive.rawBytes(info.name)
                entries.append(GGUFWriter.Entry(name: info.name, type: info.type, ne: info.ne) { out in
                    if let base = out.baseAddress, let src = bytes.baseAddress { base.copyMemory(from: src, byteCount: out.count) }
                })
            } else {
                guard allowRequantize || info.type.blockSize == 1 else {
                    throw QuantizeError.requantize(file: file, tensor: info.name, from: "\(info.type)", to: "\(to)")
                }
                guard let dtype = to.dtype else {
                    throw QuantizeError.tensor(file: file, tensor: info.name, reason: "\(to) is not a type SwiftOSS writes")
                }
                let weight = try archive.weight(info.name)
                entries.append(GGUFWriter.Entry(name: info.name, type: to, ne: info.ne) { out in
                    try encode(weight, as: dtype, into: out, threads: threads, file: file, tensor: info.name)
                })
            }
            reports.append(TensorReport(name: info.name, from: info.type, to: to,
                                        bytes: GGUFFile.byteCount(ne: info.ne, type: to) ?? 0))
        }
        try GGUFWriter.write(metadata: metadata(archive, type: type), tensors: entries, to: output)
        return Report(tensors: reports, inputBytes: infos.reduce(0) { $0 + $1.byteCount },
                      outputBytes: reports.reduce(0) { $0 + $1.bytes })
    }

    /// The input's metadata in its order, without the split keys, with the file type and quantization version set.
    static func metadata(_ archive: GGUFArchive, type: QuantizationType) -> [(key: String, value: GGUFValue)] {
        let first = archive.files[0]
        var out: [(key: String, value: GGUFValue)] = first.metadataKeys.compactMap { key in
            guard !key.hasPrefix("split."), key != "general.file_type", key != "general.quantization_version",
                  let value = first.metadata[key] else { return nil }
            return (key, value)
        }
        out.append(("general.file_type", .uint32(type.fileType)))
        out.append(("general.quantization_version", .uint32(2)))
        return out
    }

    /// Encodes every row of `weight` as `dtype` into `out` (rows of `dtype.rowBytes(in)`), `threads` workers taking
    /// chunks of rows in turn; each worker decodes into its own row buffer.
    static func encode(_ weight: WeightTensor, as dtype: DType, into out: UnsafeMutableRawBufferPointer, threads: Int,
                       file: String, tensor: String) throws {
        guard let base = out.baseAddress else { return }
        let n = weight.inFeatures, rows = weight.shape.rows, rowBytes = dtype.rowBytes(n)
        guard rows * rowBytes == out.count else {
            throw QuantizeError.tensor(file: file, tensor: tensor, reason: "\(rows) rows of \(rowBytes) bytes ≠ \(out.count)")
        }
        let target = RawPointerBox(pointer: base)
        let workers = max(1, min(threads, rows)), chunk = max(1, (1 << 16) / max(n, 1))
        let chunks = (rows + chunk - 1) / chunk
        let failure = FirstFailure()
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            var values = [Float](repeating: 0, count: n)
            values.withUnsafeMutableBufferPointer { v in
                guard let row = v.baseAddress else { return }
                for c in stride(from: worker, to: chunks, by: workers) where !failure.isSet {
                    for r in (c * chunk)..<min((c + 1) * chunk, rows) {
                        weight.decodeRow(r, into: row)
                        if dtype.isQuantized, let bad = (0..<n).first(where: { !row[$0].isFinite }) {
                            failure.set(QuantizeError.tensor(file: file, tensor: tensor,
                                                             reason: "row \(r) holds \(row[bad]) at column \(bad)"))
                            return
                        }
                        dtype.encodeRow(row, count: n, into: target.pointer + r * rowBytes)
                    }
                }
            }
        }
        if let error = failure.error { throw error }
    }
}

/// The first error of a parallel loop (workers stop taking work once one is set).
private final class FirstFailure: @unchecked Sendable {
    private let lock = NSLock()
    private var first: QuantizeError?

    var isSet: Bool { lock.withLock { first != nil } }
    var error: QuantizeError? { lock.withLock { first } }

    func set(_ error: QuantizeError) { lock.withLock { if first == nil { first = error } } }
}
