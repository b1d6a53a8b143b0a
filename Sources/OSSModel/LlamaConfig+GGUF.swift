import OSSFormats

extension LlamaConfig {
    /// Hyper-parameters from the `{arch}.*` keys of a GGUF model (gguf.md §1); `vocabSize` is the embedding's row
    /// count, `tiedEmbeddings` whether `output.weight` is absent. Per-layer arrays must be uniform.
    static func load(gguf a: GGUFArchive, architecture: LlamaArchitecture, vocabSize: Int,
                     tiedEmbeddings: Bool) throws -> LlamaConfig {
        let p = architecture.rawValue + ".", file = a.url.path
        let layers = try a.int(p + "block_count")
        guard layers > 0, layers <= 4096 else {
            throw ModelConfigError.invalidValue(file: file, key: p + "block_count", reason: "must be in 1...4096, got \(layers)")
        }
        func uniform(_ key: String, default value: Int?) throws -> Int {
            guard let perLayer = try a.optionalPerLayerInt(key, layers: layers) else {
                guard let value else { throw GGUFError.missingKey(file: a.url, key: key) }
                return value
            }
            guard Set(perLayer).count == 1 else {
                throw ModelConfigError.invalidValue(file: file, key: key, reason: "differs between layers (\(perLayer.prefix(4))…)")
            }
            return perLayer[0]
        }
        let hidden = try a.int(p + "embedding_length")
        let heads = try uniform(p + "attention.head_count", default: nil)
        guard heads > 0 else {
            throw ModelConfigError.invalidValue(file: file, key: p + "attention.head_count", reason: "must be > 0, got \(heads)")
        }
        let kvHeads = try uniform(p + "attention.head_count_kv", default: heads)
        let headDim = try a.optionalInt(p + "attention.key_length") ?? hidden / heads
        if let v = try a.optionalInt(p + "attention.value_length"), v != headDim {
            throw ModelConfigError.invalidValue(file: file, key: p + "attention.value_length",
                                                reason: "\(v) differs from key_length \(headDim)")
        }
        if let rot = try a.optionalInt(p + "rope.dimension_count"), rot != headDim {
            throw ModelConfigError.invalidValue(file: file, key: p + "rope.dimension_count",
                                                reason: "partial rotary (\(rot) of \(headDim) dims) is not supported")
        }
        let context = try a.int(p + "context_length")
        let factor = try a.optionalDouble(p + "rope.scaling.factor") ?? a.optionalDouble(p + "rope.scale_linear")
        let original = try a.optionalInt(p + "rope.scaling.original_context_length")
        let scaling: RopeScaling
        switch try a.optionalString(p + "rope.scaling.type") {
        case nil, "linear":
            // llama.cpp's default type is linear; an absent or zero factor means no scaling.
            if let f = factor, f != 0, f != 1 { scaling = .linear(factor: f) } else { scaling = .none }
        case "none":
            scaling = .none
        case "yarn":
            if let f = factor, f > 1 { scaling = .yarn(factor: f, originalContext: original ?? context) } else { scaling = .none }
        case "llama3":
            scaling = .llama3(factor: factor ?? 8, lowFrequencyFactor: try a.optionalDouble(p + "rope.scaling.low_freq_factor") ?? 1,
                              highFrequencyFactor: try a.optionalDouble(p + "rope.scaling.high_freq_factor") ?? 4,
                              originalContext: original ?? 8192)
        case let other?:
            throw ModelConfigError.invalidValue(file: file, key: p + "rope.scaling.type",
                                                reason: "'\(other)' is not supported (none, linear, yarn, llama3)")
        }
        return try LlamaConfig(
            architecture: architecture, layers: layers, hiddenSize: hidden, heads: heads, kvHeads: kvHeads, headDim: headDim,
            feedForward: try uniform(p + "feed_forward_length", default: nil), vocabSize: vocabSize, contextLength: context,
            ropeTheta: try a.optionalDouble(p + "rope.freq_base") ?? 10_000, ropeScaling: scaling,
            ropeAttentionFactor: try a.optionalDouble(p + "rope.scaling.attn_factor") ?? 1,
            rmsNormEps: Float(try a.double(p + "attention.layer_norm_rms_epsilon")), tiedEmbeddings: tiedEmbeddings, file: file)
    }
}
