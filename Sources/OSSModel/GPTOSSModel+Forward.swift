import OSSCore

extension GPTOSSModel: ChunkedForward {
    /// One forward step over `state.tokens` (T = `views.count` ≤ chunk tokens) at `position` on `backend`; leaves
    /// the final residual stream in `views.x` and advances `position`.
    func step(_ views: StepViews, on backend: any Backend) throws {
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
    func logits(_ x: Tensor, _ normed: Tensor, into out: Tensor, on backend: any Backend) throws {
        try backend.rmsNorm(x, weight: weights.finalNorm, eps: config.rmsNormEps, out: normed)
        try backend.linear(normed, weight: weights.unembedding, bias: nil, out: out)
    }
}
