import Foundation

/// Vectorised loops of the sampler over a logits row (8 lanes; the package builds for AVX2+FMA).
enum SamplerKernels {
    typealias V = SIMD8<Float>

    /// Elements per block of `blockMax` (the per-block maxima that argmax leaves for top-k).
    static let maxBlock = 64

    /// Index of the first largest element of `p[0..<n]` (NaN-free input), and whether any element is NaN or ±∞
    /// (`hasNonFinite`; the caller looks for a NaN then). Leaves the maximum of each block of `maxBlock` elements
    /// in `blockMax[0..<(n + maxBlock − 1) / maxBlock]`. Selects, not `pointwiseMax` (whose NaN rules are not one
    /// vector instruction).
    static func argmax(_ p: UnsafePointer<Float>, _ n: Int, blockMax: UnsafeMutablePointer<Float>)
        -> (index: Int, hasNonFinite: Bool)
    {
        var best = -Float.infinity
        var bestBlock = -1
        var check = V()  // v − v: 0 for finite values, NaN otherwise
        var b = 0
        var start = 0
        while start < n {
            let end = min(start + maxBlock, n)
            var m = V(repeating: -.infinity)
            var i = start
            while i + 8 <= end {
                let v = UnsafeRawPointer(p + i).loadUnaligned(as: V.self)
                check += v - v
                m = m.replacing(with: v, where: v .> m)
                i += 8
            }
            var blockBest = -Float.infinity
            for l in 0..<8 where m[l] > blockBest { blockBest = m[l] }
            while i < end {
                let v = p[i]
                check[0] += v - v
                if v > blockBest { blockBest = v }
                i += 1
            }
            blockMax[b] = blockBest
            if blockBest > best || bestBlock < 0 {
                best = blockBest
                bestBlock = b
            }
            b += 1
            start = end
        }
        var finite = true
        for l in 0..<8 where check[l] != 0 { finite = false }
        guard bestBlock >= 0 else { return (0, !finite) }
        var i = bestBlock * maxBlock
        while i < n - 1 && !(p[i] == best) { i += 1 }
        return (i, !finite)
    }

    /// `log2(e)`: a weight e^((x − top)/T) is 2^((x − top)·k) with k = log2(e)/T.
    static let log2e: Float = 1.442_695_04

    /// `2^((x − top)·k)` per lane: the tempered softmax weight of logit x relative to logit `top` (k = log2(e)/T).
    /// exp2 by the 1.5·2²³ rounding trick and Cephes' `exp2f` polynomial on [−½, ½] (relative error 1.7e-7 for the
    /// rounded exponent; the exponent itself is rounded like any `(x − top)/T` in float: a relative error of about
    /// |y|·6e-8 at y = (x − top)·k). 0 for y < −125 (and for x = −∞). For y ≤ 0, which is all the sampler asks
    /// (banned ids above `top` are never weighed).
    @inline(__always) static func weight(_ x: V, top: V, k: V) -> V {
        let y = (x - top) * k
        let magic = V(repeating: 12_582_912)
        let t = y + magic  // round(y) in the low mantissa bits
        let f = y - (t - magic)  // in [−½, ½], exact
        var q = V(repeating: 1.535_336_188_319_500e-4)
        q = V(repeating: 1.339_887_440_266_574e-3).addingProduct(q, f)
        q = V(repeating: 9.618_437_357_674_640e-3).addingProduct(q, f)
        q = V(repeating: 5.550_332_471_162_809e-2).addingProduct(q, f)
        q = V(repeating: 2.402_264_791_363_012e-1).addingProduct(q, f)
        q = V(repeating: 6.931_472_028_550_421e-1).addingProduct(q, f)
        q = V(repeating: 1).addingProduct(q, f)
        // add round(y) to the exponent of q ∈ [0.7, 1.42]
        let shift = (unsafeBitCast(t, to: SIMD8<UInt32>.self) &- 0x4B40_0000) &<< 23
        let w = unsafeBitCast(unsafeBitCast(q, to: SIMD8<UInt32>.self) &+ shift, to: V.self)
        return w.replacing(with: 0, where: .!(y .>= -125))
    }

    /// The scalar `weight`, with the same rounding.
    @inline(__always) static func weight(_ x: Float, top: Float, k: Float) -> Float {
        weight(V(repeating: x), top: V(repeating: top), k: V(repeating: k))[0]
    }

    /// `w[i] = weight(p[i])` (the tempered softmax weight relative to `top`, k = log2(e)/T) for i < n; returns Σ w in
    /// blocks of `block` (Double per block) into `blockSums` and the total.
    static func weights(
        _ p: UnsafePointer<Float>, _ n: Int, top: Float, k: Float,
        into w: UnsafeMutablePointer<Float>, blockSums: UnsafeMutablePointer<Double>,
        block: Int
    ) -> Double {
        let topV = V(repeating: top)
        let kV = V(repeating: k)
        var total = 0.0
        var b = 0
        var start = 0
        while start < n {
            let end = min(start + block, n)
            var acc = V()
            var i = start
            while i + 8 <= end {
                let e = weight(UnsafeRawPointer(p + i).loadUnaligned(as: V.self), top: topV, k: kV)
                UnsafeMutableRawPointer(w + i).storeBytes(of: e, as: V.self)
                acc += e
                i += 8
            }
            var sum = Double(acc.sum())
            while i < end {
                let e = weight(p[i], top: top, k: k)
                w[i] = e
                sum += Double(e)
                i += 1
            }
            blockSums[b] = sum
            total += sum
            b += 1
            start = end
        }
        return total
    }

    /// Σ and count of `w[i]` with `w[i] ≥ threshold`, i < n.
    static func massAtLeast(_ w: UnsafePointer<Float>, _ n: Int, _ threshold: Float) -> (mass: Double, count: Int) {
        let t = V(repeating: threshold)
        var acc = V()
        var count = SIMD8<Int32>()
        var i = 0
        while i + 8 <= n {
            let v = UnsafeRawPointer(w + i).loadUnaligned(as: V.self)
            let keep = v .>= t
            acc += v.replacing(with: 0, where: .!keep)
            count &-= unsafeBitCast(keep, to: SIMD8<Int32>.self)
            i += 8
        }
        var mass = Double(acc.sum())
        var c = Int(count.wrappedSum())
        while i < n {
            if w[i] >= threshold {
                mass += Double(w[i])
                c += 1
            }
            i += 1
        }
        return (mass, c)
    }

    /// `massAtLeast` for four thresholds in one pass over `w`.
    static func massAtLeast4(_ w: UnsafePointer<Float>, _ n: Int, _ t: SIMD4<Float>)
        -> (mass: SIMD4<Double>, count: SIMD4<Int>)
    {
        let t0 = V(repeating: t[0])
        let t1 = V(repeating: t[1])
        let t2 = V(repeating: t[2])
        let t3 = V(repeating: t[3])
        var a0 = V()
        var a1 = V()
        var a2 = V()
        var a3 = V()
        var c0 = SIMD8<Int32>()
        var c1 = SIMD8<Int32>()
        var c2 = SIMD8<Int32>()
        var c3 = SIMD8<Int32>()
        var i = 0
        while i + 8 <= n {
            let v = UnsafeRawPointer(w + i).loadUnaligned(as: V.self)
            let k0 = v .>= t0
            let k1 = v .>= t1
            let k2 = v .>= t2
            let k3 = v .>= t3
            a0 += v.replacing(with: 0, where: .!k0)
            c0 &-= unsafeBitCast(k0, to: SIMD8<Int32>.self)
            a1 += v.replacing(with: 0, where: .!k1)
            c1 &-= unsafeBitCast(k1, to: SIMD8<Int32>.self)
            a2 += v.replacing(with: 0, where: .!k2)
            c2 &-= unsafeBitCast(k2, to: SIMD8<Int32>.self)
            a3 += v.replacing(with: 0, where: .!k3)
            c3 &-= unsafeBitCast(k3, to: SIMD8<Int32>.self)
            i += 8
        }
        var mass = SIMD4<Double>(Double(a0.sum()), Double(a1.sum()), Double(a2.sum()), Double(a3.sum()))
        var count = SIMD4<Int>(Int(c0.wrappedSum()), Int(c1.wrappedSum()), Int(c2.wrappedSum()), Int(c3.wrappedSum()))
        while i < n {
            for l in 0..<4 where w[i] >= t[l] {
                mass[l] += Double(w[i])
                count[l] += 1
            }
            i += 1
        }
        return (mass, count)
    }

    /// Σ of `w[start..<end]` with `w ≥ threshold`.
    static func blockMass(_ w: UnsafePointer<Float>, _ start: Int, _ end: Int, _ threshold: Float) -> Double {
        let t = V(repeating: threshold)
        var acc = V()
        var i = start
        while i + 8 <= end {
            let v = UnsafeRawPointer(w + i).loadUnaligned(as: V.self)
            acc += v.replacing(with: 0, where: v .< t)
            i += 8
        }
        var mass = Double(acc.sum())
        while i < end {
            if w[i] >= threshold { mass += Double(w[i]) }
            i += 1
        }
        return mass
    }
}

extension SamplerKernels {
    /// Appends the ids and values of `w[i]` with `lo ≤ w[i] < hi`, i < n, to `ids`/`values` from index 0;
    /// returns how many. Blocks of 64 with no such value are skipped after one vector pass, or unread when their
    /// maximum (`blockMax`, as the argmax pass leaves it for `w`) is below `lo`.
    static func collect(
        _ w: UnsafePointer<Float>, _ n: Int, lo: Float, hi: Float,
        ids: UnsafeMutablePointer<Int32>, values: UnsafeMutablePointer<Float>,
        blockMax: UnsafePointer<Float>? = nil
    ) -> Int {
        let l = V(repeating: lo)
        let h = V(repeating: hi)
        var m = 0
        var start = 0
        while start < n {
            let end = min(start + maxBlock, n)
            if let blockMax, blockMax[start / maxBlock] < lo {
                start = end
                continue
            }
            var hits = SIMD8<Int32>()
            var i = start
            while i + 8 <= end {
                let v = UnsafeRawPointer(w + i).loadUnaligned(as: V.self)
                hits &-= unsafeBitCast((v .>= l) .& (v .< h), to: SIMD8<Int32>.self)
                i += 8
            }
            if hits.wrappedSum() != 0 || i < end {
                for j in start..<end where w[j] >= lo && w[j] < hi {
                    ids[m] = Int32(j)
                    values[m] = w[j]
                    m += 1
                }
            }
            start = end
        }
        return m
    }
}

extension UnsafeMutablePointer {
    /// Exchanges elements `i` and `j`.
    @inline(__always) func swapAt(_ i: Int, _ j: Int) {
        let t = self[i]
        self[i] = self[j]
        self[j] = t
    }
}
