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
            try step(count: end - start)
            let base = start - tokens.startIndex
            if let all = allLogits {
                try logits(rows: 0..<(end - start), into: all.rows(base..<(base + end - start)))
            } else if end == tokens.endIndex {
                try logits(rows: (end - start - 1)..<(end - start), into: state.logitsRow)
            }
            start = end
        }
    }

    /// One forward step over `state.tokens` (`count` ≤ chunk tokens) at `position`; leaves the final residual
    /// stream in `state.x` and advances `position`.
    private func step(count t: Int) throws {
        let s = state, c = config
        let x = s.x.rows(0..<t), normed = s.normed.rows(0..<t), sub = s.sublayer.rows(0..<t)
        let q = s.q.rows(0..<t), k = s.k.rows(0..<t), v = s.v.rows(0..<t), attn = s.attention.rows(0..<t)
        let p0 = position
        let scale = 1 / Float(c.headDim).squareRoot()

        try backend.embedding(weights.embedding, tokens: s.tokens, out: x)
        for (l, layer) in weights.layers.enumerated() {
            let a = layer.attention
            try backend.rmsNorm(x, weight: a.norm, eps: c.rmsNormEps, out: normed)
            try backend.linear(normed, weight: a.q, bias: a.qBias, out: q)
            try backend.linear(normed, weight: a.k, bias: a.kBias, out: k)
            try backend.linear(normed, weight: a.v, bias: a.vBias, out: v)
            try backend.rope(q, heads: c.heads, firstPosition: p0, table: rope, style: .neox)
            try backend.rope(k, heads: c.kvHeads, firstPosition: p0, table: rope, style: .neox)
            cache.store(layer: l, keys: k, values: v, at: p0)
            let kv = cache.attended(layer: l, lastPosition: p0 + t - 1)
            let params = AttentionParams(heads: c.heads, kvHeads: c.kvHeads, headDim: c.headDim, scale: scale,
                                         window: cache.layers[l].window, firstPosition: p0)
            try backend.attention(q: q, keys: kv.keys, values: kv.values, sinks: a.sinks, params: params, out: attn)
            try backend.linear(attn, weight: a.out, bias: a.outBias, out: sub)
            try backend.add(x, sub, out: x)

            try backend.rmsNorm(x, weight: layer.mlpNorm, eps: c.rmsNormEps, out: normed)
            try backend.moe(normed, weights: layer.moe, out: sub)
            try backend.add(x, sub, out: x)
        }
        position = p0 + t
    }

    /// Final norm and unembedding of residual rows `rows` of the last step into `out` `[rows.count, V]`.
    private func logits(rows: Range<Int>, into out: Tensor) throws {
        let x = state.x.rows(rows), normed = state.normed.rows(rows)
        try backend.rmsNorm(x, weight: weights.finalNorm, eps: config.rmsNormEps, out: normed)
        try backend.linear(normed, weight: weights.unembedding, bias: nil, out: out)
    }
}
