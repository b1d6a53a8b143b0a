import OSSCore

/// The dense architectures `LlamaModel` runs (llama.cpp's `general.architecture` names).
public enum LlamaArchitecture: String, Sendable, CaseIterable {
    /// Llama 2 / 3.x, Mistral 7B, TinyLlama, SmolLM: interleaved RoPE on the converter-permuted q/k rows.
    case llama
    /// Qwen2 / Qwen2.5: q/k/v biases, NeoX RoPE.
    case qwen2
    /// Qwen3 (dense): per-head RMSNorm of q and k before RoPE, NeoX RoPE.
    case qwen3

    /// llama.cpp's rope type per architecture (gguf.md §2).
    public var ropeStyle: RopeStyle { self == .llama ? .interleaved : .neox }
}

/// RoPE frequency scaling of a dense model.
public enum RopeScaling: Sendable, Equatable {
    case none
    /// Positions divided by `factor` (`freq_scale = 1/factor`).
    case linear(factor: Double)
    /// YaRN over `originalContext` (β fast 32, slow 1, ext factor 1, as llama.cpp runs these architectures).
    case yarn(factor: Double, originalContext: Int)
    /// Llama 3: per-frequency factors (from `rope_freqs.weight`, or computed from these parameters when absent).
    case llama3(factor: Double, lowFrequencyFactor: Double, highFrequencyFactor: Double, originalContext: Int)
}

/// Hyper-parameters of a dense Llama-family model (gguf.md §1).
public struct LlamaConfig: Sendable, Equatable {
    public var architecture: LlamaArchitecture
    /// Transformer blocks.
    public var layers: Int
    /// Residual width H.
    public var hiddenSize: Int
    public var heads: Int
    /// Key/value heads (GQA: query head h reads KV head h / (heads / kvHeads)).
    public var kvHeads: Int
    public var headDim: Int
    /// FFN width (gate/up rows).
    public var feedForward: Int
    public var vocabSize: Int
    /// The model's own context (`{arch}.context_length`).
    public var contextLength: Int
    /// `rope.freq_base`.
    public var ropeTheta: Double
    public var ropeScaling: RopeScaling
    /// `rope.scaling.attn_factor` (cos/sin factor).
    public var ropeAttentionFactor: Double
    public var rmsNormEps: Float
    /// The unembedding is the embedding (`output.weight` absent).
    public var tiedEmbeddings: Bool

    public init(
        architecture: LlamaArchitecture, layers: Int, hiddenSize: Int, heads: Int, kvHeads: Int, headDim: Int,
        feedForward: Int, vocabSize: Int, contextLength: Int, ropeTheta: Double, ropeScaling: RopeScaling = .none,
        ropeAttentionFactor: Double = 1, rmsNormEps: Float, tiedEmbeddings: Bool, file: String = "config"
    ) throws {
        self.architecture = architecture
        self.layers = layers
        self.hiddenSize = hiddenSize
        self.heads = heads
        self.kvHeads = kvHeads
        self.headDim = headDim
        self.feedForward = feedForward
        self.vocabSize = vocabSize
        self.contextLength = contextLength
        self.ropeTheta = ropeTheta
        self.ropeScaling = ropeScaling
        self.ropeAttentionFactor = ropeAttentionFactor
        self.rmsNormEps = rmsNormEps
        self.tiedEmbeddings = tiedEmbeddings
        try validate(file: file)
    }

    public var qWidth: Int { heads * headDim }
    public var kvWidth: Int { kvHeads * headDim }

    /// Checks every value and relation; errors name the GGUF key.
    public func validate(file: String) throws {
        let p = "\(architecture.rawValue)."
        func positive(_ v: Int, _ key: String, max: Int = 1 << 24) throws {
            guard v > 0, v <= max else {
                throw ModelConfigError.invalidValue(file: file, key: p + key, reason: "must be in 1...\(max), got \(v)")
            }
        }
        try positive(layers, "block_count", max: 4096)
        try positive(hiddenSize, "embedding_length")
        try positive(heads, "attention.head_count", max: 4096)
        try positive(kvHeads, "attention.head_count_kv", max: 4096)
        try positive(headDim, "attention.key_length", max: 4096)
        try positive(feedForward, "feed_forward_length")
        try positive(vocabSize, "vocab_size", max: Int(Int32.max))
        try positive(contextLength, "context_length", max: 1 << 26)
        guard heads % kvHeads == 0 else {
            throw ModelConfigError.invalidValue(
                file: file, key: p + "attention.head_count_kv",
                reason: "head_count \(heads) is not a multiple of head_count_kv \(kvHeads)")
        }
        guard headDim % 2 == 0 else {
            throw ModelConfigError.invalidValue(
                file: file, key: p + "attention.key_length", reason: "RoPE needs an even head dim, got \(headDim)")
        }
        guard ropeTheta.isFinite, ropeTheta > 1 else {
            throw ModelConfigError.invalidValue(
                file: file, key: p + "rope.freq_base", reason: "must be > 1, got \(ropeTheta)")
        }
        guard rmsNormEps.isFinite, rmsNormEps > 0 else {
            throw ModelConfigError.invalidValue(
                file: file, key: p + "attention.layer_norm_rms_epsilon", reason: "must be > 0, got \(rmsNormEps)")
        }
        guard ropeAttentionFactor.isFinite, ropeAttentionFactor > 0 else {
            throw ModelConfigError.invalidValue(file: file, key: p + "rope.scaling.attn_factor", reason: "must be > 0")
        }
        switch ropeScaling {
        case .none: break
        case .linear(let f), .yarn(let f, _), .llama3(let f, _, _, _):
            guard f.isFinite, f >= 1 else {
                throw ModelConfigError.invalidValue(
                    file: file, key: p + "rope.scaling.factor", reason: "must be ≥ 1, got \(f)")
            }
        }
        if case .yarn(_, let original) = ropeScaling {
            try positive(original, "rope.scaling.original_context_length", max: 1 << 26)
        }
        if case .llama3(_, let low, let high, let original) = ropeScaling {
            try positive(original, "rope.scaling.original_context_length", max: 1 << 26)
            guard low > 0, high > low else {
                throw ModelConfigError.invalidValue(
                    file: file, key: p + "rope.scaling.high_freq_factor",
                    reason: "need high_freq_factor > low_freq_factor > 0, got \(high), \(low)")
            }
        }
    }

    /// The RoPE table for `positions` (ggml's math; `freqFactors` = `rope_freqs.weight` when the file has it).
    func ropeTable(positions: Int, freqFactors: [Float]?) throws -> RopeTable {
        switch ropeScaling {
        case .none:
            return try .ggml(
                headDim: headDim, base: ropeTheta, freqFactors: freqFactors, attnFactor: ropeAttentionFactor,
                maxPositions: positions)
        case .linear(let factor):
            return try .ggml(
                headDim: headDim, base: ropeTheta, freqScale: 1 / factor, freqFactors: freqFactors,
                attnFactor: ropeAttentionFactor, maxPositions: positions)
        case .yarn(let factor, let original):
            return try .ggml(
                headDim: headDim, base: ropeTheta, freqScale: 1 / factor, freqFactors: freqFactors,
                yarn: RopeYaRN(originalContext: original), attnFactor: ropeAttentionFactor, maxPositions: positions)
        case .llama3(let factor, let low, let high, let original):
            let factors =
                freqFactors
                ?? RopeTable.llama3FrequencyFactors(
                    headDim: headDim, base: ropeTheta, factor: factor, lowFrequencyFactor: low,
                    highFrequencyFactor: high,
                    originalContext: original)
            return try .ggml(
                headDim: headDim, base: ropeTheta, freqFactors: factors, attnFactor: ropeAttentionFactor,
                maxPositions: positions)
        }
    }
}
