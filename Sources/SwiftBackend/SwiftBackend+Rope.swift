import OSSCore

extension SwiftBackend {
    /// Rotates each head of `x[T, heads·d]` in place by the angles of position `firstPosition + t`.
    public func rope(_ x: Tensor, heads: Int, firstPosition: Int, table: RopeTable, style: RopeStyle) throws {
        try OpValidation.rope(x, heads: heads, firstPosition: firstPosition, table: table)
        let d = table.headDim, half = d / 2, width = x.columns
        let base = x.pointer, cosBase = table.cos.pointer, sinBase = table.sin.pointer
        parallelFor(x.rows, minPerChunk: max(1, 16384 / width)) { t, _ in
            let c = UnsafePointer(cosBase + (firstPosition + t) * half)
            let s = UnsafePointer(sinBase + (firstPosition + t) * half)
            for h in 0..<heads {
                let v = base + t * width + h * d
                switch style {
                case .neox: SwiftBackend.rotateHalfSplit(v, c, s, half)
                case .interleaved: SwiftBackend.rotateInterleaved(v, c, s, half)
                }
            }
        }
    }

    /// NeoX pairs `(v[i], v[i+half])`.
    @inline(__always)
    static func rotateHalfSplit(_ v: UnsafeMutablePointer<Float>, _ c: UnsafePointer<Float>,
                                _ s: UnsafePointer<Float>, _ half: Int) {
        var i = 0
        while i + 8 <= half {
            let a = VectorMath.load8(v + i), b = VectorMath.load8(v + half + i)
            let cv = VectorMath.load8(c + i), sv = VectorMath.load8(s + i)
            VectorMath.store8(a * cv - b * sv, v + i)
            VectorMath.store8(b * cv + a * sv, v + half + i)
            i += 8
        }
        while i < half {
            let a = v[i], b = v[half + i]
            v[i] = a * c[i] - b * s[i]
            v[half + i] = b * c[i] + a * s[i]
            i += 1
        }
    }

    /// Interleaved pairs `(v[2i], v[2i+1])`.
    @inline(__always)
    static func rotateInterleaved(_ v: UnsafeMutablePointer<Float>, _ c: UnsafePointer<Float>,
                                  _ s: UnsafePointer<Float>, _ half: Int) {
        var i = 0
        while i + 8 <= half {
            let p = UnsafeRawPointer(v + 2 * i).loadUnaligned(as: SIMD16<Float>.self)
            let a = p.evenHalf, b = p.oddHalf
            let cv = VectorMath.load8(c + i), sv = VectorMath.load8(s + i)
            var r = SIMD16<Float>()
            r.evenHalf = a * cv - b * sv
            r.oddHalf = b * cv + a * sv
            UnsafeMutableRawPointer(v + 2 * i).storeBytes(of: r, as: SIMD16<Float>.self)
            i += 8
        }
        while i < half {
            let a = v[2 * i], b = v[2 * i + 1]
            v[2 * i] = a * c[i] - b * s[i]
            v[2 * i + 1] = b * c[i] + a * s[i]
            i += 1
        }
    }
}
