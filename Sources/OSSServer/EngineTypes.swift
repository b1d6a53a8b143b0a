import OSSModel

/// What the engine runs for one request: prompt tokens and how to continue them.
public struct EngineJob: Sendable {
    public var prompt: [Int32]
    public var sampling: SamplingParameters
    /// Most tokens to generate (a stop token counts).
    public var maxTokens: Int
    /// Tokens that end generation (emitted, then the job finishes with `.stopToken`).
    public var stopTokens: Set<Int32>
    /// Seconds from submission until the job is cut with `.timeout`.
    public var timeout: Double

    public init(
        prompt: [Int32], sampling: SamplingParameters, maxTokens: Int, stopTokens: Set<Int32>,
        timeout: Double
    ) {
        self.prompt = prompt
        self.sampling = sampling
        self.maxTokens = maxTokens
        self.stopTokens = stopTokens
        self.timeout = timeout
    }
}

/// Why a job ended.
public enum EngineFinish: Equatable, Sendable {
    /// A stop token was generated (it was emitted as the last token).
    case stopToken(Int32)
    /// `maxTokens` were generated.
    case length
    /// The slot's context is full.
    case contextFull
    /// The client went away (or the caller cancelled).
    case cancelled
    /// The job's time ran out.
    case timeout
    /// The server is shutting down.
    case shutdown
    /// The model failed (message).
    case failed(String)
}

/// What the engine reports for a job, in order: `admitted`, then `token`s, then one `finished`.
public enum EngineEvent: Sendable, Equatable {
    /// The job got slot `slot`; `reusedTokens` prompt tokens were already in its KV cache.
    case admitted(slot: Int, reusedTokens: Int)
    case token(Int32)
    case finished(EngineFinish)
}

/// Why the engine refused a job up front.
public enum EngineRejection: Error, Equatable, Sendable {
    /// The queue holds `capacity` waiting jobs already.
    case queueFull(capacity: Int)
    /// The prompt plus at least one generated token do not fit in a slot's context.
    case promptTooLong(tokens: Int, contextLength: Int)
    case emptyPrompt
    case shuttingDown
}
