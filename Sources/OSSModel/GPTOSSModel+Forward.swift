import OSSCore

extension GPTOSSModel {
    /// Validates the tokens, then runs them through the model in chunks of `prefillChunk`.
    /// `allLogits` (`[T, V]`) receives every position's logits; otherwise only the last position's go to
    /// `state.logits`.
    func run<C: Collection<Int32>>(_ tokens: C, allLogits: Tensor?) throws where C.Index == Int {
        guard !tokens.isEmpty else { throw ModelError.emptyPrompt }
        guard position + tokens.count <= contextLength else {
            throw ModelError.contextOverflow(position: position, tokens: tokens.count, contextLength: contextLength)
        }
        for (i, t) in zip(tokens.indices, tokens) where t < 0 || Int(t) >= config.vocabSize {
            throw ModelError.tokenOutOfRange(token: t, index: i - tokens.startIndex, vocab: config.vocabSize)
        }
        var start = tokens.startIndex
        while start < tokens.endIndex {
            let end = min(start + state.chunk, tokens.endIndex)
            state.tokens.removeAll(keepingCapacity: true)
            state.tokens.append(contentsOf: tokens[start..<end])
            let views = state.views(count: end - start)
            // single-token steps (decode) may run on their own backend, e.g. with fewer threads
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

    /// One forward step over `state.tokens` (T = `views.count` ≤ chunk tokens) at `position` on `backend`; leaves
    /// the final residual stream in `views.x` and advances `position`.
    private func step(_ views: StepViews, on backend: any Backend) throws {
        let c = config, t = views.count, p0 = position
        let x = views.x, normed = views.normed, sub = views.sublayer
        let q = views.q, k = views.k, v = views.v, attn = views.attention
        let scale = 1 / Float(c.headDim).squareRoot()

        try backend.embedding(weights.embedding, tokens: state.tokens, out: x)
        for l in weights.layers.indices {
            let layer = weights.layers[l], a = layer.attention, kv = cache.layers[l]
            try backend.rmsNorm(x, weight: a.norm, eps: c.rmsNormEps, out: normed)
            try backend.linear(normed, weight: a.q, bias: a.qBias, out: q)
            try backend.linear(normed, weight: a.k, bias: a.kBias, out: k)
            try backend.linear(normed, weight: a.v, bias: a.vBias, out: v)
            try backend.rope(q, heads: c.heads, firstPosition: p0, table: rope, style: .neox)
            try backend.rope(k, heads: c.kvHeads, firstPosition: p0, table: rope, style: .neox)
            cache.store(layer: l, keys: k, values: v, at: p0)
            // The whole layer cache goes to attention: position j sits in row j % rows (a ring buffer for
            // sliding layers, rows = context for full ones), and the op reads only the keys each query sees.
            let params = AttentionParams(heads: c.heads, kvHeads: c.kvHeads, headDim: c.headDim, scale: scale,
                                         window: kv.window, firstPosition: p0)
            try backend.attention(q: q, keys: kv.keys, values: kv.values, sinks: a.sinks, params: params, out: attn)
            try backend.linear(attn, weight: a.out, bias: a.outBias, out: sub)
            try backend.add(x, sub, out: x)

            try backend.rmsNorm(x, weight: layer.mlpNorm, eps: c.rmsNormEps, out: normed)
            try backend.moe(normed, weights: layer.moe, out: sub)
            try backend.add(x, sub, out: x)
        }
        position = p0 + t
    }

    /// Final norm and unembedding of residual rows `x` (via `normed`, same shape) into `out` `[rows, V]`.
    private func logits(_ x: Tensor, _ normed: Tensor, into out: Tensor, on backend: any Backend) throws {
        try backend.rmsNorm(x, weight: weights.finalNorm, eps: config.rmsNormEps, out: normed)
        try backend.linear(normed, weight: weights.unembedding, bias: nil, out: out)
    }
}
