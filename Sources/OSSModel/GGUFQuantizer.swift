import Dispatch
import Foundation
import OSSCore
import OSSFormats
import OSSTokenizer

/// Errors of `GGUFQuantizer`; each names the file and tensor.
public enum QuantizeError: Error, Equatable, CustomStringConvertible {
    /// A tensor that cannot be quantized as asked (non-finite values, an unreadable shape).
    case tensor(file: String, tensor: String, reason: String)
    /// A tensor already in a quantized type would be quantized again (lossy) without `allowRequantize`.
    case requantize(file: String, tensor: String, from: String, to: String)

    public var description: String {
        switch self {
        case .tensor(let f, let t, let r): return "\(f): tensor \(t): \(r)"
        case .requantize(let f, let t, let from, let to):
            return "\(f): tensor \(t) is already \(from); quantizing it to \(to) loses accuracy twice "
                + "(--allow-requantize)"
        }
    }
}

/// One tensor `GGUFQuantizer` writes: its GGUF name, dimensions and stored type, a row decoder and its bytes as
/// stored, each made on first use (inside the output's fill, so a big tensor is touched only while it is written).
public struct QuantizerTensor {
    public let name: String
    /// ggml dimensions, fastest first.
    public let ne: [Int]
    /// The stored type (what an unchanged copy writes).
    public let type: GGMLType
    /// Returns the decoder of row r (of the `[rows, ne[0]]` view) into `ne[0]` floats.
    let rows: () throws -> (Int, UnsafeMutablePointer<Float>) -> Void
    /// Writes the tensor unchanged, in `type`'s GGUF layout, into exactly its bytes.
    let copy: (UnsafeMutableRawBufferPointer) throws -> Void
}

/// `oss quantize`: rewrites a model as GGUF with its matrices in a block type (or a llama.cpp mix), everything else
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
    public static func quantize(
        _ archive: GGUFArchive, to output: URL, type: QuantizationType, threads: Int,
        allowRequantize: Bool = false
    ) throws -> Report {
        let architecture = try archive.string("general.architecture")
        let tensors = archive.tensors.map { info in
            QuantizerTensor(
                name: info.name, ne: info.ne, type: info.type,
                rows: {
                    let weight = try archive.weight(info.name)
                    return { weight.decodeRow($0, into: $1) }
                },
                copy: { out in
                    let bytes = try archive.rawBytes(info.name)
                    guard let base = out.baseAddress, let src = bytes.baseAddress else { return }
                    base.copyMemory(from: src, byteCount: out.count)
                })
        }
        let layers = try archive.optionalInt(architecture + ".block_count") ?? 0
        return try quantize(
            tensors, metadata: metadata(archive), layers: layers, file: archive.url.path, to: output, type: type,
            threads: threads,
            allowRequantize: allowRequantize)
    }

    /// Quantizes a gpt-oss safetensors checkpoint directory (as `ModelLoader` reads it: original or Hugging Face
    /// names) to a llama.cpp gpt-oss GGUF file: the tensors of `GPTOSSWeights.ggufTensors`, the `gpt-oss.*` keys and
    /// the o200k_harmony vocabulary, as `oss synth --format gguf` writes them. The MXFP4 experts are stored in a
    /// quantized type, so every target needs `allowRequantize` (as llama.cpp's requantization does).
    public static func quantize(
        checkpoint directory: URL, to output: URL, type: QuantizationType, threads: Int,
        allowRequantize: Bool = false
    ) throws -> Report {
        var dir = directory
        if !FileManager.default.fileExists(atPath: dir.appendingPathComponent("config.json").path),
            FileManager.default.fileExists(atPath: dir.appendingPathComponent("original/config.json").path)
        {
            dir = dir.appendingPathComponent("original")
        }
        let config = try ModelConfig.load(directory: dir)
        let archive = try SafetensorsArchive(directory: dir)
        let weights = try GPTOSSWeights.load(archive: archive, config: config, directory: dir)
        let metadata =
            SyntheticModel.gptOSSMetadata(config, name: directory.lastPathComponent)
            + (try GGUFVocabulary.o200kHarmony(size: config.vocabSize)).metadata
        return try quantize(
            weights.ggufTensors(config: config), metadata: metadata, layers: config.layers,
            file: directory.path, to: output, type: type, threads: threads,
            allowRequantize: allowRequantize)
    }

    /// Writes `tensors` with the types of `type`'s plan and `metadata` (the file type and quantization version set).
    static func quantize(
        _ tensors: [QuantizerTensor], metadata: [(key: String, value: GGUFValue)], layers: Int,
        file: String, to output: URL, type: QuantizationType, threads: Int,
        allowRequantize: Bool
    ) throws -> Report {
        let plan = type.plan(tensors: tensors.map { ($0.name, $0.ne) }, layers: layers)
        var entries: [GGUFWriter.Entry] = []
        var reports: [TensorReport] = []
        var inputBytes = 0
        for (tensor, target) in zip(tensors, plan) {
            let to = target ?? tensor.type
            if to == tensor.type {
                entries.append(GGUFWriter.Entry(name: tensor.name, type: to, ne: tensor.ne, fill: tensor.copy))
            } else {
                guard allowRequantize || tensor.type.blockSize == 1 else {
                    throw QuantizeError.requantize(file: file, tensor: tensor.name, from: "\(tensor.type)", to: "\(to)")
                }
                guard let dtype = to.dtype else {
                    throw QuantizeError.tensor(
                        file: file, tensor: tensor.name,
                        reason: "\(to) is not a type SwiftOSS writes")
                }
                entries.append(
                    GGUFWriter.Entry(name: tensor.name, type: to, ne: tensor.ne) { out in
                        try encode(
                            rows: try tensor.rows(), length: tensor.ne[0], as: dtype, into: out, threads: threads,
                            file: file, tensor: tensor.name)
                    })
            }
            inputBytes += GGUFFile.byteCount(ne: tensor.ne, type: tensor.type) ?? 0
            reports.append(
                TensorReport(
                    name: tensor.name, from: tensor.type, to: to,
                    bytes: GGUFFile.byteCount(ne: tensor.ne, type: to) ?? 0))
        }
        var keys = metadata.filter {
            !$0.key.hasPrefix("split.") && $0.key != "general.file_type"
                && $0.key != "general.quantization_version"
        }
        keys.append(("general.file_type", .uint32(type.fileType)))
        keys.append(("general.quantization_version", .uint32(2)))
        try GGUFWriter.write(metadata: keys, tensors: entries, to: output)
        return Report(tensors: reports, inputBytes: inputBytes, outputBytes: reports.reduce(0) { $0 + $1.bytes })
    }

    /// The first shard's metadata in its order.
    static func metadata(_ archive: GGUFArchive) -> [(key: String, value: GGUFValue)] {
        let first = archive.files[0]
        return first.metadataKeys.compactMap { key in first.metadata[key].map { (key, $0) } }
    }

    /// Encodes every row (`rows(r, into:)` decodes row r of `length` floats) as `dtype` into `out` (rows of
    /// `dtype.rowBytes(length)`), `threads` workers taking chunks of rows in turn, each with its own row buffer.
    static func encode(
        rows decode: (Int, UnsafeMutablePointer<Float>) -> Void, length n: Int, as dtype: DType,
        into out: UnsafeMutableRawBufferPointer, threads: Int, file: String, tensor: String
    ) throws {
        guard let base = out.baseAddress else { return }
        let rowBytes = dtype.rowBytes(n)
        let rows = rowBytes > 0 ? out.count / rowBytes : 0
        guard rows * rowBytes == out.count else {
            throw QuantizeError.tensor(
                file: file, tensor: tensor,
                reason: "\(out.count) bytes are not rows of \(rowBytes)")
        }
        let target = RawPointerBox(pointer: base)
        let workers = max(1, min(threads, rows))
        let chunk = max(1, (1 << 16) / max(n, 1))
        let chunks = (rows + chunk - 1) / chunk
        let failure = FirstFailure()
        withoutActuallyEscaping(decode) { decode in
            let rowDecoder = UncheckedBox(decode)
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                var values = [Float](repeating: 0, count: n)
                values.withUnsafeMutableBufferPointer { v in
                    guard let row = v.baseAddress else { return }
                    for c in stride(from: worker, to: chunks, by: workers) where !failure.isSet {
                        for r in (c * chunk)..<min((c + 1) * chunk, rows) {
                            rowDecoder.value(r, row)
                            if dtype.isQuantized, let bad = (0..<n).first(where: { !row[$0].isFinite }) {
                                failure.set(
                                    QuantizeError.tensor(
                                        file: file, tensor: tensor,
                                        reason: "row \(r) holds \(row[bad]) at column \(bad)"))
                                return
                            }
                            dtype.encodeRow(row, count: n, into: target.pointer + r * rowBytes)
                        }
                    }
                }
            }
        }
        if let error = failure.error { throw error }
    }
}

/// A closure shared by the workers of one encode (it only reads immutable weights).
private struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// The first error of a parallel loop (workers stop taking work once one is set).
private final class FirstFailure: @unchecked Sendable {
    private let lock = NSLock()
    private var first: QuantizeError?

    var isSet: Bool { lock.withLock { first != nil } }
    var error: QuantizeError? { lock.withLock { first } }

    func set(_ error: QuantizeError) { lock.withLock { if first == nil { first = error } } }
}
