import OSSCore

extension SwiftBackend {
    /// Rotates each head of `x[T, heads·d]` in place by the angles of position `firstPosition + t`.
    public func rope(_ x: Tensor, heads: Int, firstPosition: Int, table: RopeTable, style: RopeStyle) throws {
        try OpValidation.rope(x, heads: heads, firstPosition: firstPosition, table: table)
        let d = table.headDim
        let width = x.columns
        parallelFor(
            x.rows, minPerChunk: max(1, 16384 / width),
            RopeRows(
                base: x.pointer, cos: table.cos.pointer, sin: table.sin.pointer, heads: heads,
                headDim: d, width: width, firstPosition: firstPosition, style: style))
    }

    /// NeoX pairs `(v[i], v[i+half])`.
    @inline(__always)
    static func rotateHalfSplit(
        _ v: UnsafeMutablePointer<Float>, _ c: UnsafePointer<Float>,
        _ s: UnsafePointer<Float>, _ half: Int
    ) {
        var i = 0
        while i + 8 <= half {
            let a = VectorMath.load8(v + i)
            let b = VectorMath.load8(v + half + i)
            let cv = VectorMath.load8(c + i)
            let sv = VectorMath.load8(s + i)
            VectorMath.store8(a * cv - b * sv, v + i)
            VectorMath.store8(b * cv + a * sv, v + half + i)
            i += 8
        }
        while i < half {
            let a = v[i]
            let b = v[half + i]
            v[i] = a * c[i] - b * s[i]
            v[half + i] = b * c[i] + a * s[i]
            i += 1
        }
    }

    /// Interleaved pairs `(v[2i], v[2i+1])`.
    @inline(__always)
    static func rotateInterleaved(
        _ v: UnsafeMutablePointer<Float>, _ c: UnsafePointer<Float>,
        _ s: UnsafePointer<Float>, _ half: Int
    ) {
        var i = 0
        while i + 8 <= half {
            let p = UnsafeRawPointer(v + 2 * i).loadUnaligned(as: SIMD16<Float>.self)
            let a = p.evenHalf
            let b = p.oddHalf
            let cv = VectorMath.load8(c + i)
            let sv = VectorMath.load8(s + i)
            var r = SIMD16<Float>()
            r.evenHalf = a * cv - b * sv
            r.oddHalf = b * cv + a * sv
            UnsafeMutableRawPointer(v + 2 * i).storeBytes(of: r, as: SIMD16<Float>.self)
            i += 8
        }
        while i < half {
            let a = v[2 * i]
            let b = v[2 * i + 1]
            v[2 * i] = a * c[i] - b * s[i]
            v[2 * i + 1] = b * c[i] + a * s[i]
            i += 1
        }
    }
}

/// `rope` of row `t` of `base[T, width]`: each of its `heads` heads (`headDim` wide) rotated by the angles of
/// position `firstPosition + t` (`cos`/`sin` tables `[positions, headDim/2]`).
struct RopeRows: IndexKernel {
    let base: UnsafeMutablePointer<Float>
    let cos: UnsafeMutablePointer<Float>
    let sin: UnsafeMutablePointer<Float>
    let heads: Int
    let headDim: Int
    let width: Int
    let firstPosition: Int
    let style: RopeStyle

    @inline(__always)
    func run(_ t: Int, worker _: Int) {
        let half = headDim / 2
        let c = UnsafePointer(cos + (firstPosition + t) * half)
        let s = UnsafePointer(sin + (firstPosition + t) * half)
        for h in 0..<heads {
            let v = base + t * width + h * headDim
            switch style {
            case .neox: SwiftBackend.rotateHalfSplit(v, c, s, half)
            case .interleaved: SwiftBackend.rotateInterleaved(v, c, s, half)
            }
        }
    }
}
