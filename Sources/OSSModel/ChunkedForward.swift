import OSSCore

/// A model whose forward pass is a step over preallocated `RunState` views of up to `state.chunk` tokens, followed
/// by the final norm and unembedding: the shared token validation and chunking of `GPTOSSModel` and `LlamaModel`.
protocol ChunkedForward: AnyObject {
    var state: RunState { get }
    var position: Int { get }
    var contextLength: Int { get }
    var vocabSize: Int { get }
    var backend: any Backend { get }
    var decodeBackend: any Backend { get }
    /// One step over `state.tokens` (T = `views.count`) at `position`: leaves the final residual stream in
    /// `views.x` and advances `position` by T.
    func step(_ views: StepViews, on backend: any Backend) throws
    /// Final norm and unembedding of residual rows `x` (via `normed`, same shape) into `out` `[rows, V]`.
    func logits(_ x: Tensor, _ normed: Tensor, into out: Tensor, on backend: any Backend) throws
}

extension ChunkedForward {
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
