import OSSFormats

/// The `{arch}.*` keys every llama.cpp architecture shares (gguf.md §1), read and checked once: block count, widths,
/// heads (scalars or uniform per-layer arrays), head dim (`key_length`, = `value_length`, = `rope.dimension_count`:
/// partial rotary is not run), context and RoPE base. Errors name the file and the key.
struct GGUFHyperparameters {
    let layers: Int
    let hidden: Int
    let heads: Int
    let kvHeads: Int
    let headDim: Int
    let context: Int
    let ropeTheta: Double
    let archive: GGUFArchive
    /// `{arch}.`.
    let prefix: String

    init(_ a: GGUFArchive, architecture: String) throws {
        archive = a
        prefix = architecture + "."
        let p = prefix
        let file = a.url.path
        layers = try a.int(p + "block_count")
        guard layers > 0, layers <= 4096 else {
            throw ModelConfigError.invalidValue(
                file: file, key: p + "block_count", reason: "must be in 1...4096, got \(layers)")
        }
        hidden = try a.int(p + "embedding_length")
        heads = try Self.uniform(a, p + "attention.head_count", layers: layers, default: nil)
        guard heads > 0 else {
            throw ModelConfigError.invalidValue(
                file: file, key: p + "attention.head_count", reason: "must be > 0, got \(heads)")
        }
        kvHeads = try Self.uniform(a, p + "attention.head_count_kv", layers: layers, default: heads)
        headDim = try a.optionalInt(p + "attention.key_length") ?? hidden / heads
        if let v = try a.optionalInt(p + "attention.value_length"), v != headDim {
            throw ModelConfigError.invalidValue(
                file: file, key: p + "attention.value_length",
                reason: "\(v) differs from key_length \(headDim)")
        }
        if let rot = try a.optionalInt(p + "rope.dimension_count"), rot != headDim {
            throw ModelConfigError.invalidValue(
                file: file, key: p + "rope.dimension_count",
                reason: "partial rotary (\(rot) of \(headDim) dims) is not supported")
        }
        context = try a.int(p + "context_length")
        ropeTheta = try a.optionalDouble(p + "rope.freq_base") ?? 10_000
    }

    /// A per-layer key that must hold one value for every layer (`default` when absent; required when nil).
    func uniform(_ key: String, default value: Int?) throws -> Int {
        try Self.uniform(archive, prefix + key, layers: layers, default: value)
    }

    private static func uniform(_ a: GGUFArchive, _ key: String, layers: Int, default value: Int?) throws -> Int {
        guard let perLayer = try a.optionalPerLayerInt(key, layers: layers) else {
            guard let value else { throw GGUFError.missingKey(file: a.url, key: key) }
            return value
        }
        guard Set(perLayer).count == 1 else {
            throw ModelConfigError.invalidValue(
                file: a.url.path, key: key, reason: "differs between layers (\(perLayer.prefix(4))…)")
        }
        return perLayer[0]
    }
}
