import OSSFormats

extension LlamaConfig {
    /// Hyper-parameters from the `{arch}.*` keys of a GGUF model (gguf.md §1); `vocabSize` is the embedding's row
    /// count, `tiedEmbeddings` whether `output.weight` is absent. Per-layer arrays must be uniform.
    static func load(
        gguf a: GGUFArchive, architecture: LlamaArchitecture, vocabSize: Int,
        tiedEmbeddings: Bool
    ) throws -> LlamaConfig {
        let h = try GGUFHyperparameters(a, architecture: architecture.rawValue)
        let p = h.prefix
        let file = a.url.path
        let context = h.context
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
            if let f = factor, f > 1 {
                scaling = .yarn(factor: f, originalContext: original ?? context)
            } else {
                scaling = .none
            }
        case "llama3":
            scaling = .llama3(
                factor: factor ?? 8, lowFrequencyFactor: try a.optionalDouble(p + "rope.scaling.low_freq_factor") ?? 1,
                highFrequencyFactor: try a.optionalDouble(p + "rope.scaling.high_freq_factor") ?? 4,
                originalContext: original ?? 8192)
        case let other?:
            throw ModelConfigError.invalidValue(
                file: file, key: p + "rope.scaling.type",
                reason: "'\(other)' is not supported (none, linear, yarn, llama3)")
        }
        return try LlamaConfig(
            architecture: architecture, layers: h.layers, hiddenSize: h.hidden, heads: h.heads, kvHeads: h.kvHeads,
            headDim: h.headDim, feedForward: try h.uniform("feed_forward_length", default: nil), vocabSize: vocabSize,
            contextLength: context, ropeTheta: h.ropeTheta, ropeScaling: scaling,
            ropeAttentionFactor: try a.optionalDouble(p + "rope.scaling.attn_factor") ?? 1,
            rmsNormEps: Float(try a.double(p + "attention.layer_norm_rms_epsilon")), tiedEmbeddings: tiedEmbeddings,
            file: file)
    }
}
