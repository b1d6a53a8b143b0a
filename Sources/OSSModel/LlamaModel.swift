import OSSCore
import OSSFormats

/// A dense Llama-family model (llama, qwen2, qwen3; gguf.md §1) on any `Backend`: every arithmetic op runs on the
/// backend; the model only slices preallocated buffers and copies rotated keys/values into its `KVCache`.
public final class LlamaModel: LanguageModel {
    /// Context length used when none is given (capped at the model's own).
    public static let defaultContextLength = 4096

    public let config: LlamaConfig
    public let weights: LlamaWeights
    /// Runs prompt chunks of more than one token.
    public let backend: any Backend
    /// Runs single-token steps (`backend` unless another was given).
    public let decodeBackend: any Backend
    /// cos/sin for positions `0..<contextLength` (scaling and frequency factors folded in), built once.
    public let rope: RopeTable
    /// Every layer keeps every position (no sliding windows), so any `truncate(to:)` is possible.
    public let cache: KVCache
    public let state: RunState
    public let contextLength: Int
    public internal(set) var position = 0
    /// Element type of the KV cache (and of `makeInstance`'s and `ModelBatch`'s caches).
    public let kvCacheType: KVCacheType

    public var vocabSize: Int { config.vocabSize }
    /// Tokens per forward step (longer prompts are processed in chunks of this many).
    public var prefillChunk: Int { state.chunk }

    /// Builds a model over bound weights.
    /// - Parameters:
    ///   - contextLength: KV cache positions, at most the model's own context; nil = min(own, 4096).
    ///   - prefillChunk: tokens per batched step (> 0).
    ///   - kvCache: element type of the KV cache.
    public init(
        config: LlamaConfig, weights: LlamaWeights, backend: any Backend, decodeBackend: (any Backend)? = nil,
        contextLength: Int? = nil, prefillChunk: Int = 512, kvCache: KVCacheType = .f32
    ) throws {
        let context = contextLength ?? min(config.contextLength, Self.defaultContextLength)
        guard context > 0, context <= config.contextLength else {
            throw ModelError.invalidParameter(
                name: "contextLength",
                reason: "must be in 1...\(config.contextLength) (the model's context), got \(context)")
        }
        guard prefillChunk > 0 else {
            throw ModelError.invalidParameter(name: "prefillChunk", reason: "must be > 0, got \(prefillChunk)")
        }
        self.config = config
        self.weights = weights
        self.backend = backend
        self.decodeBackend = decodeBackend ?? backend
        self.contextLength = context
        self.kvCacheType = kvCache
        do {
            rope = try config.ropeTable(positions: context, freqFactors: weights.ropeFrequencyFactors)
        } catch let error as BackendError {
            throw ModelConfigError.invalidValue(
                file: "config", key: "\(config.architecture.rawValue).rope", reason: error.description)
        }
        let chunk = min(prefillChunk, context)
        cache = Self.cache(config, contextLength: context, chunk: chunk, type: kvCache)
        state = try Self.runState(config, rows: chunk)
    }

    /// Loads a GGUF model of architecture llama, qwen2 or qwen3 (weights mapped, not copied).
    public static func load(
        gguf archive: GGUFArchive, backend: any Backend, decodeBackend: (any Backend)? = nil,
        contextLength: Int? = nil, prefillChunk: Int = 512, requantize: DType? = nil, kvCache: KVCacheType = .f32
    ) throws -> LlamaModel {
        let name = try archive.string("general.architecture")
        guard let architecture = LlamaArchitecture(rawValue: name) else {
            throw ModelError.unsupportedArchitecture(
                file: archive.url.path, architecture: name,
                supported: LlamaArchitecture.allCases.map(\.rawValue))
        }
        guard let embedding = archive.info("token_embd.weight") else {
            throw ModelError.missingTensor(name: "token_embd.weight", directory: archive.url.path)
        }
        guard embedding.ne.count == 2 else {
            throw ModelError.unrecognizedCheckpoint(
                directory: archive.url.path,
                reason: "token_embd.weight has \(embedding.ne.count) dimensions, expected 2")
        }
        let config = try LlamaConfig.load(
            gguf: archive, architecture: architecture, vocabSize: embedding.ne[1],
            tiedEmbeddings: !archive.contains("output.weight"))
        var weights = try LlamaWeights.load(gguf: archive, config: config)
        if let requantize { weights = try weights.requantized(to: requantize, threads: backend.threads) }
        return try LlamaModel(
            config: config, weights: weights, backend: backend, decodeBackend: decodeBackend,
            contextLength: contextLength, prefillChunk: prefillChunk, kvCache: kvCache)
    }

    /// A new instance over the same weights and backends (nothing is copied: the weights stay mapped once) with its
    /// own KV cache and run state, for another independent sequence.
    /// - Parameters:
    ///   - contextLength: KV cache positions (nil = this instance's), at most the model's own context.
    ///   - prefillChunk: tokens per batched step (nil = this instance's).
    public func makeInstance(contextLength: Int? = nil, prefillChunk: Int? = nil) throws -> LlamaModel {
        try LlamaModel(
            config: config, weights: weights, backend: backend, decodeBackend: decodeBackend,
            contextLength: contextLength ?? self.contextLength, prefillChunk: prefillChunk ?? self.prefillChunk,
            kvCache: kvCacheType)
    }

    public func reset() {
        position = 0
        cache.reset()
    }

    /// Rewinds to `position` (keeps positions `0..<position`); every layer holds every position, so this always
    /// succeeds within `0...self.position`.
    public func truncate(to position: Int) throws {
        guard position >= 0, position <= self.position else {
            throw ModelError.truncateOutOfRange(to: position, position: self.position)
        }
        cache.truncate(to: position)
        self.position = position
    }

    public func prefill(_ tokens: [Int32]) throws -> Tensor {
        try run(tokens, allLogits: nil)
        return state.logits
    }

    public func decode(_ token: Int32) throws -> Tensor {
        try run(CollectionOfOne(token), allLogits: nil)
        return state.logits
    }

    public func forward(tokens: [Int32], allLogits: Bool) throws -> Tensor {
        guard allLogits else {
            try run(tokens, allLogits: nil)
            return state.logitsRow
        }
        let out = Tensor(zeros: [max(tokens.count, 1), config.vocabSize])
        try run(tokens, allLogits: out)
        return out
    }
}
