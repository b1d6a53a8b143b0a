import OSSCore

extension SwiftBackend {
    /// Query heads handled together per KV head: their scores and outputs share every K/V load.
    static let attentionHeadBlock = 8
    /// Keys per block of the value pass (their value rows stay in L1 across the head block).
    static let attentionKeyBlock = 64

    /// Causal GQA attention over a KV cache with optional sliding window and sink logits. Parallel (round-robin) over
    /// (query row, KV head); inside a task, the query heads that share the KV head are processed together, so
    /// each key and value row is loaded once for all of them. Scores live in a per-worker buffer.
    public func attention(
        q: Tensor, keys: Tensor, values: Tensor, sinks: Tensor?, params p: AttentionParams,
        out: Tensor
    ) throws {
        try OpValidation.attention(q: q, keys: keys, values: values, sinks: sinks, p: p, out: out)
        attention(
            FloatCacheRows.self, q: q, keys: UnsafeRawPointer(keys.pointer), values: UnsafeRawPointer(values.pointer),
            slots: keys.rows, sinks: sinks, params: p, out: out)
    }

    /// As above over an F16 cache: each key row a score group reads is widened to floats first (8 at a time), each
    /// value row in the value pass as it is loaded.
    public func attention(
        q: Tensor, keys: HalfTensor, values: HalfTensor, sinks: Tensor?, params p: AttentionParams,
        out: Tensor
    ) throws {
        try OpValidation.attention(q: q, keys: keys, values: values, sinks: sinks, p: p, out: out)
        attention(
            HalfCacheRows.self, q: q, keys: UnsafeRawPointer(keys.pointer), values: UnsafeRawPointer(values.pointer),
            slots: keys.rows, sinks: sinks, params: p, out: out)
    }

    /// Attention over validated cache rows of element type `Rows` (specialised per type: no per-row branch).
    private func attention<Rows: AttentionRows>(
        _: Rows.Type, q: Tensor, keys: UnsafeRawPointer, values: UnsafeRawPointer, slots: Int, sinks: Tensor?,
        params p: AttentionParams, out: Tensor
    ) {
        withScratch { scratch in
            let rows = q.rows
            let heads = p.heads
            let kvHeads = p.kvHeads
            let d = p.headDim
            let group = heads / kvHeads
            let hb = SwiftBackend.attentionHeadBlock
            let geometry = AttentionGeometry<Rows>(
                q: q.pointer, keys: keys, values: values, out: out.pointer, sinks: sinks?.pointer,
                headDim: d, qWidth: heads * d, kvWidth: kvHeads * d, slots: slots, scale: p.scale)
            // Per worker: scores [hb, slots], probabilities key-major [slots, hb], output accumulators [hb, d],
            // 8 key rows widened from halves [8, d].
            let perWorker = 2 * hb * slots + hb * d + 8 * d
            for worker in 0..<threads { _ = scratch.workerRow[worker].floats(perWorker) }
            parallelInterleaved(
                rows * kvHeads,
                AttentionTasks(
                    geometry: geometry, kvHeads: kvHeads, group: group,
                    firstPosition: p.firstPosition, window: p.window,
                    buffers: scratch.workerRow, perWorker: perWorker))
        }
    }
}

/// One attention task `(query row t, KV head g)` = `t·kvHeads + g`: the query heads of the group, in blocks of
/// ≤ 8, over the keys the causal (and sliding) window allows; scores in worker `worker`'s row buffer.
struct AttentionTasks<Rows: AttentionRows>: IndexKernel {
    let geometry: AttentionGeometry<Rows>
    let kvHeads: Int
    /// Query heads per KV head.
    let group: Int
    let firstPosition: Int
    let window: Int
    /// Per-worker buffers, already sized to `perWorker` floats.
    let buffers: [ScratchBuffer]
    let perWorker: Int

    @inline(__always)
    func run(_ task: Int, worker: Int) {
        let t = task / kvHeads
        let g = task % kvHeads
        let pos = firstPosition + t
        let lo = window > 0 ? max(0, pos - window + 1) : 0
        let buffer = buffers[worker].floats(perWorker)
        let hb = SwiftBackend.attentionHeadBlock
        var h0 = 0
        while h0 < group {
            let count = min(hb, group - h0)
            geometry.headBlock(
                row: t, kvHead: g, firstHead: g * group + h0, heads: count,
                firstKey: lo, keys: pos - lo + 1, buffer: buffer)
            h0 += count
        }
    }
}

/// Pointers and sizes of one attention call, and the kernel for a block of ≤ 8 query heads sharing a KV head.
struct AttentionGeometry<Rows: AttentionRows> {
    let q: UnsafeMutablePointer<Float>
    /// Cache rows of element type `Rows`.
    let keys: UnsafeRawPointer
    let values: UnsafeRawPointer
    let out: UnsafeMutablePointer<Float>
    let sinks: UnsafeMutablePointer<Float>?
    let headDim: Int
    let qWidth: Int
    let kvWidth: Int
    let slots: Int
    let scale: Float

    /// Heads `firstHead ..< firstHead+heads` (heads ≤ 8) of query row `row` over keys at absolute positions
    /// `firstKey ..< firstKey+keys`, cache row = position mod slots. `buffer`: `16·slots + 16·headDim` floats.
    @inline(__always)
    func headBlock(
        row: Int, kvHead: Int, firstHead: Int, heads: Int, firstKey: Int, keys count: Int,
        buffer: UnsafeMutablePointer<Float>
    ) {
        let d = headDim
        let hb = SwiftBackend.attentionHeadBlock
        let probs = buffer + hb * slots
        let acc = probs + hb * slots
        let widened = acc + hb * d  // [8, d]: the key rows of a score group, from an F16 cache
        let kvOffset = kvHead * d
        // 1. Scores: 8 keys at a time (their rows stay in L1 across the heads), each head's 8 dots reduced together.
        var j = 0
        var slot = firstKey % slots
        while j + 8 <= count {
            var rowsPtr:
                (
                    UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>,
                    UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>
                )
            rowsPtr.0 = keyRow(slot, kvOffset, widened + 0 * d)
            slot = next(slot)
            rowsPtr.1 = keyRow(slot, kvOffset, widened + 1 * d)
            slot = next(slot)
            rowsPtr.2 = keyRow(slot, kvOffset, widened + 2 * d)
            slot = next(slot)
            rowsPtr.3 = keyRow(slot, kvOffset, widened + 3 * d)
            slot = next(slot)
            rowsPtr.4 = keyRow(slot, kvOffset, widened + 4 * d)
            slot = next(slot)
            rowsPtr.5 = keyRow(slot, kvOffset, widened + 5 * d)
            slot = next(slot)
            rowsPtr.6 = keyRow(slot, kvOffset, widened + 6 * d)
            slot = next(slot)
            rowsPtr.7 = keyRow(slot, kvOffset, widened + 7 * d)
            slot = next(slot)
            for h in 0..<heads {
                let qh = UnsafePointer(q + row * qWidth + (firstHead + h) * d)
                VectorMath.store8(AttentionGeometry.dots8(qh, rowsPtr, d) * scale, buffer + h * slots + j)
            }
            j += 8
        }
        while j < count {
            let k = keyRow(slot, kvOffset, widened)
            for h in 0..<heads {
                let qh = UnsafePointer(q + row * qWidth + (firstHead + h) * d)
                buffer[h * slots + j] = scale * VectorMath.dot(qh, k, d)
            }
            slot = next(slot)
            j += 1
        }
        for h in 0..<heads {
            let sh = buffer + h * slots
            // 2. Softmax with the sink in the denominator; probabilities stay in `sh`, normalised.
            var mv = SIMD8<Float>(repeating: -.infinity)
            var j = 0
            while j + 8 <= count {
                mv = VectorMath.max(mv, VectorMath.load8(sh + j))
                j += 8
            }
            var m = VectorMath.max(mv)
            while j < count {
                m = max(m, sh[j])
                j += 1
            }
            let sink = sinks?[firstHead + h]
            if let sink { m = max(m, sink) }
            var sum = VectorMath.expShiftedSum(UnsafePointer(sh), sh, count, max: m)
            if let sink { sum += VectorMath.exp(sink - m) }
            let inv = SIMD8<Float>(repeating: 1 / sum)
            j = 0
            while j + 8 <= count {
                VectorMath.store8(VectorMath.load8(sh + j) * inv, sh + j)
                j += 8
            }
            while j < count {
                sh[j] *= inv[0]
                j += 1
            }
        }
        // 3. Values: out_h = Σ_j p_h[j]·v_j, 8 heads × 8 dims per register block, keys in L1-sized blocks.
        //    Probabilities are transposed key-major (`probs[j·8 + h]`, 0 for padded heads) so one pointer serves
        //    all eight broadcasts.
        for j in 0..<count {
            let pj = probs + j * hb
            for h in 0..<hb { pj[h] = h < heads ? buffer[h * slots + j] : 0 }
        }
        acc.update(repeating: 0, count: hb * d)
        let kb = SwiftBackend.attentionKeyBlock
        var j0 = 0
        var blockSlot = firstKey % slots
        while j0 < count {
            let jn = min(count, j0 + kb)
            var c = 0
            while c + 8 <= d {
                valueBlock(
                    probs, keys: j0..<jn, firstSlot: blockSlot, column: kvOffset + c, acc: acc + c, accStride: d,
                    lanes: 8)
                c += 8
            }
            if c < d {
                valueBlock(
                    probs, keys: j0..<jn, firstSlot: blockSlot, column: kvOffset + c, acc: acc + c, accStride: d,
                    lanes: d - c)
            }
            for _ in j0..<jn { blockSlot = next(blockSlot) }
            j0 = jn
        }
        for h in 0..<heads {
            (out + row * qWidth + (firstHead + h) * d).update(from: acc + h * d, count: d)
        }
    }

    /// `acc[h·accStride + 0..<lanes] += Σ_{j ∈ keys} probs[j·8 + h] · values[slot(j)][column ..< column+lanes]`
    /// for the 8 heads of a block (lanes ≤ 8; fewer only at the end of a head).
    @inline(__always)
    func valueBlock(
        _ probs: UnsafeMutablePointer<Float>, keys: Range<Int>, firstSlot: Int, column: Int,
        acc: UnsafeMutablePointer<Float>, accStride: Int, lanes: Int
    ) {
        var a0 = SIMD8<Float>()
        var a1 = SIMD8<Float>()
        var a2 = SIMD8<Float>()
        var a3 = SIMD8<Float>()
        var a4 = SIMD8<Float>()
        var a5 = SIMD8<Float>()
        var a6 = SIMD8<Float>()
        var a7 = SIMD8<Float>()
        var slot = firstSlot
        for j in keys {
            let element = slot * kvWidth + column
            let v: SIMD8<Float>
            if lanes == 8 {
                v = Rows.load8(values, element)
            } else {
                var t = SIMD8<Float>()
                for i in 0..<lanes { t[i] = Rows.load(values, element + i) }
                v = t
            }
            let pj = probs + j * 8
            a0 = a0.addingProduct(SIMD8(repeating: pj[0]), v)
            a1 = a1.addingProduct(SIMD8(repeating: pj[1]), v)
            a2 = a2.addingProduct(SIMD8(repeating: pj[2]), v)
            a3 = a3.addingProduct(SIMD8(repeating: pj[3]), v)
            a4 = a4.addingProduct(SIMD8(repeating: pj[4]), v)
            a5 = a5.addingProduct(SIMD8(repeating: pj[5]), v)
            a6 = a6.addingProduct(SIMD8(repeating: pj[6]), v)
            a7 = a7.addingProduct(SIMD8(repeating: pj[7]), v)
            slot = next(slot)
        }
        @inline(__always) func addTo(_ h: Int, _ a: SIMD8<Float>) {
            let o = acc + h * accStride
            if lanes == 8 {
                VectorMath.store8(VectorMath.load8(o) + a, o)
            } else {
                for i in 0..<lanes { o[i] += a[i] }
            }
        }
        addTo(0, a0)
        addTo(1, a1)
        addTo(2, a2)
        addTo(3, a3)
        addTo(4, a4)
        addTo(5, a5)
        addTo(6, a6)
        addTo(7, a7)
    }

    /// The `headDim` key elements at column `kvOffset` of cache row `slot` as floats (see `AttentionRows.row`).
    @inline(__always)
    func keyRow(_ slot: Int, _ kvOffset: Int, _ widened: UnsafeMutablePointer<Float>) -> UnsafePointer<Float> {
        Rows.row(keys, slot * kvWidth + kvOffset, headDim, widened)
    }

    @inline(__always)
    func next(_ slot: Int) -> Int { slot + 1 == slots ? 0 : slot + 1 }

    /// Dot products of `q[0..<d]` with 8 rows, as one vector (lane i = row i): eight accumulators reduced by a
    /// pairwise transpose-add tree instead of eight horizontal sums.
    @inline(__always)
    static func dots8(
        _ q: UnsafePointer<Float>,
        _ r: (
            UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>,
            UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>
        ),
        _ d: Int
    ) -> SIMD8<Float> {
        var a0 = SIMD8<Float>()
        var a1 = SIMD8<Float>()
        var a2 = SIMD8<Float>()
        var a3 = SIMD8<Float>()
        var a4 = SIMD8<Float>()
        var a5 = SIMD8<Float>()
        var a6 = SIMD8<Float>()
        var a7 = SIMD8<Float>()
        var i = 0
        while i + 8 <= d {
            let qv = VectorMath.load8(q + i)
            a0 = a0.addingProduct(qv, VectorMath.load8(r.0 + i))
            a1 = a1.addingProduct(qv, VectorMath.load8(r.1 + i))
            a2 = a2.addingProduct(qv, VectorMath.load8(r.2 + i))
            a3 = a3.addingProduct(qv, VectorMath.load8(r.3 + i))
            a4 = a4.addingProduct(qv, VectorMath.load8(r.4 + i))
            a5 = a5.addingProduct(qv, VectorMath.load8(r.5 + i))
            a6 = a6.addingProduct(qv, VectorMath.load8(r.6 + i))
            a7 = a7.addingProduct(qv, VectorMath.load8(r.7 + i))
            i += 8
        }
        @inline(__always) func pairSum(_ x: SIMD8<Float>, _ y: SIMD8<Float>) -> SIMD8<Float> {
            let z = SIMD16(lowHalf: x, highHalf: y)
            return z.evenHalf + z.oddHalf
        }
        // pairSum(x, y) = (x0+x1, x2+x3, x4+x5, x6+x7, y0+y1, …): after three levels lane i holds Σ a_i.
        let b01 = pairSum(a0, a1)
        let b23 = pairSum(a2, a3)
        let b45 = pairSum(a4, a5)
        let b67 = pairSum(a6, a7)
        let c0123 = pairSum(b01, b23)
        let c4567 = pairSum(b45, b67)
        var result = pairSum(c0123, c4567)
        if i < d {
            var tail = SIMD8<Float>()
            while i < d {
                let qi = q[i]
                tail += SIMD8(r.0[i], r.1[i], r.2[i], r.3[i], r.4[i], r.5[i], r.6[i], r.7[i]) * qi
                i += 1
            }
            result += tail
        }
        return result
    }
}

/// How attention reads a cache's elements as floats: each element type is its own specialisation of the kernels.
protocol AttentionRows {
    /// The `count` elements from element `element` of `base`: in place for floats, else widened into `scratch`.
    static func row(
        _ base: UnsafeRawPointer, _ element: Int, _ count: Int, _ scratch: UnsafeMutablePointer<Float>
    ) -> UnsafePointer<Float>
    /// Elements `element ..< element + 8`.
    static func load8(_ base: UnsafeRawPointer, _ element: Int) -> SIMD8<Float>
    /// Element `element`.
    static func load(_ base: UnsafeRawPointer, _ element: Int) -> Float
}

/// A Float32 cache.
enum FloatCacheRows: AttentionRows {
    @inline(__always)
    static func row(
        _ base: UnsafeRawPointer, _ element: Int, _ count: Int, _ scratch: UnsafeMutablePointer<Float>
    ) -> UnsafePointer<Float> {
        base.assumingMemoryBound(to: Float.self) + element
    }

    @inline(__always)
    static func load8(_ base: UnsafeRawPointer, _ element: Int) -> SIMD8<Float> {
        VectorMath.load8(base.assumingMemoryBound(to: Float.self) + element)
    }

    @inline(__always)
    static func load(_ base: UnsafeRawPointer, _ element: Int) -> Float {
        base.assumingMemoryBound(to: Float.self)[element]
    }
}

/// An F16 cache (`HalfTensor`): 8 halves at a time through `WeightDecoder.f16x8`.
enum HalfCacheRows: AttentionRows {
    @inline(__always)
    static func row(
        _ base: UnsafeRawPointer, _ element: Int, _ count: Int, _ scratch: UnsafeMutablePointer<Float>
    ) -> UnsafePointer<Float> {
        var i = 0
        while i + 8 <= count {
            VectorMath.store8(load8(base, element + i), scratch + i)
            i += 8
        }
        while i < count {
            scratch[i] = load(base, element + i)
            i += 1
        }
        return UnsafePointer(scratch)
    }

    @inline(__always)
    static func load8(_ base: UnsafeRawPointer, _ element: Int) -> SIMD8<Float> {
        WeightDecoder.f16x8(base + 2 * element)
    }

    @inline(__always)
    static func load(_ base: UnsafeRawPointer, _ element: Int) -> Float {
        Codec.f16ToFloat(base.load(fromByteOffset: 2 * element, as: UInt16.self))
    }
}
