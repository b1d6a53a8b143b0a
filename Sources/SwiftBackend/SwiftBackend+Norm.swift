import OSSCore

extension SwiftBackend {
    /// `out = x / sqrt(mean(x²) + eps) · weight` per row; `out` may be `x`.
    public func rmsNorm(_ x: Tensor, weight: Tensor, eps: Float, out: Tensor) throws {
        try OpValidation.rmsNorm(x, weight, out)
        let n = x.columns
        let rows = x.count / n
        parallelFor(
            rows, minPerChunk: max(1, 32768 / n),
            RMSNormRows(src: x.pointer, weight: weight.pointer, dst: out.pointer, n: n, eps: eps))
    }
}

/// `rmsNorm` of row `r` of `src[rows, n]` into the same row of `dst` (may be `src`); `weight[n]`.
struct RMSNormRows: IndexKernel {
    let src: UnsafeMutablePointer<Float>
    let weight: UnsafeMutablePointer<Float>
    let dst: UnsafeMutablePointer<Float>
    let n: Int
    let eps: Float

    @inline(__always)
    func run(_ r: Int, worker _: Int) {
        let xr = src + r * n
        let yr = dst + r * n
        var a0 = SIMD8<Float>()
        var a1 = SIMD8<Float>()
        var i = 0
        while i + 16 <= n {
            let v0 = VectorMath.load8(xr + i)
            let v1 = VectorMath.load8(xr + i + 8)
            a0 = a0.addingProduct(v0, v0)
            a1 = a1.addingProduct(v1, v1)
            i += 16
        }
        var ss = VectorMath.sum(a0 + a1)
        while i < n {
            ss += xr[i] * xr[i]
            i += 1
        }
        let inv = 1 / (ss / Float(n) + eps).squareRoot()
        let iv = SIMD8<Float>(repeating: inv)
        i = 0
        while i + 8 <= n {
            VectorMath.store8(VectorMath.load8(xr + i) * iv * VectorMath.load8(weight + i), yr + i)
            i += 8
        }
        while i < n {
            yr[i] = xr[i] * inv * weight[i]
            i += 1
        }
    }
}
