import OSSCore

extension GPTOSSModel: ChunkedForward {
    /// One forward step over `state.tokens` (T = `views.count` ≤ chunk tokens) at `position` on `backend`; leaves
    /// the final residual stream in `views.x` and advances `position`.
    func step(_ views: StepViews, on backend: any Backend) throws {
        let sequence = SequenceRows(cache: cache, position: position, rows: 0..<views.count)
        try forwardStep(views, tokens: state.tokens, sequences: CollectionOfOne(sequence), on: backend)
        position += views.count
    }

    /// One forward step of several sequences at once: row r of the step is token `tokens[r]`; each sequence's rows
    /// (`SequenceRows`) are consecutive positions of that sequence. Embedding, norms, linears and MoE run once over
    /// all rows (T = total rows); RoPE, the KV-cache write and attention run per sequence on its own cache and
    /// positions. Leaves the final residual stream in `views.x` (positions are the caller's to advance).
    func forwardStep<S: Collection<SequenceRows>>(_ views: StepViews, tokens: [Int32], sequences: S,
                                                  on backend: any Backend) throws {
        let c = config
        let x = views.x, normed = views.normed, sub = views.sublayer
        let q = views.q, k = views.k, v = views.v, attn = views.attention
        let scale = 1 / Float(c.headDim).squareRoot()

        try backend.embedding(weights.embedding, tokens: tokens, out: x)
        for l in weights.layers.indices {
            let layer = weights.layers[l], a = layer.attention
            try backend.rmsNorm(x, weight: a.norm, eps: c.rmsNormEps, out: normed)
            try backend.linear(normed, weight: a.q, bias: a.qBias, out: q)
            try backend.linear(normed, weight: a.k, bias: a.kBias, out: k)
            try backend.linear(normed, weight: a.v, bias: a.vBias, out: v)
            for s in sequences {
                let sq = q.rows(s.rows), sk = k.rows(s.rows), p0 = s.position, kv = s.cache.layers[l]
                try backend.rope(sq, heads: c.heads, firstPosition: p0, table: rope, style: .neox)
                try backend.rope(sk, heads: c.kvHeads, firstPosition: p0, table: rope, style: .neox)
                s.cache.store(layer: l, keys: sk, values: v.rows(s.rows), at: p0)
                // The whole layer cache goes to attention: position j sits in row j % rows (a ring buffer for
                // sliding layers, rows = context for full ones), and the op reads only the keys each query sees.
                let params = AttentionParams(heads: c.heads, kvHeads: c.kvHeads, headDim: c.headDim, scale: scale,
                                             window: kv.window, firstPosition: p0)
                try backend.attention(q: sq, keys: kv.keys, values: kv.values, sinks: a.sinks, params: params,
                                      out: attn.rows(s.rows))
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
}

/// The rows of one sequence in a forward step: step rows `rows` are positions `position..<position + rows.count`
/// of the sequence whose keys and values `cache` holds.
struct SequenceRows {
    let cache: KVCache
    let position: Int
    let rows: Range<Int>
}
