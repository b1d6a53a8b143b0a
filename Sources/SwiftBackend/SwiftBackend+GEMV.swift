import OSSCore

#if arch(x86_64) && canImport(_Builtin_intrinsics)
    import _Builtin_intrinsics.intel
#endif

/// A stored row format the GEMV kernels read directly: the dot product of one weight row with an input row,
/// decoding the dtype in registers, with several independent accumulators. Rows are read one after another,
/// front to back: a single sequential stream per worker is what the hardware prefetchers serve best (measured
/// here: interleaving 4 rows cost bf16 GEMV 45% of its DRAM rate).
protocol GEMVRowFormat {
    /// Dot of row `r` with `x[0..<n]`.
    static func dot(_ w: WeightTensor, row r: Int, x: UnsafePointer<Float>, n: Int) -> Float
}

/// Eight-lane loader of a plain float dtype (f32, f16, bf16) at element `i` of a row.
protocol FloatLaneLoader {
    static func load8(_ row: UnsafeRawPointer, _ i: Int) -> SIMD8<Float>
    static func load1(_ row: UnsafeRawPointer, _ i: Int) -> Float
}

enum F32Lanes: FloatLaneLoader {
    @inline(__always) static func load8(_ row: UnsafeRawPointer, _ i: Int) -> SIMD8<Float> {
        row.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self)
    }
    @inline(__always) static func load1(_ row: UnsafeRawPointer, _ i: Int) -> Float {
        row.loadUnaligned(fromByteOffset: 4 * i, as: Float.self)
    }
}

enum F16Lanes: FloatLaneLoader {
    @inline(__always) static func load8(_ row: UnsafeRawPointer, _ i: Int) -> SIMD8<Float> {
        WeightDecoder.f16x8(row + 2 * i)
    }
    @inline(__always) static func load1(_ row: UnsafeRawPointer, _ i: Int) -> Float {
        Codec.f16ToFloat(row.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
    }
}

enum BF16Lanes: FloatLaneLoader {
    @inline(__always) static func load8(_ row: UnsafeRawPointer, _ i: Int) -> SIMD8<Float> {
        WeightDecoder.bf16x8(row + 2 * i)
    }
    @inline(__always) static func load1(_ row: UnsafeRawPointer, _ i: Int) -> Float {
        Codec.bf16ToFloat(row.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
    }
}

/// f32 / f16 / bf16 rows: four accumulators, 32 elements per step, scalar tail.
enum FloatRows<L: FloatLaneLoader>: GEMVRowFormat {
    @inline(__always)
    static func dot(_ w: WeightTensor, row r: Int, x: UnsafePointer<Float>, n: Int) -> Float {
        let p = w.data + r * w.rowBytes
        var a0 = SIMD8<Float>()
        var a1 = SIMD8<Float>()
        var a2 = SIMD8<Float>()
        var a3 = SIMD8<Float>()
        var i = 0
        while i + 32 <= n {
            a0 = a0.addingProduct(L.load8(p, i), VectorMath.load8(x + i))
            a1 = a1.addingProduct(L.load8(p, i + 8), VectorMath.load8(x + i + 8))
            a2 = a2.addingProduct(L.load8(p, i + 16), VectorMath.load8(x + i + 16))
            a3 = a3.addingProduct(L.load8(p, i + 24), VectorMath.load8(x + i + 24))
            i += 32
        }
        while i + 8 <= n {
            a0 = a0.addingProduct(L.load8(p, i), VectorMath.load8(x + i))
            i += 8
        }
        var s = VectorMath.sum((a0 + a1) + (a2 + a3))
        while i < n {
            s += L.load1(p, i) * x[i]
            i += 1
        }
        return s
    }
}

/// bf16 rows against an input reordered per 16-group into (8 even elements, 8 odd elements)
/// (`BF16PairRows.reorderInput`): a 32-bit lane of the row holds `even | odd << 16`, so `lane << 16` is the
/// even weight and `lane & 0xFFFF0000` the odd one — two integer ops decode 16 weights, no widening shuffles.
/// Four accumulators, 32 elements per step; the tail past the last full 16-group reads the plain input.
enum BF16PairRows: GEMVRowFormat {
    @inline(__always)
    static func dot(_ w: WeightTensor, row r: Int, x: UnsafePointer<Float>, n: Int) -> Float {
        let p = UnsafeRawPointer(w.data + r * w.rowBytes)
        let high = SIMD8<UInt32>(repeating: 0xFFFF_0000)
        @inline(__always) func even(_ v: SIMD8<UInt32>) -> SIMD8<Float> {
            unsafeBitCast(v &<< 16, to: SIMD8<Float>.self)
        }
        @inline(__always) func odd(_ v: SIMD8<UInt32>) -> SIMD8<Float> {
            unsafeBitCast(v & high, to: SIMD8<Float>.self)
        }
        var a0 = SIMD8<Float>()
        var a1 = SIMD8<Float>()
        var a2 = SIMD8<Float>()
        var a3 = SIMD8<Float>()
        var i = 0
        while i + 32 <= n {
            let v0 = p.loadUnaligned(fromByteOffset: 2 * i, as: SIMD8<UInt32>.self)
            let v1 = p.loadUnaligned(fromByteOffset: 2 * i + 32, as: SIMD8<UInt32>.self)
            a0 = a0.addingProduct(even(v0), VectorMath.load8(x + i))
            a1 = a1.addingProduct(odd(v0), VectorMath.load8(x + i + 8))
            a2 = a2.addingProduct(even(v1), VectorMath.load8(x + i + 16))
            a3 = a3.addingProduct(odd(v1), VectorMath.load8(x + i + 24))
            i += 32
        }
        if i + 16 <= n {
            let v0 = p.loadUnaligned(fromByteOffset: 2 * i, as: SIMD8<UInt32>.self)
            a0 = a0.addingProduct(even(v0), VectorMath.load8(x + i))
            a1 = a1.addingProduct(odd(v0), VectorMath.load8(x + i + 8))
            i += 16
        }
        var s = VectorMath.sum((a0 + a1) + (a2 + a3))
        while i < n {
            s += BF16Lanes.load1(p, i) * x[i]
            i += 1
        }
        return s
    }

    /// Writes `x[0..<n]` with every full 16-group reordered as (8 even elements, 8 odd elements); the tail
    /// (n mod 16 elements) is copied as is.
    static func reorderInput(_ x: UnsafePointer<Float>, _ n: Int, into dst: UnsafeMutablePointer<Float>) {
        var i = 0
        while i + 16 <= n {
            let v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD16<Float>.self)
            VectorMath.store8(v.evenHalf, dst + i)
            VectorMath.store8(v.oddHalf, dst + i + 8)
            i += 16
        }
        while i < n {
            dst[i] = x[i]
            i += 1
        }
    }
}

/// Q8_0 rows: per 32-block, int8 → float in registers, block dot, then one FMA with the block's f16 scale.
enum Q8_0Rows: GEMVRowFormat {
    @inline(__always)
    static func block(
        _ q: UnsafeRawPointer, _ x0: SIMD8<Float>, _ x1: SIMD8<Float>, _ x2: SIMD8<Float>,
        _ x3: SIMD8<Float>
    ) -> SIMD8<Float> {
        let (q0, q1) = WeightDecoder.i8x16(q + 2)
        let (q2, q3) = WeightDecoder.i8x16(q + 18)
        return (q0 * x0).addingProduct(q1, x1).addingProduct(q2, x2).addingProduct(q3, x3)
    }

    @inline(__always)
    static func scale(_ q: UnsafeRawPointer) -> SIMD8<Float> {
        SIMD8(repeating: Codec.f16ToFloat(q.loadUnaligned(as: UInt16.self)))
    }

    @inline(__always)
    static func dot(_ w: WeightTensor, row r: Int, x: UnsafePointer<Float>, n: Int) -> Float {
        let p = w.data + r * w.rowBytes
        let blocks = n / 32
        @inline(__always) func term(_ b: Int) -> (SIMD8<Float>, SIMD8<Float>) {
            let xb = x + 32 * b
            let q = p + 34 * b
            return (
                block(
                    q, VectorMath.load8(xb), VectorMath.load8(xb + 8), VectorMath.load8(xb + 16),
                    VectorMath.load8(xb + 24)), scale(q)
            )
        }
        var a0 = SIMD8<Float>()
        var a1 = SIMD8<Float>()
        var b = 0
        while b + 2 <= blocks {
            let t0 = term(b)
            let t1 = term(b + 1)
            a0 = a0.addingProduct(t0.0, t0.1)
            a1 = a1.addingProduct(t1.0, t1.1)
            b += 2
        }
        if b < blocks {
            let t = term(b)
            a0 = a0.addingProduct(t.0, t.1)
        }
        return VectorMath.sum(a0 + a1)
    }
}

/// MXFP4 rows. On x86-64 the input is first reordered per 32-group into (16 even elements, 16 odd elements)
/// (`MXFP4Rows.reorderInput`) so that low nibbles meet even elements and high nibbles odd ones; a byte shuffle
/// (`pshufb`, two groups per 256-bit shuffle) maps codes to 2·value as int8, which is widened to float; the
/// group's E8M0 scale (halved) is applied with one FMA per group. Elsewhere the group is decoded with the pair table against the plain input.
enum MXFP4Rows: GEMVRowFormat {
    /// 2^(s−127) / 2 per E8M0 byte: the LUT below holds 2·value.
    nonisolated(unsafe) static let halfScaleTable: UnsafeMutablePointer<Float> = {
        let t = UnsafeMutablePointer<Float>.allocate(capacity: 256)
        for s in 0..<256 { t[s] = Codec.e8m0ToFloat(UInt8(s)) * 0.5 }
        return t
    }()

    #if arch(x86_64) && canImport(_Builtin_intrinsics)
        /// The input must be reordered (`reorderInput`) before `dot`.
        static let needsReorderedInput = true

        /// E2M1 code → 2·value as int8 (bit 3 = sign), in both 128-bit lanes.
        @inline(__always)
        static var codeTable: __m256i {
            unsafeBitCast(
                SIMD32<Int8>(
                    0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12,
                    0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12), to: __m256i.self)
        }

        /// Low 8 int8 → 8 floats.
        @inline(__always)
        static func widen(_ q: __m128i) -> SIMD8<Float> { _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q)) }

        /// High 8 int8 → 8 floats.
        @inline(__always)
        static func widenHigh(_ q: __m128i) -> SIMD8<Float> { widen(_mm_unpackhi_epi64(q, q)) }

        /// Two consecutive groups (32 bytes) → 2·values, per group (even 0..<8, even 8..<16, odd 0..<8, odd 8..<16):
        /// one nibble-indexed byte shuffle per nibble half covers both groups.
        @inline(__always)
        static func groupPair(_ p: UnsafeRawPointer, _ table: __m256i)
            -> (
                a: (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>),
                b: (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>)
            )
        {
            let v = unsafeBitCast(p.loadUnaligned(as: SIMD32<UInt8>.self), to: __m256i.self)
            let mask = unsafeBitCast(SIMD32<UInt8>(repeating: 0x0F), to: __m256i.self)
            let lo = _mm256_shuffle_epi8(table, _mm256_and_si256(v, mask))
            let hi = _mm256_shuffle_epi8(table, _mm256_and_si256(_mm256_srli_epi16(v, 4), mask))
            return (
                (widen(lo.lowHalf), widenHigh(lo.lowHalf), widen(hi.lowHalf), widenHigh(hi.lowHalf)),
                (widen(lo.highHalf), widenHigh(lo.highHalf), widen(hi.highHalf), widenHigh(hi.highHalf))
            )
        }

        /// One group (16 bytes) → 2·values (even 0..<8, even 8..<16, odd 0..<8, odd 8..<16).
        @inline(__always)
        static func group(_ p: UnsafeRawPointer, _ table: __m256i)
            -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>)
        {
            let v = unsafeBitCast(p.loadUnaligned(as: SIMD16<UInt8>.self), to: __m128i.self)
            let mask = unsafeBitCast(SIMD16<UInt8>(repeating: 0x0F), to: __m128i.self)
            let lo = _mm_shuffle_epi8(table.lowHalf, _mm_and_si128(v, mask))
            let hi = _mm_shuffle_epi8(table.lowHalf, _mm_and_si128(_mm_srli_epi16(v, 4), mask))
            return (widen(lo), widenHigh(lo), widen(hi), widenHigh(hi))
        }

        /// Σ 2·value·x over one group, from its decoded vectors and the reordered input of that group.
        @inline(__always)
        static func groupSum(
            _ w: (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>),
            _ x: UnsafePointer<Float>
        ) -> SIMD8<Float> {
            (w.0 * VectorMath.load8(x)).addingProduct(w.1, VectorMath.load8(x + 8))
                .addingProduct(w.2, VectorMath.load8(x + 16)).addingProduct(w.3, VectorMath.load8(x + 24))
        }

        @inline(__always)
        static func dot(_ w: WeightTensor, row r: Int, x: UnsafePointer<Float>, n: Int) -> Float {
            let groups = n / 32
            let p = w.data + r * w.rowBytes
            guard let scales = w.scales else { return 0 }
            let s = scales + r * groups
            let half = halfScaleTable
            let table = codeTable
            var a0 = SIMD8<Float>()
            var a1 = SIMD8<Float>()
            var g = 0
            while g + 2 <= groups {
                let d = groupPair(p + 16 * g, table)
                a0 = a0.addingProduct(groupSum(d.a, x + 32 * g), SIMD8(repeating: half[Int(s[g])]))
                a1 = a1.addingProduct(groupSum(d.b, x + 32 * g + 32), SIMD8(repeating: half[Int(s[g + 1])]))
                g += 2
            }
            if g < groups {
                a0 = a0.addingProduct(groupSum(group(p + 16 * g, table), x + 32 * g), SIMD8(repeating: half[Int(s[g])]))
            }
            return VectorMath.sum(a0 + a1)
        }
    #else
        static let needsReorderedInput = false

        @inline(__always)
        static func groupDot(_ p: UnsafePointer<UInt8>, _ x: UnsafePointer<Float>) -> SIMD8<Float> {
            let pairs = WeightDecoder.mxfp4PairTable
            var acc = SIMD8<Float>()
            for q in 0..<4 {
                let b = p + 4 * q
                let v = SIMD8<Float>(
                    lowHalf: SIMD4(lowHalf: pairs[Int(b[0])], highHalf: pairs[Int(b[1])]),
                    highHalf: SIMD4(lowHalf: pairs[Int(b[2])], highHalf: pairs[Int(b[3])]))
                acc = acc.addingProduct(v, VectorMath.load8(x + 8 * q))
            }
            return acc
        }

        static func dot(_ w: WeightTensor, row r: Int, x: UnsafePointer<Float>, n: Int) -> Float {
            let groups = n / 32
            let p = (w.data + r * w.rowBytes).assumingMemoryBound(to: UInt8.self)
            guard let scales = w.scales else { return 0 }
            let s = scales + r * groups
            var a = SIMD8<Float>()
            for g in 0..<groups {
                a = a.addingProduct(
                    groupDot(p + 16 * g, x + 32 * g),
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
    /// GEMV-class linear for a few input rows: `y[t, :] = W·x[t, :] + b`, parallel over output rows; all
    /// `tokens` input rows are applied to a weight row while it is in L1, so the weight streams from memory once
    /// per call.
    func gemv(
        _ w: WeightTensor, x: UnsafePointer<Float>, tokens: Int, bias: UnsafePointer<Float>?,
        y: UnsafeMutablePointer<Float>, scratch: SwiftBackendScratch
    ) {
        let n = w.inFeatures
        switch w.dtype {
        case .f32: gemvRows(FloatRows<F32Lanes>.self, w, x: x, tokens: tokens, bias: bias, y: y)
        case .f16: gemvRows(FloatRows<F16Lanes>.self, w, x: x, tokens: tokens, bias: bias, y: y)
        case .bf16:
            let reordered = scratch.gemvInput.floats(tokens * n)
            for t in 0..<tokens { BF16PairRows.reorderInput(x + t * n, n, into: reordered + t * n) }
            gemvRows(BF16PairRows.self, w, x: reordered, tokens: tokens, bias: bias, y: y)
        case .q8_0: gemvRows(Q8_0Rows.self, w, x: x, tokens: tokens, bias: bias, y: y)
        case .q4_0: gemvRows(QuantBlockRows<LegacyBlocks<Q4_0Layout>>.self, w, x: x, tokens: tokens, bias: bias, y: y)
        case .q4_1: gemvRows(QuantBlockRows<LegacyBlocks<Q4_1Layout>>.self, w, x: x, tokens: tokens, bias: bias, y: y)
        case .q5_0: gemvRows(QuantBlockRows<LegacyBlocks<Q5_0Layout>>.self, w, x: x, tokens: tokens, bias: bias, y: y)
        case .q5_1: gemvRows(QuantBlockRows<LegacyBlocks<Q5_1Layout>>.self, w, x: x, tokens: tokens, bias: bias, y: y)
        case .q4_K: gemvRows(QuantBlockRows<K45Blocks<FourBits>>.self, w, x: x, tokens: tokens, bias: bias, y: y)
        case .q5_K: gemvRows(QuantBlockRows<K45Blocks<FiveBits>>.self, w, x: x, tokens: tokens, bias: bias, y: y)
        case .q6_K: gemvRows(QuantBlockRows<Q6KBlocks>.self, w, x: x, tokens: tokens, bias: bias, y: y)
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
    private func gemvRows<F: GEMVRowFormat>(
        _ format: F.Type, _ w: WeightTensor, x: UnsafePointer<Float>,
        tokens: Int, bias: UnsafePointer<Float>?,
        y: UnsafeMutablePointer<Float>
    ) {
        parallelChunks(
            w.outFeatures, granule: 16, minPerChunk: max(16, 65536 / max(w.inFeatures, 1)),
            GEMVRows<F>(w: w, x: x, tokens: tokens, bias: bias, y: y))
    }
}

/// GEMV over a range of output rows `r`: `y[t, r] = dot(W[r, :], x[t, :]) + bias[r]` for every input row `t`.
struct GEMVRows<F: GEMVRowFormat>: ChunkKernel {
    let w: WeightTensor
    let x: UnsafePointer<Float>
    let tokens: Int
    let bias: UnsafePointer<Float>?
    let y: UnsafeMutablePointer<Float>

    @inline(__always)
    func run(_ range: Range<Int>, worker _: Int) {
        let n = w.inFeatures
        let outRows = w.outFeatures
        for r in range {
            let b = bias?[r] ?? 0
            for t in 0..<tokens { y[t * outRows + r] = F.dot(w, row: r, x: x + t * n, n: n) + b }
        }
    }
}
