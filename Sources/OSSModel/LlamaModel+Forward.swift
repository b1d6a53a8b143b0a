import OSSCore

extension LlamaModel: ChunkedForward {
    /// One forward step over the rows of `sequences` (see `ChunkedForward.forwardStep`).
    ///
    /// Per block: `h = x + O·Attn(RoPE(q), RoPE(k), v)` over RMSNorm(x) (qwen3: q and k RMS-normed per head first),
    /// then `x = h + down(silu(gate·n) ⊙ up·n)` with `n = RMSNorm(h)`. RoPE, the cache write and attention run per
    /// sequence at its own positions; everything else once over all rows.
    func forwardStep<S: Collection<SequenceRows>>(
        _ views: StepViews, tokens: [Int32], sequences: S, on backend: any Backend
    ) throws {
        let c = config
        let t = views.count
        let x = views.x
        let normed = views.normed
        let sub = views.sublayer
        let q = views.q
        let k = views.k
        let v = views.v
        let attn = views.attention
        let gate = views.gate
        let up = views.up
        let style = c.architecture.ropeStyle
        let scale = 1 / Float(c.headDim).squareRoot()

        try backend.embedding(weights.embedding, tokens: tokens, out: x)
        for l in weights.layers.indices {
            let w = weights.layers[l]
            try backend.rmsNorm(x, weight: w.attentionNorm, eps: c.rmsNormEps, out: normed)
            try backend.linear(normed, weight: w.q, bias: w.qBias, out: q)
            try backend.linear(normed, weight: w.k, bias: w.kBias, out: k)
            try backend.linear(normed, weight: w.v, bias: w.vBias, out: v)
            if let qNorm = w.qNorm, let kNorm = w.kNorm {
                // Each head's d-vector is a row of the [T·heads, d] view.
                let qHeads = try q.reshaped([t * c.heads, c.headDim])
                let kHeads = try k.reshaped([t * c.kvHeads, c.headDim])
                try backend.rmsNorm(qHeads, weight: qNorm, eps: c.rmsNormEps, out: qHeads)
                try backend.rmsNorm(kHeads, weight: kNorm, eps: c.rmsNormEps, out: kHeads)
            }
            for s in sequences {
                let sq = q.rows(s.rows)
                let sk = k.rows(s.rows)
                let p0 = s.position
                let kv = s.cache.layers[l]
                try backend.rope(sq, heads: c.heads, firstPosition: p0, table: rope, style: style)
                try backend.rope(sk, heads: c.kvHeads, firstPosition: p0, table: rope, style: style)
                s.cache.store(layer: l, keys: sk, values: v.rows(s.rows), at: p0)
                let params = AttentionParams(
                    heads: c.heads, kvHeads: c.kvHeads, headDim: c.headDim, scale: scale, window: 0,
                    firstPosition: p0)
                try kv.attention(q: sq, sinks: nil, params: params, out: attn.rows(s.rows), on: backend)
            }
            try backend.linear(attn, weight: w.out, bias: w.outBias, out: sub)
            try backend.add(x, sub, out: x)

            try backend.rmsNorm(x, weight: w.ffnNorm, eps: c.rmsNormEps, out: normed)
            try backend.linear(normed, weight: w.gate, bias: w.gateBias, out: gate)
            try backend.linear(normed, weight: w.up, bias: w.upBias, out: up)
            try backend.siluMul(gate: gate, up: up, out: gate)
            try backend.linear(gate, weight: w.down, bias: w.downBias, out: sub)
            try backend.add(x, sub, out: x)
        }
    }

    /// Final norm and unembedding of residual rows `x` (via `normed`, same shape) into `out` `[rows, V]`.
    func logits(_ x: Tensor, _ normed: Tensor, into out: Tensor, on backend: any Backend) throws {
        try backend.rmsNorm(x, weight: weights.finalNorm, eps: config.rmsNormEps, out: normed)
        try backend.linear(normed, weight: weights.unembedding, bias: weights.unembeddingBias, out: out)
    }

    var hiddenSize: Int { config.hiddenSize }

    func makeRunState(rows: Int) throws -> RunState { try Self.runState(config, rows: rows) }

    /// Every layer keeps every position (no sliding windows), so `rewindRows` has nothing to add.
    func makeCache(contextLength: Int, chunk: Int, rewindRows: Int) -> KVCache {
        Self.cache(config, contextLength: contextLength, chunk: chunk, type: kvCacheType)
    }

    static func runState(_ c: LlamaConfig, rows: Int) throws -> RunState {
        try RunState(
            hidden: c.hiddenSize, qWidth: c.qWidth, kvWidth: c.kvWidth, ffnWidth: c.feedForward, vocab: c.vocabSize,
            chunk: rows)
    }

    static func cache(_ c: LlamaConfig, contextLength: Int, chunk: Int, type: KVCacheType) -> KVCache {
        KVCache(
            windows: Array(repeating: 0, count: c.layers), width: c.kvWidth, contextLength: contextLength, chunk: chunk,
            type: type)
    }

    /// Weight bytes and FLOPs per token (for rooflines): every matrix once, the unembedding, one embedding row.
    public var footprint: ModelFootprint {
        let c = config
        let w = weights
        var flops = 0.0
        var total = Double(w.embedding.storedBytes) + 4 * Double(c.hiddenSize)
        var small = 4.0 * Double(c.hiddenSize)
        var dense: [DType: Double] = [:]
        if !c.tiedEmbeddings { total += Double(w.unembedding.storedBytes) }
        for l in w.layers {
            let matrices = [l.q, l.k, l.v, l.out, l.gate, l.up, l.down]
            for m in matrices {
                flops += 2 * Double(m.shape.count)
                dense[m.dtype, default: 0] += 2 * Double(m.shape.count)
                total += Double(m.storedBytes)
            }
            let vectors =
                [l.attentionNorm, l.ffnNorm]
                + [
                    l.qBias, l.kBias, l.vBias, l.outBias, l.qNorm, l.kNorm,
                    l.gateBias, l.upBias, l.downBias,
                ].compactMap { $0 }
            let bytes = 4 * Double(vectors.reduce(0) { $0 + $1.count })
            small += bytes
            total += bytes
        }
        let names = Set(
            [w.layers.first?.q.dtype, w.layers.first?.gate.dtype, w.unembedding.dtype].compactMap { $0?.rawValue })
        return ModelFootprint(
            decodeBytesPerToken: Double(w.activeBytesPerToken) + small, layerFLOPsPerToken: flops,
            unembedFLOPs: 2 * Double(w.unembedding.shape.count), totalWeightBytes: total,
            dtypes: names.sorted().joined(separator: "+"),
            attentionLayers: Array(
                repeating: ModelFootprint.AttentionLayer(heads: c.heads, headDim: c.headDim, window: 0),
                count: c.layers),
            denseFLOPsPerToken: dense, unembedDType: w.unembedding.dtype)
    }
}
