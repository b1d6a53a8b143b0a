import OSSCore

extension GPTOSSModel: ChunkedForward {
    /// One forward step over the rows of `sequences` (see `ChunkedForward.forwardStep`): attention with sinks and
    /// sliding windows per sequence, MoE over all rows.
    func forwardStep<S: Collection<SequenceRows>>(
        _ views: StepViews, tokens: [Int32], sequences: S,
        on backend: any Backend
    ) throws {
        let c = config
        let x = views.x
        let normed = views.normed
        let sub = views.sublayer
        let q = views.q
        let k = views.k
        let v = views.v
        let attn = views.attention
        let scale = 1 / Float(c.headDim).squareRoot()

        try backend.embedding(weights.embedding, tokens: tokens, out: x)
        for l in weights.layers.indices {
            let layer = weights.layers[l]
            let a = layer.attention
            try backend.rmsNorm(x, weight: a.norm, eps: c.rmsNormEps, out: normed)
            try backend.linear(normed, weight: a.q, bias: a.qBias, out: q)
            try backend.linear(normed, weight: a.k, bias: a.kBias, out: k)
            try backend.linear(normed, weight: a.v, bias: a.vBias, out: v)
            for s in sequences {
                let sq = q.rows(s.rows)
                let sk = k.rows(s.rows)
                let p0 = s.position
                let kv = s.cache.layers[l]
                try backend.rope(sq, heads: c.heads, firstPosition: p0, table: rope, style: .neox)
                try backend.rope(sk, heads: c.kvHeads, firstPosition: p0, table: rope, style: .neox)
                s.cache.store(layer: l, keys: sk, values: v.rows(s.rows), at: p0)
                // The whole layer cache goes to attention: position j sits in row j % rows (a ring buffer for
                // sliding layers, rows = context for full ones), and the op reads only the keys each query sees.
                let params = AttentionParams(
                    heads: c.heads, kvHeads: c.kvHeads, headDim: c.headDim, scale: scale,
                    window: kv.window, firstPosition: p0)
                try kv.attention(q: sq, sinks: a.sinks, params: params, out: attn.rows(s.rows), on: backend)
            }
            try backend.linear(attn, weight: a.out, bias: a.outBias, out: sub)
            try backend.add(x, sub, out: x)

            try backend.rmsNorm(x, weight: layer.mlpNorm, eps: c.rmsNormEps, out: normed)
            try backend.moe(normed, weights: layer.moe, out: sub)
            try backend.add(x, sub, out: x)
        }
    }

    /// Final norm and unembedding of residual rows `x` (via `normed`, same shape) into `out` `[rows, V]`.
    func logits(_ x: Tensor, _ normed: Tensor, into out: Tensor, on backend: any Backend) throws {
        try backend.rmsNorm(x, weight: weights.finalNorm, eps: config.rmsNormEps, out: normed)
        try backend.linear(normed, weight: weights.unembedding, bias: nil, out: out)
    }

    var hiddenSize: Int { config.hiddenSize }

    func makeRunState(rows: Int) throws -> RunState { try RunState(config: config, chunk: rows) }

    func makeCache(contextLength: Int, chunk: Int, rewindRows: Int) -> KVCache {
        KVCache(config: config, contextLength: contextLength, chunk: chunk, rewindRows: rewindRows, type: kvCacheType)
    }
}
