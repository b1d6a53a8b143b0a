import OSSCore

extension SwiftBackend {
    /// Causal GQA attention over a KV cache with optional sliding window and sink logits, parallel over
    /// (query row, head); scores live in a per-worker row buffer.
    public func attention(q: Tensor, keys: Tensor, values: Tensor, sinks: Tensor?, params p: AttentionParams,
                          out: Tensor) throws {
        try OpValidation.attention(q: q, keys: keys, values: values, sinks: sinks, p: p, out: out)
        withScratch { scratch in
            let rows = q.rows, heads = p.heads, d = p.headDim, slots = keys.rows
            let group = heads / p.kvHeads, qWidth = heads * d, kvWidth = p.kvHeads * d
            let qp = q.pointer, kp = keys.pointer, vp = values.pointer, op = out.pointer
            let sinkp = sinks?.pointer
            let scale = p.scale, window = p.window, firstPosition = p.firstPosition
            for worker in 0..<threads { _ = scratch.workerRow[worker].floats(slots) }
            parallelFor(rows * heads) { task, worker in
                let t = task / heads, h = task % heads
                let pos = firstPosition + t
                let lo = window > 0 ? max(0, pos - window + 1) : 0
                let count = pos - lo + 1
                let qv = UnsafePointer(qp + t * qWidth + h * d)
                let kvOffset = (h / group) * d
                let scores = scratch.workerRow[worker].floats(slots)
                var slot = lo % slots
                var m = -Float.infinity
                for j in 0..<count {
                    let s = scale * VectorMath.dot(qv, kp + slot * kvWidth + kvOffset, d)
                    scores[j] = s
                    m = max(m, s)
                    slot += 1
                    if slot == slots { slot = 0 }
                }
                let sink = sinkp?[h]
                if let sink { m = max(m, sink) }
                var sum: Float = 0
                var j = 0
                let mv = SIMD8<Float>(repeating: m)
                var sv = SIMD8<Float>()
                while j + 8 <= count {
                    let e = VectorMath.exp(VectorMath.load8(scores + j) - mv)
                    VectorMath.store8(e, scores + j)
                    sv += e
                    j += 8
                }
                sum = VectorMath.sum(sv)
                while j < count { let e = VectorMath.exp(scores[j] - m); scores[j] = e; sum += e; j += 1 }
                if let sink { sum += VectorMath.exp(sink - m) }
                let inv = 1 / sum
                let o = op + t * qWidth + h * d
                o.update(repeating: 0, count: d)
                slot = lo % slots
                for j in 0..<count {
                    let wgt = scores[j] * inv
                    let v = vp + slot * kvWidth + kvOffset
                    let wv = SIMD8<Float>(repeating: wgt)
                    var i = 0
                    while i + 8 <= d {
                        VectorMath.store8(VectorMath.load8(o + i).addingProduct(wv, VectorMath.load8(v + i)), o + i)
                        i += 8
                    }
                    while i < d { o[i] += wgt * v[i]; i += 1 }
                    slot += 1
                    if slot == slots { slot = 0 }
                }
            }
        }
    }
}
