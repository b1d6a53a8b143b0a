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
        -> (index: Int, hasNonFinite: Bool) {
        var best = -Float.infinity, bestBlock = -1
        var check = V()  // v − v: 0 for finite values, NaN otherwise
        var b = 0, start = 0
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
            if blockBest > best || bestBlock < 0 { best = blockBest; bestBlock = b }
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

    /// `e^x` per lane for x ≤ 88.7, Cephes `expf` (relative error ≈ 2e-7 over the normal range); 0 below −87.3.
    /// The sampler only exponentiates logit − max ≤ 0 (larger values are banned ids, zeroed after).
    @inline(__always) static func exp(_ x: V) -> V {
        let tooSmall = x .< -87.3
        let c = x.replacing(with: V(repeating: -87.3), where: tooSmall)
        // n = round(x·log2 e) by the 1.5·2²³ trick: its low mantissa bits hold n
        let magic = V(repeating: 12_582_912)
        let t = magic.addingProduct(c, V(repeating: 1.442_695_04))
        let n = t - magic
        var r = c.addingProduct(n, V(repeating: -0.693_359_375))
        r = r.addingProduct(n, V(repeating: 2.121_944_4e-4))
        var y = V(repeating: 1.987_569_15e-4)
        y = V(repeating: 1.398_199_95e-3).addingProduct(y, r)
        y = V(repeating: 8.333_451_9e-3).addingProduct(y, r)
        y = V(repeating: 4.166_579_59e-2).addingProduct(y, r)
        y = V(repeating: 1.666_666_55e-1).addingProduct(y, r)
        y = V(repeating: 5.000_000_12e-1).addingProduct(y, r)
        y = (r + 1).addingProduct(y, r * r)
        let bits = unsafeBitCast(t, to: SIMD8<UInt32>.self) &- 0x4B40_0000 &+ 127
        let scale = unsafeBitCast(bits &<< 23, to: V.self)
        return (y * scale).replacing(with: 0, where: tooSmall)
    }

    /// `w[i] = e^((p[i] − top)·inverseT)` for i < n; returns Σ w in blocks of `block` (Double per block) into
    /// `blockSums` and the total.
    static func weights(_ p: UnsafePointer<Float>, _ n: Int, top: Float, inverseT: Float,
                        into w: UnsafeMutablePointer<Float>, blockSums: UnsafeMutablePointer<Double>,
                        block: Int) -> Double {
        let topV = V(repeating: top), s = V(repeating: inverseT)
        var total = 0.0
        var b = 0
        var start = 0
        while start < n {
            let end = min(start + block, n)
            var acc = V()
            var i = start
            while i + 8 <= end {
                let e = exp((UnsafeRawPointer(p + i).loadUnaligned(as: V.self) - topV) * s)
                UnsafeMutableRawPointer(w + i).storeBytes(of: e, as: V.self)
                acc += e
                i += 8
            }
            var sum = Double(acc.sum())
            while i < end {
                let e = expf((p[i] - top) * inverseT)
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
            if w[i] >= threshold { mass += Double(w[i]); c += 1 }
            i += 1
        }
        return (mass, c)
    }

    /// `massAtLeast` for four thresholds in one pass over `w`.
    static func massAtLeast4(_ w: UnsafePointer<Float>, _ n: Int, _ t: SIMD4<Float>)
        -> (mass: SIMD4<Double>, count: SIMD4<Int>) {
        let t0 = V(repeating: t[0]), t1 = V(repeating: t[1]), t2 = V(repeating: t[2]), t3 = V(repeating: t[3])
        var a0 = V(), a1 = V(), a2 = V(), a3 = V()
        var c0 = SIMD8<Int32>(), c1 = SIMD8<Int32>(), c2 = SIMD8<Int32>(), c3 = SIMD8<Int32>()
        var i = 0
        while i + 8 <= n {
            let v = UnsafeRawPointer(w + i).loadUnaligned(as: V.self)
            let k0 = v .>= t0, k1 = v .>= t1, k2 = v .>= t2, k3 = v .>= t3
            a0 += v.replacing(with: 0, where: .!k0); c0 &-= unsafeBitCast(k0, to: SIMD8<Int32>.self)
            a1 += v.replacing(with: 0, where: .!k1); c1 &-= unsafeBitCast(k1, to: SIMD8<Int32>.self)
            a2 += v.replacing(with: 0, where: .!k2); c2 &-= unsafeBitCast(k2, to: SIMD8<Int32>.self)
            a3 += v.replacing(with: 0, where: .!k3); c3 &-= unsafeBitCast(k3, to: SIMD8<Int32>.self)
            i += 8
        }
        var mass = SIMD4<Double>(Double(a0.sum()), Double(a1.sum()), Double(a2.sum()), Double(a3.sum()))
        var count = SIMD4<Int>(Int(c0.wrappedSum()), Int(c1.wrappedSum()), Int(c2.wrappedSum()), Int(c3.wrappedSum()))
        while i < n {
            for l in 0..<4 where w[i] >= t[l] { mass[l] += Double(w[i]); count[l] += 1 }
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
    /// returns how many. Blocks of 64 with no such value are skipped after one vector pass.
    static func collect(_ w: UnsafePointer<Float>, _ n: Int, lo: Float, hi: Float,
                        ids: UnsafeMutablePointer<Int32>, values: UnsafeMutablePointer<Float>) -> Int {
        let l = V(repeating: lo), h = V(repeating: hi)
        var m = 0
        var start = 0
        while start < n {
            let end = min(start + maxBlock, n)
            var hits = SIMD8<Int32>()
            var i = start
            while i + 8 <= end {
                let v = UnsafeRawPointer(w + i).loadUnaligned(as: V.self)
                hits &-= unsafeBitCast((v .>= l) .& (v .< h), to: SIMD8<Int32>.self)
                i += 8
            }
            if hits.wrappedSum() != 0 || i < end {
                for j in start..<end where w[j] >= lo && w[j] < hi { ids[m] = Int32(j); values[m] = w[j]; m += 1 }
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
