import OSSCore
import OSSFormats
import OSSTokenizer

/// How `ModelLoader` sets a model up: the backends it runs on and the sizes of its preallocated state.
public struct ModelLoadOptions: Sendable {
    /// Runs prompt chunks (and every step unless `decodeBackend` is given).
    public var backend: any Backend
    /// Runs single-token steps (nil = `backend`), e.g. the same kind with fewer threads.
    public var decodeBackend: (any Backend)?
    /// KV cache positions; nil = min(the model's trained context, 4096). More than the model's own context is an error.
    public var contextLength: Int?
    /// Tokens per batched prefill step (activation buffers are sized for it).
    public var prefillChunk: Int
    /// Extra ring-buffer rows of sliding-window layers, for deeper `truncate(to:)` (gpt-oss; ignored by dense models,
    /// whose caches hold every position).
    public var rewindRows: Int
    /// The chat format to use instead of the one detected from the model's chat template.
    public var chatFormat: ChatFormat?
    /// How the weight files reach memory (mapped by default; see `WeightResidency`).
    public var residency: WeightResidency

    public init(
        backend: any Backend, decodeBackend: (any Backend)? = nil, contextLength: Int? = nil,
        prefillChunk: Int = 512, rewindRows: Int = 0, chatFormat: ChatFormat? = nil,
        residency: WeightResidency = .mmap
    ) {
        self.residency = residency
        self.backend = backend
        self.decodeBackend = decodeBackend
        self.contextLength = contextLength
        self.prefillChunk = prefillChunk
        self.rewindRows = rewindRows
        self.chatFormat = chatFormat
    }
}
