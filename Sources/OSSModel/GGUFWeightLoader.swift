import OSSCore
import OSSFormats

/// Fetches GGUF tensors by name with the shape (slowest dimension first, i.e. `ne` reversed) the model's
/// hyper-parameters imply; every failure names the file and the tensor.
struct GGUFWeightLoader {
    let archive: GGUFArchive
    var file: String { archive.url.path }

    func contains(_ name: String) -> Bool { archive.contains(name) }

    private func info(_ name: String, _ shape: Shape) throws -> GGUFTensorInfo {
        guard let info = archive.info(name) else { throw ModelError.missingTensor(name: name, directory: file) }
        guard Shape(info.shape) == shape else {
            throw ModelError.tensorShape(name: name, expected: shape, found: Shape(info.shape))
        }
        return info
    }

    /// A weight matrix (or expert stack) in its stored dtype; a type SwiftOSS does not compute with is a
    /// `ModelError.tensorDType` naming the tensor and the type.
    func matrix(_ name: String, _ shape: Shape) throws -> WeightTensor {
        let i = try info(name, shape)
        guard i.type.dtype != nil else {
            throw ModelError.tensorDType(
                name: name, found: i.type.description, expected: GGUFWeightLoader.computedTypes)
        }
        return try archive.weight(name)
    }

    /// A small tensor converted to Float32 (norm scales, biases, sinks, rope factors).
    func vector(_ name: String, _ shape: Shape) throws -> Tensor {
        let i = try info(name, shape)
        guard let d = i.type.dtype, d.blockSize == 1 else {
            throw ModelError.tensorDType(name: name, found: i.type.description, expected: "F32, F16 or BF16")
        }
        return try archive.floatTensor(name)
    }

    /// `vector` when the tensor exists, else nil.
    func optionalVector(_ name: String, _ shape: Shape) throws -> Tensor? {
        contains(name) ? try vector(name, shape) : nil
    }

    /// q, k, v projections of block `b` (`blk.N.`): separate `attn_q/k/v` or one fused `attn_qkv` (rows q | k | v),
    /// with their biases: required when `biases` is true, none when false, as present when nil.
    func qkv(_ b: String, qWidth qw: Int, kvWidth kw: Int, hidden h: Int, biases: Bool?) throws
        -> (q: WeightTensor, k: WeightTensor, v: WeightTensor, qBias: Tensor?, kBias: Tensor?, vBias: Tensor?)
    {
        func bias(_ name: String, _ n: Int) throws -> Tensor? {
            switch biases {
            case true?: return try vector(name, [n])
            case false?: return nil
            case nil: return try optionalVector(name, [n])
            }
        }
        if contains(b + "attn_qkv.weight") {
            let w = try matrix(b + "attn_qkv.weight", [qw + 2 * kw, h])
            let fused = try bias(b + "attn_qkv.bias", qw + 2 * kw)
            return (
                w.rows(0..<qw), w.rows(qw..<(qw + kw)), w.rows((qw + kw)..<(qw + 2 * kw)), fused?.rows(0..<qw),
                fused?.rows(qw..<(qw + kw)), fused?.rows((qw + kw)..<(qw + 2 * kw))
            )
        }
        return (
            try matrix(b + "attn_q.weight", [qw, h]), try matrix(b + "attn_k.weight", [kw, h]),
            try matrix(b + "attn_v.weight", [kw, h]), try bias(b + "attn_q.bias", qw), try bias(b + "attn_k.bias", kw),
            try bias(b + "attn_v.bias", kw)
        )
    }

    /// The ggml types matrices may have.
    static var computedTypes: String {
        GGMLType.allCases.filter { $0.dtype != nil }.map(\.description).joined(separator: ", ")
    }
}
