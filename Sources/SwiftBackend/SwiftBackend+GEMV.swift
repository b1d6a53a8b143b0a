#if arch(x86_64) && canImport(_Builtin_intrinsics)
import _Builtin_intrinsics.intel
#endif
import OSSCore

/// A stored row format the GEMV kernels read directly: dot products of 4 (or 1) weight rows with an input row,
/// decoding the dtype in registers. Every weight byte is read once per input row.
protocol GEMVRowFormat {
    /// Dots of rows `r, r+1, r+2, r+3` with `x[0..<n]`.
    static func dot4(_ w: WeightTensor, row r: Int, x: UnsafePointer<Float>, n: Int) -> SIMD4<Float>
    /// Dot of row `r` with `x[0..<n]`.
    static func dot1(_ w: WeightTensor, row r: Int, x: UnsafePointer<Float>, n: Int) -> Float
}

/// Eight-lane loader of a plain float dtype (f32, f16, bf16) at element `i` of a row.
protocol FloatLaneLoader {
    static var elementBytes: Int { get }
    static func load8(_ row: UnsafeRawPointer, _ i: Int) -> SIMD8<Float>
    static func load1(_ row: UnsafeRawPointer, _ i: Int) -> Float
}

enum F32Lanes: FloatLaneLoader {
    static var elementBytes: Int { 4 }
    @inline(__always) static func load8(_ row: UnsafeRawPointer, _ i: Int) -> SIMD8<Float> {
        row.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self)
    }
    @inline(__always) static func load1(_ row: UnsafeRawPointer, _ i: Int) -> Float {
        row.loadUnaligned(fromByteOffset: 4 * i, as: Float.self)
    }
}

enum F16Lanes: FloatLaneLoader {
    static var elementBytes: Int { 2 }
    @inline(__always) static func load8(_ row: UnsafeRawPointer, _ i: Int) -> SIMD8<Float> {
        WeightDecoder.f16x8(row + 2 * i)
    }
    @inline(__always) static func load1(_ row: UnsafeRawPointer, _ i: Int) -> Float {
        Codec.f16ToFloat(row.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
    }
}

enum BF16Lanes: FloatLaneLoader {
    static var elementBytes: Int { 2 }
    @inline(__always) static func load8(_ row: UnsafeRawPointer, _ i: Int) -> SIMD8<Float> {
        WeightDecoder.bf16x8(row + 2 * i)
    }
    @inline(__always) static func load1(_ row: UnsafeRawPointer, _ i: Int) -> Float {
        Codec.bf16ToFloat(row.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
    }
}

/// f32 / f16 / bf16 rows: two accumulators per row, 16 elements per step, scalar tail.
enum FloatRows<L: FloatLaneLoader>: GEMVRowFormat {
    @inline(__always)
    static func dot4(_ w: WeightTensor, row r: Int, x: UnsafePointer<Float>, n: Int) -> SIMD4<Float> {
        let rb = w.rowBytes
        let p0 = w.data + r * rb, p1 = p0 + rb, p2 = p1 + rb, p3 = p2 + rb
        var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
        var b0 = SIMD8<Float>(), b1 = SIMD8<Float>(), b2 = SIMD8<Float>(), b3 = SIMD8<Float>()
        var i = 0
        while i + 16 <= n {
            let x0 = VectorMath.load8(x + i), x1 = VectorMath.load8(x + i + 8)
            a0 = a0.addingProduct(L.load8(p0, i), x0); b0 = b0.addingProduct(L.load8(p0, i + 8), x1)
            a1 = a1.addingProduct(L.load8(p1, i), x0); b1 = b1.addingProduct(L.load8(p1, i + 8), x1)
            a2 = a2.addingProduct(L.load8(p2, i), x0); b2 = b2.addingProduct(L.load8(p2, i + 8), x1)
            a3 = a3.addingProduct(L.load8(p3, i), x0); b3 = b3.addingProduct(L.load8(p3, i + 8), x1)
            i += 16
        }
        if i + 8 <= n {
            let x0 = VectorMath.load8(x + i)
            a0 = a0.addingProduct(L.load8(p0, i), x0); a1 = a1.addingProduct(L.load8(p1, i), x0)
            a2 = a2.addingProduct(L.load8(p2, i), x0); a3 = a3.addingProduct(L.load8(p3, i), x0)
            i += 8
        }
        var s = SIMD4<Float>(VectorMath.sum(a0 + b0), VectorMath.sum(a1 + b1),
                             VectorMath.sum(a2 + b2), VectorMath.sum(a3 + b3))
        while i < n {
            let xi = x[i]
            s += SIMD4(L.load1(p0, i), L.load1(p1, i), L.load1(p2, i), L.load1(p3, i)) * xi
            i += 1
        }
        return s
    }

    @inline(__always)
    static func dot1(_ w: WeightTensor, row r: Int, x: UnsafePointer<Float>, n: Int) -> Float {
        let p = w.data + r * w.rowBytes
        var a = SIMD8<Float>(), b = SIMD8<Float>()
        var i = 0
        while i + 16 <= n {
            a = a.addingProduct(L.load8(p, i), VectorMath.load8(x + i))
            b = b.addingProduct(L.load8(p, i + 8), VectorMath.load8(x + i + 8))
            i += 16
        }
        if i + 8 <= n { a = a.addingProduct(L.load8(p, i), VectorMath.load8(x + i)); i += 8 }
        var s = VectorMath.sum(a + b)
        while i < n { s += L.load1(p, i) * x[i]; i += 1 }
        return s
    }
}

/// Q8_0 rows: per 32-block, int8 → float in registers, block dot, then one FMA with the block's f16 scale.
enum Q8_0Rows: GEMVRowFormat {
    @inline(__always)
    static func block(_ q: UnsafeRawPointer, _ x0: SIMD8<Float>, _ x1: SIMD8<Float>, _ x2: SIMD8<Float>,
                      _ x3: SIMD8<Float>) -> SIMD8<Float> {
        let t0 = (WeightDecoder.i8x8(q + 2) * x0).addingProduct(WeightDecoder.i8x8(q + 10), x1)
        let t1 = (WeightDecoder.i8x8(q + 18) * x2).addingProduct(WeightDecoder.i8x8(q + 26), x3)
        return t0 + t1
    }

    @inline(__always)
    static func scale(_ q: UnsafeRawPointer) -> SIMD8<Float> {
        SIMD8(repeating: Codec.f16ToFloat(q.loadUnaligned(as: UInt16.self)))
    }

    @inline(__always)
    static func dot4(_ w: WeightTensor, row r: Int, x: UnsafePointer<Float>, n: Int) -> SIMD4<Float> {
        let rb = w.rowBytes
        let p0 = w.data + r * rb, p1 = p0 + rb, p2 = p1 + rb, p3 = p2 + rb
        var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
        for b in 0..<(n / 32) {
            let xb = x + 32 * b
            let x0 = VectorMath.load8(xb), x1 = VectorMath.load8(xb + 8)
            let x2 = VectorMath.load8(xb + 16), x3 = VectorMath.load8(xb + 24)
            let o = 34 * b
            a0 = a0.addingProduct(block(p0 + o, x0, x1, x2, x3), scale(p0 + o))
            a1 = a1.addingProduct(block(p1 + o, x0, x1, x2, x3), scale(p1 + o))
            a2 = a2.addingProduct(block(p2 + o, x0, x1, x2, x3), scale(p2 + o))
            a3 = a3.addingProduct(block(p3 + o, x0, x1, x2, x3), scale(p3 + o))
        }
        return SIMD4(VectorMath.sum(a0), VectorMath.sum(a1), VectorMath.sum(a2), VectorMath.sum(a3))
    }

    @inline(__always)
    static func dot1(_ w: WeightTensor, row r: Int, x: UnsafePointer<Float>, n: Int) -> Float {
        let p = w.data + r * w.rowBytes
        var a = SIMD8<Float>()
        for b in 0..<(n / 32) {
            let xb = x + 32 * b
            a = a.addingProduct(block(p + 34 * b, VectorMath.load8(xb), VectorMath.load8(xb + 8),
                                      VectorMath.load8(xb + 16), VectorMath.load8(xb + 24)), scale(p + 34 * b))
        }
        return VectorMath.sum(a)
    }
}

/// MXFP4 rows. On x86-64 the input is first reordered per 32-group into (16 even elements, 16 odd elements)
/// (`MXFP4Rows.reorderInput`) so that low nibbles meet even elements and high nibbles odd ones; a byte shuffle
/// (`pshufb`) maps each code to the high byte of the half-precision 2·value, a byte unpack forms the halves and
/// `vcvtph2ps` widens them; the group's E8M0 scale (halved) is applied with one FMA per group. Elsewhere the group is decoded with the pair table against the plain input.
enum MXFP4Rows: GEMVRowFormat {
    /// 2^(s−127) / 2 per E8M0 byte: the LUT below holds 2·value.
    nonisolated(unsafe) static let halfScaleTable: UnsafeMutablePointer<Float> = {
        let t = UnsafeMutablePointer<Float>.allocate(capacity: 256)
        for s in 0..<256 { t[s] = Codec.e8m0ToFloat(UInt8(s)) * 0.5 }
        return t
    }()

    #if arch(x86_64) && canImport(_Builtin_intrinsics)
    /// The input must be reordered (`reorderInput`) before `dot4`/`dot1`.
    static let needsReorderedInput = true

    /// E2M1 code → high byte of the IEEE half of 2·value (its low byte is always 0), in both 128-bit lanes.
    @inline(__always)
    static var halfHighBytes: __m256i {
        unsafeBitCast(SIMD32<UInt8>(0x00, 0x3C, 0x40, 0x42, 0x44, 0x46, 0x48, 0x4A,
                                    0x80, 0xBC, 0xC0, 0xC2, 0xC4, 0xC6, 0xC8, 0xCA,
                                    0x00, 0x3C, 0x40, 0x42, 0x44, 0x46, 0x48, 0x4A,
                                    0x80, 0xBC, 0xC0, 0xC2, 0xC4, 0xC6, 0xC8, 0xCA), to: __m256i.self)
    }

    @inline(__always)
    static var intTable: __m256i {
        unsafeBitCast(SIMD32<Int8>(0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12,
                                   0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12), to: __m256i.self)
    }

    /// Eight halves → eight floats (vcvtph2ps).
    @inline(__always)
    static func halves(_ v: SIMD2<Int64>) -> SIMD8<Float> { _mm256_cvtph_ps(v) }

    /// Two consecutive groups (32 bytes) → 2·values, per group (even 0..<8, even 8..<16, odd 0..<8, odd 8..<16):
    /// a nibble-indexed byte shuffle gives the half's high byte, a byte unpack against zero forms the half.
    @inline(__always)
    static func groupPair(_ p: UnsafeRawPointer, _ table: __m256i)
        -> (a: (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>),
            b: (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>)) {
        let v = unsafeBitCast(p.loadUnaligned(as: SIMD32<UInt8>.self), to: __m256i.self)
        let mask = unsafeBitCast(SIMD32<UInt8>(repeating: 0x0F), to: __m256i.self)
        let lo = _mm256_shuffle_epi8(intTable, _mm256_and_si256(v, mask))
        let hi = _mm256_shuffle_epi8(intTable, _mm256_and_si256(_mm256_srli_epi16(v, 4), mask))
        @inline(__always) func f(_ q: __m128i) -> SIMD8<Float> { _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q)) }
        @inline(__always) func up(_ q: __m128i) -> __m128i { _mm_unpackhi_epi64(q, q) }
        return ((f(lo.lowHalf), f(up(lo.lowHalf)), f(hi.lowHalf), f(up(hi.lowHalf))),
                (f(lo.highHalf), f(up(lo.highHalf)), f(hi.highHalf), f(up(hi.highHalf))))
    }

    /// One group (16 bytes) → 2·values (even 0..<8, even 8..<16, odd 0..<8, odd 8..<16).
    @inline(__always)
    static func group(_ p: UnsafeRawPointer, _ table: __m256i)
        -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
        let v = unsafeBitCast(p.loadUnaligned(as: SIMD16<UInt8>.self), to: __m128i.self)
        let t = table.lowHalf
        let mask = unsafeBitCast(SIMD16<UInt8>(repeating: 0x0F), to: __m128i.self)
        let zero = __m128i()
        let lo = _mm_shuffle_epi8(t, _mm_and_si128(v, mask))
        let hi = _mm_shuffle_epi8(t, _mm_and_si128(_mm_srli_epi16(v, 4), mask))
        return (halves(_mm_unpacklo_epi8(zero, lo)), halves(_mm_unpackhi_epi8(zero, lo)),
                halves(_mm_unpacklo_epi8(zero, hi)), halves(_mm_unpackhi_epi8(zero, hi)))
    }

    /// Σ 2·value·x over one group, from its decoded vectors and the reordered input of that group.
    @inline(__always)
    static func groupSum(_ w: (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>),
                         _ x: UnsafePointer<Float>) -> SIMD8<Float> {
        (w.0 * VectorMath.load8(x)).addingProduct(w.1, VectorMath.load8(x + 8))
            .addingProduct(w.2, VectorMath.load8(x + 16)).addingProduct(w.3, VectorMath.load8(x + 24))
    }

    @inline(__always)
    static func dot4(_ w: WeightTensor, row r: Int, x: UnsafePointer<Float>, n: Int) -> SIMD4<Float> {
        let rb = w.rowBytes, groups = n / 32
        let p0 = w.data + r * rb, p1 = p0 + rb, p2 = p1 + rb, p3 = p2 + rb
        guard let scales = w.scales else { return SIMD4() }
        let s0 = scales + r * groups, s1 = s0 + groups, s2 = s1 + groups, s3 = s2 + groups
        let half = halfScaleTable, table = halfHighBytes
        var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
        @inline(__always) func scale(_ s: UnsafePointer<UInt8>, _ g: Int) -> SIMD8<Float> {
            SIMD8(repeating: half[Int(s[g])])
        }
        var g = 0
        while g + 2 <= groups {
            let xa = x + 32 * g, xb = xa + 32, o = 16 * g
            var d = groupPair(p0 + o, table)
            a0 = a0.addingProduct(groupSum(d.a, xa), scale(s0, g)).addingProduct(groupSum(d.b, xb), scale(s0, g + 1))
            d = groupPair(p1 + o, table)
            a1 = a1.addingProduct(groupSum(d.a, xa), scale(s1, g)).addingProduct(groupSum(d.b, xb), scale(s1, g + 1))
            d = groupPair(p2 + o, table)
            a2 = a2.addingProduct(groupSum(d.a, xa), scale(s2, g)).addingProduct(groupSum(d.b, xb), scale(s2, g + 1))
            d = groupPair(p3 + o, table)
            a3 = a3.addingProduct(groupSum(d.a, xa), scale(s3, g)).addingProduct(groupSum(d.b, xb), scale(s3, g + 1))
            g += 2
        }
        if g < groups {
            let xg = x + 32 * g, o = 16 * g
            a0 = a0.addingProduct(groupSum(group(p0 + o, table), xg), scale(s0, g))
            a1 = a1.addingProduct(groupSum(group(p1 + o, table), xg), scale(s1, g))
            a2 = a2.addingProduct(groupSum(group(p2 + o, table), xg), scale(s2, g))
            a3 = a3.addingProduct(groupSum(group(p3 + o, table), xg), scale(s3, g))
        }
        return SIMD4(VectorMath.sum(a0), VectorMath.sum(a1), VectorMath.sum(a2), VectorMath.sum(a3))
    }

    @inline(__always)
    static func dot1(_ w: WeightTensor, row r: Int, x: UnsafePointer<Float>, n: Int) -> Float {
        let groups = n / 32
        let p = w.data + r * w.rowBytes
        guard let scales = w.scales else { return 0 }
        let s = scales + r * groups
        let half = halfScaleTable, table = halfHighBytes
        var a = SIMD8<Float>()
        for g in 0..<groups {
            a = a.addingProduct(groupSum(group(p + 16 * g, table), x + 32 * g), SIMD8(repeating: half[Int(s[g])]))
        }
        return VectorMath.sum(a)
    }
    #else
    static let needsReorderedInput = false

    @inline(__always)
    static func groupDot(_ p: UnsafePointer<UInt8>, _ x: UnsafePointer<Float>) -> SIMD8<Float> {
        let pairs = WeightDecoder.mxfp4PairTable
        var acc = SIMD8<Float>()
        for q in 0..<4 {
            let b = p + 4 * q
            let v = SIMD8<Float>(lowHalf: SIMD4(lowHalf: pairs[Int(b[0])], highHalf: pairs[Int(b[1])]),
                                 highHalf: SIMD4(lowHalf: pairs[Int(b[2])], highHalf: pairs[Int(b[3])]))
            acc = acc.addingProduct(v, VectorMath.load8(x + 8 * q))
        }
        return acc
    }

    static func dot4(_ w: WeightTensor, row r: Int, x: UnsafePointer<Float>, n: Int) -> SIMD4<Float> {
        SIMD4(dot1(w, row: r, x: x, n: n), dot1(w, row: r + 1, x: x, n: n),
              dot1(w, row: r + 2, x: x, n: n), dot1(w, row: r + 3, x: x, n: n))
    }

    static func dot1(_ w: WeightTensor, row r: Int, x: UnsafePointer<Float>, n: Int) -> Float {
        let groups = n / 32
        let p = (w.data + r * w.rowBytes).assumingMemoryBound(to: UInt8.self)
        guard let scales = w.scales else { return 0 }
        let s = scales + r * groups
        var a = SIMD8<Float>()
        for g in 0..<groups {
            a = a.addingProduct(groupDot(p + 16 * g, x + 32 * g),
                                SIMD8(repeating: WeightDecoder.e8m0Table[Int(s[g])]))
        }
        return VectorMath.sum(a)
    }
    #endif

    /// Writes `x[0..<n]` (n a multiple of 32) reordered per 32-group: 16 even elements, then 16 odd ones.
    static func reorderInput(_ x: UnsafePointer<Float>, _ n: Int, into dst: UnsafeMutablePointer<Float>) {
        for g in 0..<(n / 32) {
            let v0 = UnsafeRawPointer(x + 32 * g).loadUnaligned(as: SIMD16<Float>.self)
            let v1 = UnsafeRawPointer(x + 32 * g + 16).loadUnaligned(as: SIMD16<Float>.self)
            let o = dst + 32 * g
            VectorMath.store8(v0.evenHalf, o)
            VectorMath.store8(v1.evenHalf, o + 8)
            VectorMath.store8(v0.oddHalf, o + 16)
            VectorMath.store8(v1.oddHalf, o + 24)
        }
    }
}

extension SwiftBackend {
    /// GEMV-class linear for a few input rows: `y[t, :] = W·x[t, :] + b`, parallel over output rows, 4 rows at a
    /// time; all `tokens` input rows are applied to a block of weight rows while it is in cache, so the weight
    /// streams from memory once per call.
    func gemv(_ w: WeightTensor, x: UnsafePointer<Float>, tokens: Int, bias: UnsafePointer<Float>?,
              y: UnsafeMutablePointer<Float>, scratch: SwiftBackendScratch) {
        let n = w.inFeatures
        switch w.dtype {
        case .f32: gemvRows(FloatRows<F32Lanes>.self, w, x: x, tokens: tokens, bias: bias, y: y)
        case .f16: gemvRows(FloatRows<F16Lanes>.self, w, x: x, tokens: tokens, bias: bias, y: y)
        case .bf16: gemvRows(FloatRows<BF16Lanes>.self, w, x: x, tokens: tokens, bias: bias, y: y)
        case .q8_0: gemvRows(Q8_0Rows.self, w, x: x, tokens: tokens, bias: bias, y: y)
        case .mxfp4:
            if MXFP4Rows.needsReorderedInput {
                let reordered = scratch.gemvInput.floats(tokens * n)
                for t in 0..<tokens { MXFP4Rows.reorderInput(x + t * n, n, into: reordered + t * n) }
                gemvRows(MXFP4Rows.self, w, x: reordered, tokens: tokens, bias: bias, y: y)
            } else {
                gemvRows(MXFP4Rows.self, w, x: x, tokens: tokens, bias: bias, y: y)
            }
        }
    }

    @inline(__always)
    private func gemvRows<F: GEMVRowFormat>(_ format: F.Type, _ w: WeightTensor, x: UnsafePointer<Float>,
                                            tokens: Int, bias: UnsafePointer<Float>?,
                                            y: UnsafeMutablePointer<Float>) {
        let n = w.inFeatures, outRows = w.outFeatures
        parallelChunks(outRows, granule: 16, minPerChunk: max(16, 32768 / max(n, 1))) { range, _ in
            var r = range.lowerBound
            let end = range.upperBound
            while r + 4 <= end {
                let b = bias.map { UnsafeRawPointer($0 + r).loadUnaligned(as: SIMD4<Float>.self) } ?? SIMD4()
                for t in 0..<tokens {
                    let v = F.dot4(w, row: r, x: x + t * n, n: n) + b
                    UnsafeMutableRawPointer(y + t * outRows + r).storeBytes(of: v, as: SIMD4<Float>.self)
                }
                r += 4
            }
            while r < end {
                let b = bias?[r] ?? 0
                for t in 0..<tokens { y[t * outRows + r] = F.dot1(w, row: r, x: x + t * n, n: n) + b }
                r += 1
            }
        }
    }
}
