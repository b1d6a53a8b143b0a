/// Attention kind of one layer: sliding-window (even layers of gpt-oss) or full causal attention.
public enum LayerAttention: String, Sendable, Equatable, Codable {
    case sliding = "sliding_attention"
    case full = "full_attention"
}

/// YaRN RoPE scaling parameters (gpt-oss.md §2.3).
public struct YaRNScaling: Sendable, Equatable {
    /// Context extension factor (32 for gpt-oss).
    public var factor: Double
    /// Context the model was trained with before extension (`initial_context_length`, 4096).
    public var originalContext: Int
    /// `beta_fast` (original checkpoint: `rope_ntk_beta`), 32 for gpt-oss.
    public var betaFast: Double
    /// `beta_slow` (original checkpoint: `rope_ntk_alpha`), 1 for gpt-oss.
    public var betaSlow: Double
    /// Floor/ceil the correction dims (false for gpt-oss).
    public var truncate: Bool

    public init(factor: Double, originalContext: Int, betaFast: Double, betaSlow: Double, truncate: Bool = false) {
        self.factor = factor
        self.originalContext = originalContext
        self.betaFast = betaFast
        self.betaSlow = betaSlow
        self.truncate = truncate
    }
}

/// Hyper-parameters of a gpt-oss model (gpt-oss.md §1), from either config.json flavour.
///
/// Construct with `init(...)` (validated) or `ModelConfig.load(directory:)` / `decode(json:file:)`.
public struct ModelConfig: Sendable, Equatable {
    /// Transformer blocks L.
    public var layers: Int
    /// Hidden size H (residual width).
    public var hiddenSize: Int
    /// Query heads.
    public var heads: Int
    /// Key/value heads (GQA: query head h uses KV head h / (heads / kvHeads)).
    public var kvHeads: Int
    /// Elements per head (q width = heads·headDim, may differ from H).
    public var headDim: Int
    /// Experts per MoE block E.
    public var experts: Int
    /// Experts selected per token k.
    public var expertsPerToken: Int
    /// Expert intermediate size I (fused gate/up has 2I rows).
    public var intermediateSize: Int
    /// Embedding / unembedding rows V.
    public var vocabSize: Int
    /// Longest context the RoPE scaling supports (`max_position_embeddings`; original: initial context × factor).
    public var maxPositions: Int
    /// Sliding window W of sliding layers (keys p − W < j ≤ p).
    public var slidingWindow: Int
    /// Attention kind per layer, `layers` entries.
    public var layerTypes: [LayerAttention]
    /// RoPE base θ.
    public var ropeTheta: Double
    /// YaRN scaling, nil for plain RoPE.
    public var yarn: YaRNScaling?
    /// RMSNorm epsilon.
    public var rmsNormEps: Float
    /// SwiGLU clamp limit (7).
    public var swigluLimit: Float
    /// SwiGLU sigmoid slope (1.702, hard-coded in every reference).
    public var swigluAlpha: Float
    /// Whether q/k/v/o carry biases (`attention_bias`).
    public var attentionBias: Bool

    /// Validating initialiser; `file` names the source in errors.
    public init(
        layers: Int, hiddenSize: Int, heads: Int, kvHeads: Int, headDim: Int, experts: Int,
        expertsPerToken: Int, intermediateSize: Int, vocabSize: Int, maxPositions: Int, slidingWindow: Int,
        layerTypes: [LayerAttention]? = nil, ropeTheta: Double, yarn: YaRNScaling?, rmsNormEps: Float = 1e-5,
        swigluLimit: Float = 7, swigluAlpha: Float = 1.702, attentionBias: Bool = true,
        file: String = "config"
    ) throws {
        // before the per-layer default below allocates `layers` entries
        try Self.checkLayerCount(layers, file: file)
        self.layers = layers
        self.hiddenSize = hiddenSize
        self.heads = heads
        self.kvHeads = kvHeads
        self.headDim = headDim
        self.experts = experts
        self.expertsPerToken = expertsPerToken
        self.intermediateSize = intermediateSize
        self.vocabSize = vocabSize
        self.maxPositions = maxPositions
        self.slidingWindow = slidingWindow
        self.layerTypes = layerTypes ?? (0..<max(layers, 0)).map { $0 % 2 == 0 ? .sliding : .full }
        self.ropeTheta = ropeTheta
        self.yarn = yarn
        self.rmsNormEps = rmsNormEps
        self.swigluLimit = swigluLimit
        self.swigluAlpha = swigluAlpha
        self.attentionBias = attentionBias
        try validate(file: file)
    }

    /// Query projection width `heads·headDim`.
    public var qWidth: Int { heads * headDim }
    /// Key (and value) projection width `kvHeads·headDim`.
    public var kvWidth: Int { kvHeads * headDim }
    /// Attention window of layer `l`: `slidingWindow` for sliding layers, 0 (full causal) otherwise.
    public func window(layer l: Int) -> Int { layerTypes[l] == .sliding ? slidingWindow : 0 }

    /// Layer counts a config may name (as the GGUF loaders' `block_count`).
    public static let layerCountRange = 1...4096

    private static func checkLayerCount(_ layers: Int, file: String) throws {
        guard layerCountRange.contains(layers) else {
            throw ModelConfigError.invalidValue(
                file: file, key: "num_hidden_layers",
                reason: "must be in \(layerCountRange.lowerBound)...\(layerCountRange.upperBound), got \(layers)")
        }
    }

    /// Checks every value and every relation between values.
    public func validate(file: String) throws {
        func positive(_ v: Int, _ key: String) throws {
            guard v > 0 else {
                throw ModelConfigError.invalidValue(file: file, key: key, reason: "must be > 0, got \(v)")
            }
        }
        try Self.checkLayerCount(layers, file: file)
        try positive(hiddenSize, "hidden_size")
        try positive(heads, "num_attention_heads")
        try positive(kvHeads, "num_key_value_heads")
        try positive(headDim, "head_dim")
        try positive(experts, "num_local_experts")
        try positive(expertsPerToken, "num_experts_per_tok")
        try positive(intermediateSize, "intermediate_size")
        try positive(vocabSize, "vocab_size")
        try positive(maxPositions, "max_position_embeddings")
        guard vocabSize <= Int(Int32.max) else {
            throw ModelConfigError.invalidValue(
                file: file, key: "vocab_size", reason: "\(vocabSize) exceeds Int32 token ids")
        }
        guard slidingWindow >= 0 else {
            throw ModelConfigError.invalidValue(
                file: file, key: "sliding_window", reason: "must be ≥ 0, got \(slidingWindow)")
        }
        guard heads % kvHeads == 0 else {
            throw ModelConfigError.invalidValue(
                file: file, key: "num_key_value_heads",
                reason: "num_attention_heads \(heads) is not divisible by num_key_value_heads \(kvHeads)")
        }
        guard headDim % 2 == 0 else {
            throw ModelConfigError.invalidValue(
                file: file, key: "head_dim", reason: "RoPE needs an even head_dim, got \(headDim)")
        }
        guard expertsPerToken <= experts else {
            throw ModelConfigError.invalidValue(
                file: file, key: "num_experts_per_tok", reason: "\(expertsPerToken) selected of only \(experts) experts"
            )
        }
        guard hiddenSize % 32 == 0 else {
            throw ModelConfigError.invalidValue(
                file: file, key: "hidden_size", reason: "MXFP4 experts need a multiple of 32, got \(hiddenSize)")
        }
        guard intermediateSize % 32 == 0 else {
            throw ModelConfigError.invalidValue(
                file: file, key: "intermediate_size",
                reason: "MXFP4 experts need a multiple of 32, got \(intermediateSize)")
        }
        guard layerTypes.count == layers else {
            throw ModelConfigError.invalidValue(
                file: file, key: "layer_types", reason: "\(layerTypes.count) entries for \(layers) layers")
        }
        guard ropeTheta.isFinite, ropeTheta > 1 else {
            throw ModelConfigError.invalidValue(file: file, key: "rope_theta", reason: "must be > 1, got \(ropeTheta)")
        }
        guard rmsNormEps.isFinite, rmsNormEps > 0 else {
            throw ModelConfigError.invalidValue(
                file: file, key: "rms_norm_eps", reason: "must be > 0, got \(rmsNormEps)")
        }
        guard swigluLimit.isFinite, swigluLimit > 0 else {
            throw ModelConfigError.invalidValue(
                file: file, key: "swiglu_limit", reason: "must be > 0, got \(swigluLimit)")
        }
        if let y = yarn {
            guard y.factor.isFinite, y.factor >= 1 else {
                throw ModelConfigError.invalidValue(
                    file: file, key: "rope_scaling.factor", reason: "must be ≥ 1, got \(y.factor)")
            }
            try positive(y.originalContext, "rope_scaling.original_max_position_embeddings")
            guard y.betaFast.isFinite, y.betaSlow.isFinite, y.betaSlow > 0, y.betaFast > y.betaSlow else {
                throw ModelConfigError.invalidValue(
                    file: file, key: "rope_scaling.beta_fast",
                    reason: "need beta_fast > beta_slow > 0, got \(y.betaFast), \(y.betaSlow)")
            }
        }
    }
}
