import OSSCore

/// A model whose forward pass is a step over preallocated `RunState` views, followed by the final norm and
/// unembedding: what `GPTOSSModel` and `LlamaModel` share. Each family writes one forward step over the rows of one
/// or more sequences (`forwardStep`); the single-sequence chunking (`run`) and the batched slots (`ModelBatch`) are
/// written once, here and in `ModelBatch`.
protocol ChunkedForward: AnyObject {
    var state: RunState { get }
    /// The single-sequence KV cache.
    var cache: KVCache { get }
    var position: Int { get set }
    var contextLength: Int { get }
    var vocabSize: Int { get }
    /// Residual width H.
    var hiddenSize: Int { get }
    var backend: any Backend { get }
    var decodeBackend: any Backend { get }
    /// One forward step of several sequences at once: row r of the step is token `tokens[r]`; each sequence's rows
    /// (`SequenceRows`) are consecutive positions of that sequence. Embedding, norms, linears and the FFN run once
    /// over all rows (T = total rows); RoPE, the KV-cache write and attention run per sequence on its own cache and
    /// positions. Leaves the final residual stream in `views.x` (positions are the caller's to advance).
    func forwardStep<S: Collection<SequenceRows>>(
        _ views: StepViews, tokens: [Int32], sequences: S, on backend: any Backend) throws
    /// Final norm and unembedding of residual rows `x` (via `normed`, same shape) into `out` `[rows, V]`.
    func logits(_ x: Tensor, _ normed: Tensor, into out: Tensor, on backend: any Backend) throws
    /// Activation buffers of this model's widths for steps of up to `rows` rows.
    func makeRunState(rows: Int) throws -> RunState
    /// An empty KV cache of this model's layers for `contextLength` positions, written in steps of up to `chunk`
    /// rows; `rewindRows`: extra ring rows of sliding-window layers (see `GPTOSSModel.init`).
    func makeCache(contextLength: Int, chunk: Int, rewindRows: Int) -> KVCache
}

/// The rows of one sequence in a forward step: step rows `rows` are positions `position..<position + rows.count`
/// of the sequence whose keys and values `cache` holds.
struct SequenceRows {
    let cache: KVCache
    let position: Int
    let rows: Range<Int>
}

extension ChunkedForward {
    /// One step of the single sequence over `state.tokens` (T = `views.count`) at `position`: leaves the final
    /// residual stream in `views.x` and advances `position` by T.
    func step(_ views: StepViews, on backend: any Backend) throws {
        let sequence = SequenceRows(cache: cache, position: position, rows: 0..<views.count)
        try forwardStep(views, tokens: state.tokens, sequences: CollectionOfOne(sequence), on: backend)
        position += views.count
    }

    /// Validates the tokens, then runs them through the model in chunks of `state.chunk`.
    /// `allLogits` (`[T, V]`) receives every position's logits; otherwise only the last position's go to
    /// `state.logits`. Single-token chunks (decode) run on `decodeBackend`.
    func run<C: Collection<Int32>>(_ tokens: C, allLogits: Tensor?) throws where C.Index == Int {
        guard !tokens.isEmpty else { throw ModelError.emptyPrompt }
        guard position + tokens.count <= contextLength else {
            throw ModelError.contextOverflow(position: position, tokens: tokens.count, contextLength: contextLength)
        }
        for (i, t) in zip(tokens.indices, tokens) where t < 0 || Int(t) >= vocabSize {
            throw ModelError.tokenOutOfRange(token: t, index: i - tokens.startIndex, vocab: vocabSize)
        }
        var start = tokens.startIndex
        while start < tokens.endIndex {
            let end = min(start + state.chunk, tokens.endIndex)
            state.tokens.removeAll(keepingCapacity: true)
            state.tokens.append(contentsOf: tokens[start..<end])
            let views = state.views(count: end - start)
            let engine = views.count == 1 ? decodeBackend : backend
            try step(views, on: engine)
            if let all = allLogits {
                let base = start - tokens.startIndex
                try logits(views.x, views.normed, into: all.rows(base..<(base + views.count)), on: engine)
            } else if end == tokens.endIndex {
                try logits(views.lastX, views.lastNormed, into: state.logitsRow, on: engine)
            }
            start = end
        }
    }
}
