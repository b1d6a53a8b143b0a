import Foundation

/// Vectorised loops of the sampler over a logits row (8 lanes; the package builds for AVX2+FMA).
enum SamplerKernels {
    typealias V = SIMD8<Float>

    /// Index of the first largest element of `p[0..<n]` and whether any element is NaN.
    static func argmax(_ p: UnsafePointer<Float>, _ n: Int) -> (index: Int, hasNaN: Bool) {
        var m = V(repeating: -.infinity)
        var nan = SIMDMask<SIMD8<Int32>>(repeating: false)
        let body = n & ~7
        var i = 0
        while i < body {
            let v = UnsafeRawPointer(p + i).loadUnaligned(as: V.self)
            nan .|= v .!= v
            m = pointwiseMax(m, v)
            i += 8
        }
        var best = m.max()
        var hasNaN = any(nan)
        while i < n {
            let v = p[i]
            if v.isNaN { hasNaN = true } else if v > best { best = v }
            i += 1
        }
        if hasNaN { return (0, true) }
        // first index holding the maximum
        i = 0
        let b = V(repeating: best)
        while i < body {
            if any(UnsafeRawPointer(p + i).loadUnaligned(as: V.self) .== b) { break }
            i += 8
        }
        while i < n && p[i] != best { i += 1 }
        return (min(i, max(n - 1, 0)), false)
    }

    /// `e^x` per lane, Cephes `expf` (relative error ≈ 2e-7 over the normal range); 0 below −87.3, +∞ above 88.7.
    @inline(__always) static func exp(_ x: V) -> V {
        let tooSmall = x .< -87.3
        let c = pointwiseMin(pointwiseMax(x, V(repeating: -87.3)), V(repeating: 88.7))
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
    static func weights(_ p: UnsafePointer<Float>, _ n: Int, top: Float, inverseT: Float, into w: UnsafeMutablePointer<Float>,
                        blockSums: UnsafeMutablePointer<Double>, block: Int) -> Double {
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
    /// returns how many.
    static func collect(_ w: UnsafePointer<Float>, _ n: Int, lo: Float, hi: Float,
                        ids: UnsafeMutablePointer<Int32>, values: UnsafeMutablePointer<Float>) -> Int {
        let l = V(repeating: lo), h = V(repeating: hi)
        var m = 0
        var i = 0
        while i + 8 <= n {
            let v = UnsafeRawPointer(w + i).loadUnaligned(as: V.self)
            if any((v .>= l) .& (v .< h)) {
                for j in i..<(i + 8) where w[j] >= lo && w[j] < hi { ids[m] = Int32(j); values[m] = w[j]; m += 1 }
            }
            i += 8
        }
        while i < n {
            if w[i] >= lo && w[i] < hi { ids[m] = Int32(i); values[m] = w[i]; m += 1 }
            i += 1
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
