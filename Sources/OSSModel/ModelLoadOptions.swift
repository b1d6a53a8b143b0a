import Foundation
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
    /// Dense float matrices converted to this dtype once at load (`--requant q8_0`; see `DenseRequantization`);
    /// nil keeps every weight in its stored dtype.
    public var requantize: DType?
    /// Element type of the KV cache (`.f16`: half the memory and half the bytes attention reads at depth).
    public var kvCache: KVCacheType
    /// Directories searched first for the bundled o200k vocabulary of checkpoints without tokenizer.json (see
    /// `Tokenizer.o200kHarmony(searching:)`), e.g. the directory of a shared library with its resources beside it.
    public var vocabularyDirectories: [URL]

    public init(
        backend: any Backend, decodeBackend: (any Backend)? = nil, contextLength: Int? = nil,
        prefillChunk: Int = 512, rewindRows: Int = 0, chatFormat: ChatFormat? = nil,
        residency: WeightResidency = .mmap, requantize: DType? = nil, kvCache: KVCacheType = .f32,
        vocabularyDirectories: [URL] = []
    ) {
        self.residency = residency
        self.kvCache = kvCache
        self.requantize = requantize
        self.vocabularyDirectories = vocabularyDirectories
        self.backend = backend
        self.decodeBackend = decodeBackend
        self.contextLength = contextLength
        self.prefillChunk = prefillChunk
        self.rewindRows = rewindRows
        self.chatFormat = chatFormat
    }
}
