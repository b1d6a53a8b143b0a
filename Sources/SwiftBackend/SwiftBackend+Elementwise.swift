import OSSCore

extension SwiftBackend {
    /// Row-wise softmax, max-subtracted; `out` may be `x`.
    public func softmax(_ x: Tensor, out: Tensor) throws {
        try OpValidation.rowwise("softmax", x, out)
        let n = x.columns
        let rows = x.count / n
        parallelFor(rows, minPerChunk: max(1, 16384 / n), SoftmaxRows(src: x.pointer, dst: out.pointer, n: n))
    }

    /// Softmax of one row of `n` values (`dst` may be `src`).
    @inline(__always)
    static func softmaxRow(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ n: Int) {
        var mv = SIMD8<Float>(repeating: -.infinity)
        var i = 0
        while i + 8 <= n {
            mv = VectorMath.max(mv, VectorMath.load8(src + i))
            i += 8
        }
        var m = VectorMath.max(mv)
        while i < n {
            m = max(m, src[i])
            i += 1
        }
        if m == -.infinity { m = 0 }
        let s = VectorMath.expShiftedSum(src, dst, n, max: m)
        let inv = 1 / s
        let iv = SIMD8<Float>(repeating: inv)
        i = 0
        while i + 8 <= n {
            VectorMath.store8(VectorMath.load8(dst + i) * iv, dst + i)
            i += 8
        }
        while i < n {
            dst[i] *= inv
            i += 1
        }
    }

    public func swiglu(_ gateUp: Tensor, limit: Float, alpha: Float, out: Tensor) throws {
        try OpValidation.swiglu(gateUp, out)
        let width = out.columns
        let rows = out.rows
        parallelFor(
            rows, minPerChunk: max(1, 16384 / width),
            SwiGLURows(src: gateUp.pointer, dst: out.pointer, width: width, limit: limit, alpha: alpha))
    }

    /// gpt-oss clamped SwiGLU of one interleaved row `[2n]` → `[n]`.
    @inline(__always)
    static func swigluRow(
        _ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ n: Int,
        limit: Float, alpha: Float
    ) {
        let lim = SIMD8<Float>(repeating: limit)
        let nlim = SIMD8<Float>(repeating: -limit)
        let na = SIMD8<Float>(repeating: -alpha)
        var i = 0
        while i + 8 <= n {
            let pair = UnsafeRawPointer(src + 2 * i).loadUnaligned(as: SIMD16<Float>.self)
            let g = VectorMath.min(pair.evenHalf, lim)
            let u = VectorMath.min(VectorMath.max(pair.oddHalf, nlim), lim)
            let sig = 1 / (1 + VectorMath.exp(g * na))
            VectorMath.store8(g * sig * (u + 1), dst + i)
            i += 8
        }
        while i < n {
            let g = min(src[2 * i], limit)
            let u = min(max(src[2 * i + 1], -limit), limit)
            dst[i] = g / (1 + VectorMath.exp(-alpha * g)) * (u + 1)
            i += 1
        }
    }

    public func siluMul(gate: Tensor, up: Tensor, out: Tensor) throws {
        try OpValidation.elementwise("siluMul", gate, up, out)
        parallelChunks(
            out.count, granule: 64, minPerChunk: 32768,
            SiLUMulChunks(gate: gate.pointer, up: up.pointer, out: out.pointer))
    }

    public func add(_ a: Tensor, _ b: Tensor, out: Tensor) throws {
        try OpValidation.elementwise("add", a, b, out)
        parallelChunks(
            out.count, granule: 64, minPerChunk: 65536, AddChunks(a: a.pointer, b: b.pointer, out: out.pointer))
    }
}

/// `softmax` of row `r` of `src[rows, n]` into the same row of `dst` (may be `src`).
struct SoftmaxRows: IndexKernel {
    let src: UnsafeMutablePointer<Float>
    let dst: UnsafeMutablePointer<Float>
    let n: Int

    @inline(__always)
    func run(_ r: Int, worker _: Int) { SwiftBackend.softmaxRow(src + r * n, dst + r * n, n) }
}

/// `swiglu` of row `r`: interleaved `src[rows, 2·width]` → `dst[rows, width]`.
struct SwiGLURows: IndexKernel {
    let src: UnsafeMutablePointer<Float>
    let dst: UnsafeMutablePointer<Float>
    let width: Int
    let limit: Float
    let alpha: Float

    @inline(__always)
    func run(_ r: Int, worker _: Int) {
        SwiftBackend.swigluRow(src + r * 2 * width, dst + r * width, width, limit: limit, alpha: alpha)
    }
}

/// `out[i] = silu(gate[i]) · up[i]` over a range of elements.
struct SiLUMulChunks: ChunkKernel {
    let gate: UnsafeMutablePointer<Float>
    let up: UnsafeMutablePointer<Float>
    let out: UnsafeMutablePointer<Float>

    @inline(__always)
    func run(_ range: Range<Int>, worker _: Int) {
        let g = gate
        let u = up
        let o = out
        var i = range.lowerBound
        while i + 8 <= range.upperBound {
            let gv = VectorMath.load8(g + i)
            VectorMath.store8(gv / (1 + VectorMath.exp(-gv)) * VectorMath.load8(u + i), o + i)
            i += 8
        }
        while i < range.upperBound {
            o[i] = g[i] / (1 + VectorMath.exp(-g[i])) * u[i]
            i += 1
        }
    }
}

/// `out[i] = a[i] + b[i]` over a range of elements.
struct AddChunks: ChunkKernel {
    let a: UnsafeMutablePointer<Float>
    let b: UnsafeMutablePointer<Float>
    let out: UnsafeMutablePointer<Float>

    @inline(__always)
    func run(_ range: Range<Int>, worker _: Int) {
        var i = range.lowerBound
        while i + 8 <= range.upperBound {
            VectorMath.store8(VectorMath.load8(a + i) + VectorMath.load8(b + i), out + i)
            i += 8
        }
        while i < range.upperBound {
            out[i] = a[i] + b[i]
            i += 1
        }
    }
}
