import OSSFormats
import OSSTokenizer

/// Synthetic dense Llama-family models, written as GGUF files with seeded weights (the §6 hash) and a synthetic
/// vocabulary of the kind the real family uses.
///
/// - `llama-tiny`: llama, 2 layers, H 64, 4/2 heads of 16, FFN 96; SentencePiece vocabulary of 512 (Llama 2 kind).
/// - `llama-1b`: Llama-3.2-1B shapes: 16 layers, H 2048, 32/8 heads of 64, FFN 8192, vocab 128256 (byte-level BPE,
///   `llama-bpe`), tied embeddings, Llama 3 RoPE scaling baked into `rope_freqs.weight`, θ 500000.
/// - `qwen-tiny`: qwen2, 2 layers, H 64, 4/2 heads of 16, FFN 128, q/k/v biases, tied; BPE `qwen2`, vocab 1024.
/// - `qwen3-tiny`: qwen3, 2 layers, H 64, 4/2 heads of 32 (q width 128 ≠ H), FFN 96, per-head q/k norms; BPE
///   `qwen2`, vocab 1024.
public enum SyntheticDensePreset: String, CaseIterable, Sendable {
    case llamaTiny = "llama-tiny"
    case llama1B = "llama-1b"
    case qwenTiny = "qwen-tiny"
    case qwen3Tiny = "qwen3-tiny"

    public var config: LlamaConfig {
        get throws {
            switch self {
            case .llamaTiny:
                return try LlamaConfig(
                    architecture: .llama, layers: 2, hiddenSize: 64, heads: 4, kvHeads: 2, headDim: 16,
                    feedForward: 96, vocabSize: 512, contextLength: 2048, ropeTheta: 10_000,
                    rmsNormEps: 1e-5, tiedEmbeddings: false, file: "synthetic preset")
            case .llama1B:
                return try LlamaConfig(
                    architecture: .llama, layers: 16, hiddenSize: 2048, heads: 32, kvHeads: 8, headDim: 64,
                    feedForward: 8192, vocabSize: 128_256, contextLength: 131_072, ropeTheta: 500_000,
                    ropeScaling: .llama3(
                        factor: 32, lowFrequencyFactor: 1, highFrequencyFactor: 4,
                        originalContext: 8192),
                    rmsNormEps: 1e-5, tiedEmbeddings: true, file: "synthetic preset")
            case .qwenTiny:
                return try LlamaConfig(
                    architecture: .qwen2, layers: 2, hiddenSize: 64, heads: 4, kvHeads: 2, headDim: 16,
                    feedForward: 128, vocabSize: 1024, contextLength: 32_768, ropeTheta: 1_000_000,
                    rmsNormEps: 1e-6, tiedEmbeddings: true, file: "synthetic preset")
            case .qwen3Tiny:
                return try LlamaConfig(
                    architecture: .qwen3, layers: 2, hiddenSize: 64, heads: 4, kvHeads: 2, headDim: 32,
                    feedForward: 96, vocabSize: 1024, contextLength: 40_960, ropeTheta: 1_000_000,
                    rmsNormEps: 1e-6, tiedEmbeddings: false, file: "synthetic preset")
            }
        }
    }

    /// Added to every seed, so presets draw different weights.
    var seedBase: UInt32 {
        switch self {
        case .llamaTiny: return 0x4C54_0000  // "LT"
        case .llama1B: return 0x4C31_0000  // "L1"
        case .qwenTiny: return 0x5154_0000  // "QT"
        case .qwen3Tiny: return 0x5133_0000  // "Q3"
        }
    }

    /// The preset's tokenizer metadata.
    public func vocabulary() throws -> GGUFVocabulary {
        switch self {
        case .llamaTiny:
            return try .syntheticSentencePiece(size: 512)
        case .llama1B:
            return try .syntheticBPE(
                size: 128_256, pre: "llama-bpe", specials: GGUFVocabulary.llama3Specials,
                bos: "<|begin_of_text|>", eos: "<|eot_id|>", eot: "<|eot_id|>", addBOS: true,
                chatTemplate: GGUFVocabulary.llama3Template)
        case .qwenTiny, .qwen3Tiny:
            return try .syntheticBPE(
                size: 1024, pre: "qwen2", specials: GGUFVocabulary.qwenSpecials, bos: nil,
                eos: "<|im_end|>", eot: "<|im_end|>", addBOS: false,
                chatTemplate: GGUFVocabulary.chatMLTemplate)
        }
    }
}
