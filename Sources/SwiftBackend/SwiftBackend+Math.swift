/// SIMD building blocks shared by the kernels: unaligned vector loads/stores, a vector exp, horizontal sums.
enum VectorMath {
    @inline(__always)
    static func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }

    @inline(__always)
    static func load8(_ p: UnsafeMutablePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }

    @inline(__always)
    static func store8(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
    }

    /// e^x per lane, relative error ≈ 1e-7 (Cephes polynomial after reduction by ln 2). Below −87.3 the result
    /// is 0, above 88.7 it is +inf; NaN stays NaN. Only plain vector arithmetic, compares and blends (no
    /// per-lane conversions): n = round(x·log2 e) comes from the 1.5·2²³ rounding trick, 2ⁿ from its bits.
    @inline(__always)
    static func exp(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let lo = SIMD8<Float>(repeating: -87.33654)
        let hi = SIMD8<Float>(repeating: 88.72283)
        let xc = min(max(x, lo), hi)
        let magic = SIMD8<Float>(repeating: 12_582_912)  // 1.5·2²³: adding it rounds to an integer (ties to even)
        let t = magic.addingProduct(xc, SIMD8(repeating: 1.442695041))
        let n = t - magic
        var r = xc.addingProduct(n, SIMD8(repeating: -0.693359375))
        r = r.addingProduct(n, SIMD8(repeating: 2.12194440e-4))
        var p = SIMD8<Float>(repeating: 1.9875691500e-4)
        p = SIMD8(repeating: 1.3981999507e-3).addingProduct(p, r)
        p = SIMD8(repeating: 8.3334519073e-3).addingProduct(p, r)
        p = SIMD8(repeating: 4.1665795894e-2).addingProduct(p, r)
        p = SIMD8(repeating: 1.6666665459e-1).addingProduct(p, r)
        p = SIMD8(repeating: 5.0000001201e-1).addingProduct(p, r)
        let e = (r + 1).addingProduct(p, r * r)
        // n ∈ [−126, 128] as an integer: the low mantissa bits of t. 2ⁿ = 2^⌊n/2⌋ · 2^(n−⌊n/2⌋), so neither
        // factor leaves the normal range at the ends.
        let ni = unsafeBitCast(t, to: SIMD8<Int32>.self) &- unsafeBitCast(magic, to: SIMD8<Int32>.self)
        let half = ni &>> 1
        let s1 = unsafeBitCast((half &+ 127) &<< 23, to: SIMD8<Float>.self)
        let s2 = unsafeBitCast((ni &- half &+ 127) &<< 23, to: SIMD8<Float>.self)
        var result = e * s1 * s2
        result.replace(with: 0, where: x .< lo)
        result.replace(with: .infinity, where: x .> hi)
        result.replace(with: x, where: x .!= x)
        return result
    }

    /// Lane-wise maximum (plain compare + blend; a NaN in `b` is ignored).
    @inline(__always)
    static func max(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> { a.replacing(with: b, where: b .> a) }

    /// Lane-wise minimum (plain compare + blend; a NaN in `b` is ignored).
    @inline(__always)
    static func min(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> { a.replacing(with: b, where: b .< a) }

    /// Scalar e^x with the same accuracy class as `exp(_: SIMD8)` (lane 0 of the vector version).
    @inline(__always)
    static func exp(_ x: Float) -> Float { exp(SIMD8(repeating: x))[0] }

    /// Sum of the 8 lanes.
    @inline(__always)
    static func sum(_ v: SIMD8<Float>) -> Float {
        let h = v.lowHalf + v.highHalf
        let q = h.lowHalf + h.highHalf
        return q[0] + q[1]
    }

    /// Largest lane.
    @inline(__always)
    static func max(_ v: SIMD8<Float>) -> Float {
        let h = v.lowHalf.replacing(with: v.highHalf, where: v.highHalf .> v.lowHalf)
        let q = h.lowHalf.replacing(with: h.highHalf, where: h.highHalf .> h.lowHalf)
        return Swift.max(q[0], q[1])
    }

    /// Dot product of two Float vectors of length `n` (any n).
    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc0 = SIMD8<Float>()
        var acc1 = SIMD8<Float>()
        var i = 0
        while i + 16 <= n {
            acc0 = acc0.addingProduct(load8(a + i), load8(b + i))
            acc1 = acc1.addingProduct(load8(a + i + 8), load8(b + i + 8))
            i += 16
        }
        if i + 8 <= n {
            acc0 = acc0.addingProduct(load8(a + i), load8(b + i))
            i += 8
        }
        var s = sum(acc0 + acc1)
        while i < n {
            s += a[i] * b[i]
            i += 1
        }
        return s
    }

    /// `dst[i] = exp(src[i] − m)` for `i < n`, returning `Σ dst` (the softmax numerators). `dst` may equal `src`.
    @inline(__always)
    static func expShiftedSum(
        _ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ n: Int,
        max m: Float
    ) -> Float {
        let mvec = SIMD8<Float>(repeating: m)
        var sv = SIMD8<Float>()
        var i = 0
        while i + 8 <= n {
            let e = exp(load8(src + i) - mvec)
            store8(e, dst + i)
            sv += e
            i += 8
        }
        var s = sum(sv)
        while i < n {
            let e = exp(src[i] - m)
            dst[i] = e
            s += e
            i += 1
        }
        return s
    }
}
