import OSSCore

/// A model with `slots` sequences in flight (continuous batching), for every model family this package runs
/// (gpt-oss, and the dense Llama family): shares the model's weights, RoPE table and backends, and keeps per slot a
/// KV cache and a position. A step runs the family's forward step over the entries' concatenated rows (linears, MoE
/// or dense FFN once over all rows; RoPE, cache writes and attention per slot), then the final norm and unembedding
/// over the last row of each entry that wants logits.
public final class ModelBatch: BatchedLanguageModel {
    /// The single-sequence model whose weights the slots share (its own KV cache is not used).
    public let model: any LanguageModel
    /// The same model as the family's forward step.
    let forward: any ChunkedForward
    /// One KV cache per slot.
    public let caches: [KVCache]
    public private(set) var positions: [Int]
    public let contextLength: Int
    /// Activation buffers for `maxStepRows` rows.
    let state: RunState
    /// Last row of each logits-wanting entry `[slots, H]`, normed copy, and their logits `[slots, V]`.
    let lastX: Tensor, lastNormed: Tensor, logits: Tensor
    /// Per-step scratch, refilled in place (no allocation once capacity is reached).
    private var tokens: [Int32] = []
    private var sequences: [SequenceRows] = []
    private var seen: [Bool]

    public var vocabSize: Int { forward.vocabSize }
    public var slotCount: Int { caches.count }
    public var maxStepRows: Int { state.chunk }
    public var backend: any Backend { forward.backend }

    /// - Parameters:
    ///   - model: a `GPTOSSModel` or `LlamaModel` (as `ModelLoader` returns them); load it with `prefillChunk: 1`
    ///     to keep its own activation buffers small, since the batch has its own.
    ///   - slots: sequences in flight (≥ 1).
    ///   - contextLength: positions per slot (≤ the model's context, whose RoPE table is shared); nil = the model's.
    ///   - maxStepRows: rows per step (decode rows of all slots plus prompt chunks); sizes the activation buffers.
    ///   - rewindRows: extra ring-buffer rows of sliding layers per slot, so a slot can rewind that far back to
    ///     reuse a conversation prefix (see `GPTOSSModel.init`; models without sliding layers ignore it).
    /// - Throws: `ModelError.invalidParameter` for a model of another kind or a parameter out of range.
    public init(
        model: any LanguageModel, slots: Int, contextLength: Int? = nil, maxStepRows: Int,
        rewindRows: Int = 0
    ) throws {
        guard let forward = model as? any ChunkedForward else {
            throw ModelError.invalidParameter(
                name: "model", reason: "\(type(of: model)) has no batched forward step (gpt-oss and Llama-family do)")
        }
        let context = contextLength ?? model.contextLength
        guard slots >= 1 else {
            throw ModelError.invalidParameter(name: "slots", reason: "must be ≥ 1, got \(slots)")
        }
        guard context >= 1, context <= model.contextLength else {
            throw ModelError.invalidParameter(
                name: "contextLength", reason: "must be in 1...\(model.contextLength) (the model's), got \(context)")
        }
        guard maxStepRows >= 1 else {
            throw ModelError.invalidParameter(name: "maxStepRows", reason: "must be ≥ 1, got \(maxStepRows)")
        }
        guard rewindRows >= 0 else {
            throw ModelError.invalidParameter(name: "rewindRows", reason: "must be ≥ 0, got \(rewindRows)")
        }
        self.model = model
        self.forward = forward
        self.contextLength = context
        caches = (0..<slots).map { _ in
            forward.makeCache(contextLength: context, chunk: min(maxStepRows, context), rewindRows: rewindRows)
        }
        positions = Array(repeating: 0, count: slots)
        seen = Array(repeating: false, count: slots)
        state = try forward.makeRunState(rows: maxStepRows)
        lastX = Tensor(zeros: [slots, forward.hiddenSize])
        lastNormed = Tensor(zeros: [slots, forward.hiddenSize])
        logits = Tensor(zeros: [slots, forward.vocabSize])
        tokens.reserveCapacity(maxStepRows)
        sequences.reserveCapacity(slots)
    }

    /// Bytes of all slots' KV caches.
    public var cacheBytes: Int { caches.reduce(0) { $0 + $1.bytes } }

    public func position(ofSlot slot: Int) -> Int { positions[slot] }

    public func reset(slot: Int) {
        positions[slot] = 0
        caches[slot].reset()
    }

    public func truncate(slot: Int, to position: Int) throws {
        guard position >= 0, position <= positions[slot] else {
            throw ModelError.truncateOutOfRange(to: position, position: positions[slot])
        }
        if let error = caches[slot].rewindError(to: position) { throw error }
        caches[slot].truncate(to: position)
        positions[slot] = position
    }

    public func step(_ entries: [BatchEntry]) throws -> Tensor {
        try validate(entries)
        tokens.removeAll(keepingCapacity: true)
        sequences.removeAll(keepingCapacity: true)
        for e in entries {
            let first = tokens.count
            tokens.append(contentsOf: e.tokens)
            sequences.append(
                SequenceRows(
                    cache: caches[e.slot], position: positions[e.slot],
                    rows: first..<tokens.count))
        }
        let views = state.views(count: tokens.count)
        // single-row steps run on the decode backend, as in the single-sequence model
        let engine = views.count == 1 ? forward.decodeBackend : forward.backend
        try forward.forwardStep(views, tokens: tokens, sequences: sequences, on: engine)
        var n = 0
        for (e, s) in zip(entries, sequences) {
            positions[e.slot] += s.rows.count
            guard e.wantsLogits else { continue }
            lastX.row(n).copy(from: views.x.row(s.rows.upperBound - 1))
            n += 1
        }
        guard n > 0 else { return logits.rows(0..<0) }
        let out = logits.rows(0..<n)
        try forward.logits(lastX.rows(0..<n), lastNormed.rows(0..<n), into: out, on: engine)
        return out
    }

    /// Checks every entry before anything runs (the caches stay untouched on error).
    private func validate(_ entries: [BatchEntry]) throws {
        for i in seen.indices { seen[i] = false }
        var rows = 0
        for e in entries {
            guard e.slot >= 0, e.slot < slotCount else {
                throw ModelError.invalidParameter(name: "slot", reason: "\(e.slot) is outside 0..<\(slotCount)")
            }
            guard !seen[e.slot] else {
                throw ModelError.invalidParameter(name: "slot", reason: "slot \(e.slot) appears twice in one step")
            }
            seen[e.slot] = true
            guard !e.tokens.isEmpty else { throw ModelError.emptyPrompt }
            guard positions[e.slot] + e.tokens.count <= contextLength else {
                throw ModelError.contextOverflow(
                    position: positions[e.slot], tokens: e.tokens.count,
                    contextLength: contextLength)
            }
            for (i, t) in e.tokens.enumerated() where t < 0 || Int(t) >= vocabSize {
                throw ModelError.tokenOutOfRange(token: t, index: i, vocab: vocabSize)
            }
            rows += e.tokens.count
        }
        guard rows >= 1, rows <= maxStepRows else {
            throw ModelError.invalidParameter(
                name: "entries",
                reason: "\(rows) rows in one step, allowed 1...\(maxStepRows)")
        }
    }
}
