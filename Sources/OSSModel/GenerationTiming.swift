/// Why generation stopped.
public enum GenerationStopReason: Equatable, Sendable, CustomStringConvertible {
    /// A stop token was sampled (it is the last event).
    case stopToken(Int32)
    /// `maxTokens` tokens were generated.
    case maxTokens
    /// The model's KV cache is full.
    case contextFull
    /// Not finished yet.
    case running

    public var description: String {
        switch self {
        case .stopToken(let id): return "stop token \(id)"
        case .maxTokens: return "max tokens"
        case .contextFull: return "context full"
        case .running: return "running"
        }
    }
}

/// Timings of one generation. Seconds are wall-clock; tokenization is timed by the caller and reported apart.
public struct GenerationTiming: Equatable, Sendable, CustomStringConvertible {
    /// Seconds spent turning the prompt text into ids (0 when the caller passed ids).
    public var tokenizationSeconds: Double = 0
    public var promptTokens = 0
    /// Prompt tokens kept in the KV cache from an earlier turn (not prefilled again; `ConversationCache`).
    public var reusedPromptTokens = 0
    /// Seconds of the batched prompt forward pass.
    public var prefillSeconds: Double = 0
    /// From the start of prefill until the first token was sampled (prefill + first sampling).
    public var timeToFirstToken: Double = 0
    /// Tokens sampled, the first one and a stop token included.
    public var generatedTokens = 0
    /// Seconds in single-token forward passes (generatedTokens − 1 of them, or fewer when stopped early).
    public var decodeSeconds: Double = 0
    public var decodeSteps = 0
    /// Seconds choosing tokens from logits (all steps).
    public var samplingSeconds: Double = 0
    public var stopReason: GenerationStopReason = .running

    public init() {}

    /// Prompt tokens per second of prefill (the tokens actually run: reused ones are not counted).
    public var prefillTokensPerSecond: Double {
        prefillSeconds > 0 ? Double(promptTokens - reusedPromptTokens) / prefillSeconds : 0
    }
    /// Decode steps per second (forward passes only; sampling is timed apart).
    public var decodeTokensPerSecond: Double { decodeSeconds > 0 ? Double(decodeSteps) / decodeSeconds : 0 }

    /// One-paragraph human-readable report (the CLI writes it to stderr).
    public var description: String {
        func ms(_ s: Double) -> String { String(format: "%.1f ms", s * 1000) }
        let reuse = reusedPromptTokens > 0 ? " (reused \(reusedPromptTokens) of \(promptTokens) prompt tokens)" : ""
        return
            "tokenize \(ms(tokenizationSeconds)); prompt \(promptTokens) tokens\(reuse), prefill \(ms(prefillSeconds)) "
            + String(format: "(%.1f tok/s)", prefillTokensPerSecond) + ", TTFT \(ms(timeToFirstToken)); "
            + "generated \(generatedTokens) tokens, decode \(decodeSteps) steps in \(ms(decodeSeconds)) "
            + String(format: "(%.1f tok/s)", decodeTokensPerSecond)
            + ", sampling \(ms(samplingSeconds)); stop: \(stopReason)"
    }
}
