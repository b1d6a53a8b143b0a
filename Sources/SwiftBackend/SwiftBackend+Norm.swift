import OSSCore

extension SwiftBackend {
    /// `out = x / sqrt(mean(x²) + eps) · weight` per row; `out` may be `x`.
    public func rmsNorm(_ x: Tensor, weight: Tensor, eps: Float, out: Tensor) throws {
        try OpValidation.rmsNorm(x, weight, out)
        let n = x.columns, rows = x.count / n
        let src = x.pointer, w = weight.pointer, dst = out.pointer
        parallelFor(rows, minPerChunk: max(1, 32768 / n)) { r, _ in
            let xr = src + r * n, yr = dst + r * n
            var a0 = SIMD8<Float>(), a1 = SIMD8<Float>()
            var i = 0
            while i + 16 <= n {
                let v0 = VectorMath.load8(xr + i), v1 = VectorMath.load8(xr + i + 8)
                a0 = a0.addingProduct(v0, v0)
                a1 = a1.addingProduct(v1, v1)
                i += 16
            }
            var ss = VectorMath.sum(a0 + a1)
            while i < n { ss += xr[i] * xr[i]; i += 1 }
            let inv = 1 / (ss / Float(n) + eps).squareRoot()
            let iv = SIMD8<Float>(repeating: inv)
            i = 0
            while i + 8 <= n {
                VectorMath.store8(VectorMath.load8(xr + i) * iv * VectorMath.load8(w + i), yr + i)
                i += 8
            }
            while i < n { yr[i] = xr[i] * inv * w[i]; i += 1 }
        }
    }
}
