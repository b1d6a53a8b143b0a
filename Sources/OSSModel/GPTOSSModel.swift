import Foundation
import OSSCore
import OSSFormats

/// gpt-oss (gpt-oss.md §2) on any `Backend`: every arithmetic op runs on the backend; the model only slices
/// preallocated buffers and copies rotated keys/values into its `KVCache`.
public final class GPTOSSModel: LanguageModel {
    /// Context length used when `load` is not given one (the KV cache is allocated for it up front).
    public static let defaultContextLength = 4096

    public let config: ModelConfig
    public let weights: GPTOSSWeights
    /// Runs prompt chunks of more than one token.
    public let backend: any Backend
    /// Runs single-token steps (decode, and one-token prompts); `backend` unless another was given, e.g. the same
    /// kind with fewer threads when more threads stop paying for bandwidth-bound decode.
    public let decodeBackend: any Backend
    /// YaRN cos/sin for positions `0..<contextLength`, built once.
    public let rope: RopeTable
    public let cache: KVCache
    public let state: RunState
    public let contextLength: Int
    public internal(set) var position = 0
    /// Extra ring-buffer rows of each sliding layer (see `init`).
    public let rewindRows: Int
    /// Element type of the KV cache (and of `makeInstance`'s and `ModelBatch`'s caches).
    public let kvCacheType: KVCacheType
    /// Keeps the mapped files alive as long as the weights are used.
    let archive: SafetensorsArchive?

    public var vocabSize: Int { config.vocabSize }
    /// Tokens per forward step (longer prompts are processed in chunks of this many).
    public var prefillChunk: Int { state.chunk }

    /// Builds a model over already-bound weights (tests and tools that construct weights themselves).
    /// - Parameter rewindRows: extra ring-buffer rows of each sliding layer (≥ 0; `rewindRows · kvWidth · 8` bytes
    ///   per sliding layer): after `prefillChunk + rewindRows` positions written past a position p, `truncate(to: p)`
    ///   is still possible (chat passes its per-turn token limit, so the previous prompt's end stays reachable).
    /// - Parameter decodeBackend: the backend of single-token steps (nil = `backend`).
    /// - Parameter kvCache: element type of the KV cache (`.f16`: half the memory, keys and values rounded).
    public init(
        config: ModelConfig, weights: GPTOSSWeights, backend: any Backend, decodeBackend: (any Backend)? = nil,
        contextLength: Int? = nil, prefillChunk: Int = 512, rewindRows: Int = 0, kvCache: KVCacheType = .f32,
        archive: SafetensorsArchive? = nil
    ) throws {
        let context = contextLength ?? min(config.maxPositions, Self.defaultContextLength)
        guard context > 0, context <= config.maxPositions else {
            throw ModelError.invalidParameter(
                name: "contextLength",
                reason: "must be in 1...\(config.maxPositions) (the model's positions), got \(context)")
        }
        guard prefillChunk > 0 else {
            throw ModelError.invalidParameter(name: "prefillChunk", reason: "must be > 0, got \(prefillChunk)")
        }
        guard rewindRows >= 0 else {
            throw ModelError.invalidParameter(name: "rewindRows", reason: "must be ≥ 0, got \(rewindRows)")
        }
        self.config = config
        self.weights = weights
        self.backend = backend
        self.decodeBackend = decodeBackend ?? backend
        self.contextLength = context
        self.rewindRows = rewindRows
        self.kvCacheType = kvCache
        self.archive = archive
        do {
            if let y = config.yarn {
                rope = try RopeTable.yarn(
                    headDim: config.headDim, theta: config.ropeTheta, factor: y.factor,
                    originalContext: y.originalContext,
                    betaFast: y.betaFast, betaSlow: y.betaSlow, truncate: y.truncate, maxPositions: context)
            } else {
                rope = try RopeTable.plain(headDim: config.headDim, theta: config.ropeTheta, maxPositions: context)
            }
        } catch let error as BackendError {
            throw ModelConfigError.invalidValue(file: "config", key: "rope_scaling", reason: error.description)
        }
        let chunk = min(prefillChunk, context)
        cache = KVCache(config: config, contextLength: context, chunk: chunk, rewindRows: rewindRows, type: kvCache)
        state = try RunState(config: config, chunk: chunk)
    }

    /// Loads a checkpoint directory: `config.json` plus safetensors (one file, or shards with
    /// `model.safetensors.index.json`), original or Hugging Face names. A directory whose checkpoint is in
    /// `original/` (as downloaded from Hugging Face) is accepted too. Weights are mapped, not copied.
    /// - Parameters:
    ///   - contextLength: KV cache positions; nil = min(config's max positions, `defaultContextLength`).
    ///   - prefillChunk: tokens per batched step (activation buffers are sized for it).
    ///   - rewindRows: extra ring-buffer rows of sliding layers, for deeper `truncate(to:)` (see `init`).
    ///   - decodeBackend: the backend of single-token steps (nil = `backend`).
    ///   - residency: how the weight files reach memory (mapped by default; see `WeightResidency`).
    ///   - requantize: converts attention and the unembedding to this dtype once at load (`DenseRequantization`).
    ///   - kvCache: element type of the KV cache.
    public static func load(
        directory: URL, backend: any Backend, decodeBackend: (any Backend)? = nil,
        contextLength: Int? = nil, prefillChunk: Int = 512,
        rewindRows: Int = 0, residency: WeightResidency = .mmap,
        requantize: DType? = nil, kvCache: KVCacheType = .f32
    ) throws -> GPTOSSModel {
        var dir = directory
        let fm = FileManager.default
        if !fm.fileExists(atPath: dir.appendingPathComponent("config.json").path),
            fm.fileExists(atPath: dir.appendingPathComponent("original/config.json").path)
        {
            dir = dir.appendingPathComponent("original")
        }
        let config = try ModelConfig.load(directory: dir)
        let archive = try SafetensorsArchive(directory: dir, residency: residency)
        var weights = try GPTOSSWeights.load(archive: archive, config: config, directory: dir)
        if let requantize { weights = try weights.requantized(to: requantize, threads: backend.threads) }
        return try GPTOSSModel(
            config: config, weights: weights, backend: backend, decodeBackend: decodeBackend,
            contextLength: contextLength, prefillChunk: prefillChunk, rewindRows: rewindRows, kvCache: kvCache,
            archive: archive)
    }

    /// A new instance over the same weights, backends and rewind rows (nothing is copied: the weights stay mapped
    /// once) with its own KV cache and run state, for another independent sequence.
    /// - Parameters:
    ///   - contextLength: KV cache positions (nil = this instance's), at most the model's positions.
    ///   - prefillChunk: tokens per batched step (nil = this instance's).
    public func makeInstance(contextLength: Int? = nil, prefillChunk: Int? = nil) throws -> GPTOSSModel {
        try GPTOSSModel(
            config: config, weights: weights, backend: backend, decodeBackend: decodeBackend,
            contextLength: contextLength ?? self.contextLength, prefillChunk: prefillChunk ?? self.prefillChunk,
            rewindRows: rewindRows, kvCache: kvCacheType, archive: archive)
    }

    /// Empties the KV cache (stale rows are never read: attention only sees positions < `position`).
    public func reset() {
        position = 0
        cache.reset()
    }

    /// Rewinds to `position` (keeps positions `0..<position`); the next `prefill`/`decode` continues from there and
    /// gives the logits a fresh model would give for the same token sequence. Full-attention layers hold every
    /// position; a sliding layer's ring buffer must still hold the window before `position`, which positions written
    /// after it may have overwritten (`KVCache.rewindError(to:)`).
    /// - Throws: `ModelError.truncateOutOfRange` unless `0 <= position <= self.position`;
    ///   `ModelError.rewindUnavailable` when a sliding layer lost rows the continuation needs (nothing changes then).
    public func truncate(to position: Int) throws {
        guard position >= 0, position <= self.position else {
            throw ModelError.truncateOutOfRange(to: position, position: self.position)
        }
        if let error = cache.rewindError(to: position) { throw error }
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

    /// Appends `tokens` at `position` and returns logits: `[T, V]` for every position when `allLogits`,
    /// else `[1, V]` for the last one (the `[T, V]` result is a new tensor; the last-row one is run state).
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
