import OSSCore

extension SwiftBackend {
    /// gpt-oss MoE: router → top-k → softmax over the k → clamped-SwiGLU experts → weighted sum.
    /// Few tokens: each selected expert runs as GEMV (only its rows are read). More tokens: tokens are grouped per
    /// expert and each expert runs once over its group (GEMM when the group is large enough).
    public func moe(_ x: Tensor, weights mw: MoEWeights, out: Tensor) throws {
        try OpValidation.moe(x, mw, out)
        withScratch { s in
            let rows = x.rows
            let h = mw.hidden
            let e = mw.experts
            let inter = mw.intermediate
            let k = mw.topK
            let xp = UnsafePointer(x.pointer)
            let op = out.pointer
            let logits = s.moeLogits.floats(rows * e)
            linearKernel(
                mw.router, x: xp, tokens: rows, bias: mw.routerBias.map { UnsafePointer($0.pointer) },
                y: logits, scratch: s)
            let ids = s.moeIds.int32s(rows * k)
            let gates = s.moeWeights.floats(rows * k)
            for t in 0..<rows {
                SwiftBackend.selectTopK(logits + t * e, e, k, ids: ids + t * k, values: gates + t * k)
                SwiftBackend.softmaxRow(gates + t * k, gates + t * k, k)
            }
            let gateUpBias = mw.gateUpBias.map { UnsafePointer($0.pointer) }
            let downBias = mw.downBias.map { UnsafePointer($0.pointer) }
            op.update(repeating: 0, count: rows * h)

            // One expert over `count` gathered rows `src` → `dst[count, H]`.
            func runExpert(_ expert: Int, _ src: UnsafePointer<Float>, _ count: Int, _ dst: UnsafeMutablePointer<Float>)
            {
                let gu = s.moeGateUp.floats(count * 2 * inter)
                let act = s.moeAct.floats(count * inter)
                linearKernel(
                    mw.gateUp.matrix(expert), x: src, tokens: count,
                    bias: gateUpBias.map { $0 + expert * 2 * inter }, y: gu, scratch: s)
                parallelFor(
                    count, minPerChunk: max(1, 16384 / inter),
                    SwiGLURows(src: gu, dst: act, width: inter, limit: mw.swigluLimit, alpha: mw.swigluAlpha))
                linearKernel(
                    mw.down.matrix(expert), x: act, tokens: count,
                    bias: downBias.map { $0 + expert * h }, y: dst, scratch: s)
            }

            if rows == 1 {
                let y = s.moeOut.floats(h)
                for j in 0..<k {
                    runExpert(Int(ids[j]), xp, 1, y)
                    SwiftBackend.axpy(gates[j], y, op, h)
                }
                return
            }
            // Counting sort of the (token, slot) pairs by expert.
            let table = s.moeTokens.int32s(2 * (e + 1) + rows * k)
            let start = table
            let fill = table + (e + 1)
            let order = table + 2 * (e + 1)
            start.update(repeating: 0, count: e + 1)
            for i in 0..<(rows * k) { start[Int(ids[i]) + 1] += 1 }
            for i in 0..<e { start[i + 1] += start[i] }
            fill.update(from: start, count: e + 1)
            for i in 0..<(rows * k) {
                let ex = Int(ids[i])
                order[Int(fill[ex])] = Int32(i)
                fill[ex] += 1
            }
            var maxGroup = 0
            for ex in 0..<e { maxGroup = max(maxGroup, Int(start[ex + 1] - start[ex])) }
            let gathered = s.moeGather.floats(maxGroup * h)
            let y = s.moeOut.floats(maxGroup * h)
            for ex in 0..<e {
                let first = Int(start[ex])
                let count = Int(start[ex + 1]) - first
                guard count > 0 else { continue }
                for r in 0..<count {
                    let t = Int(order[first + r]) / k
                    (gathered + r * h).update(from: xp + t * h, count: h)
                }
                runExpert(ex, gathered, count, y)
                for r in 0..<count {
                    let pair = Int(order[first + r])
                    SwiftBackend.axpy(gates[pair], y + r * h, op + (pair / k) * h, h)
                }
            }
        }
    }

    /// `y += a·x` over `n` elements.
    @inline(__always)
    static func axpy(_ a: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        let av = SIMD8<Float>(repeating: a)
        var i = 0
        while i + 8 <= n {
            VectorMath.store8(VectorMath.load8(y + i).addingProduct(av, VectorMath.load8(x + i)), y + i)
            i += 8
        }
        while i < n {
            y[i] += a * x[i]
            i += 1
        }
    }
}
