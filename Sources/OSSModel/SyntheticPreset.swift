/// Synthetic gpt-oss checkpoints, generated from the §6 hash (seeded, reproducible, any size).
///
/// - `tiny`: gpt-oss.md §6 exactly (4 layers, H 96, 8 experts, vocab 1024); reproduces the golden logits.
/// - `tiny-o200k`: `tiny`'s shapes with the real vocabulary (201088 rows, ≈ 80 MB, written in seconds), so harmony's
///   control tokens have embeddings: the server tests' model.
/// - `mini`: gpt-oss-shaped with the real vocabulary (201088): 4 layers, H 512, 8×64 query heads, 2 KV heads,
///   8 experts (top 4) of I 512, window 128, BF16 + MXFP4 — about 430 MB; the default `make bench` model.
/// - `twentyB` ("20b"): the exact gpt-oss-20b shapes and dtypes (≈ 13.8 GB).
public enum SyntheticPreset: String, CaseIterable, Sendable {
    case tiny
    case tinyO200k = "tiny-o200k"
    case mini
    case twentyB = "20b"

    /// The model hyper-parameters of the preset.
    public var config: ModelConfig {
        get throws {
            switch self {
            case .tiny:
                return try Self.gptOSS(
                    layers: 4, hidden: 96, heads: 8, kvHeads: 2, headDim: 16, experts: 8,
                    intermediate: 64, vocab: 1024, window: 4)
            case .tinyO200k:
                return try Self.gptOSS(
                    layers: 4, hidden: 96, heads: 8, kvHeads: 2, headDim: 16, experts: 8,
                    intermediate: 64, vocab: 201_088, window: 4)
            case .mini:
                return try Self.gptOSS(
                    layers: 4, hidden: 512, heads: 8, kvHeads: 2, headDim: 64, experts: 8,
                    intermediate: 512, vocab: 201_088, window: 128)
            case .twentyB:
                return try Self.gptOSS(
                    layers: 24, hidden: 2880, heads: 64, kvHeads: 8, headDim: 64, experts: 32,
                    intermediate: 2880, vocab: 201_088, window: 128)
            }
        }
    }

    /// Added to every §6 seed, so presets draw different weights (0 for `tiny`, which is §6 verbatim).
    var seedBase: UInt32 {
        switch self {
        case .tiny: return 0
        case .tinyO200k: return 0x5449_4F32  // "TIO2"
        case .mini: return 0x4D49_4E49  // "MINI"
        case .twentyB: return 0x3230_6200  // "20b"
        }
    }

    /// A gpt-oss config with the real model's fixed parts (top-4 routing, YaRN ×32 over 4096, θ 150000, limit 7).
    private static func gptOSS(
        layers: Int, hidden: Int, heads: Int, kvHeads: Int, headDim: Int, experts: Int,
        intermediate: Int, vocab: Int, window: Int
    ) throws -> ModelConfig {
        try ModelConfig(
            layers: layers, hiddenSize: hidden, heads: heads, kvHeads: kvHeads, headDim: headDim, experts: experts,
            expertsPerToken: 4, intermediateSize: intermediate, vocabSize: vocab, maxPositions: 131_072,
            slidingWindow: window, ropeTheta: 150_000,
            yarn: YaRNScaling(factor: 32, originalContext: 4096, betaFast: 32, betaSlow: 1),
            file: "synthetic preset")
    }
}
