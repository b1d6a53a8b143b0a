import OSSCore

#if arch(x86_64) && canImport(_Builtin_intrinsics)
    import _Builtin_intrinsics.intel
#endif

/// Vectorised decoders from every stored weight dtype to Float32: eight-lane loads for the float dtypes, block
/// decoders for Q8_0 and MXFP4 (and the GGUF 4/5/6-bit block types, see `QuantBlocks.swift`). Used for GEMM weight tiles and embedding rows (the GEMV kernels decode in registers).
enum WeightDecoder {
    /// MXFP4 byte → (value of low nibble, value of high nibble), unscaled; 256 entries, built once.
    nonisolated(unsafe) static let mxfp4PairTable: UnsafeMutablePointer<SIMD2<Float>> = {
        let t = UnsafeMutablePointer<SIMD2<Float>>.allocate(capacity: 256)
        for b in 0..<256 { t[b] = SIMD2(Codec.fp4Values[b & 15], Codec.fp4Values[b >> 4]) }
        return t
    }()

    /// E8M0 byte → 2^(s−127), 256 entries (exactly `Codec.e8m0ToFloat`).
    nonisolated(unsafe) static let e8m0Table: UnsafeMutablePointer<Float> = {
        let t = UnsafeMutablePointer<Float>.allocate(capacity: 256)
        for s in 0..<256 { t[s] = Codec.e8m0ToFloat(UInt8(s)) }
        return t
    }()

    /// f16 ×8 → Float ×8 (vcvtph2ps with F16C).
    @inline(__always)
    static func f16x8(_ p: UnsafeRawPointer) -> SIMD8<Float> {
        SIMD8<Float>(p.loadUnaligned(as: SIMD8<Float16>.self))
    }

    /// bf16 ×8 → Float ×8 (`bits << 16`).
    @inline(__always)
    static func bf16x8(_ p: UnsafeRawPointer) -> SIMD8<Float> {
        unsafeBitCast(
            SIMD8<UInt32>(truncatingIfNeeded: p.loadUnaligned(as: SIMD8<UInt16>.self)) &<< 16,
            to: SIMD8<Float>.self)
    }

    /// int8 ×16 → Float ×8 twice (one 16-byte load, `vpmovsxbd` + `vcvtdq2ps` on x86-64).
    @inline(__always)
    static func i8x16(_ p: UnsafeRawPointer) -> (SIMD8<Float>, SIMD8<Float>) {
        #if arch(x86_64) && canImport(_Builtin_intrinsics)
            let v = unsafeBitCast(p.loadUnaligned(as: SIMD16<Int8>.self), to: __m128i.self)
            return (
                _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(v)),
                _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_unpackhi_epi64(v, v)))
            )
        #else
            let v = p.loadUnaligned(as: SIMD16<Int8>.self)
            return (
                SIMD8<Float>(SIMD8<Int32>(truncatingIfNeeded: v.lowHalf)),
                SIMD8<Float>(SIMD8<Int32>(truncatingIfNeeded: v.highHalf))
            )
        #endif
    }

    /// Decodes elements `from..<from+count` of row `row` (of the flattened `[rows, in]` view) into `dst`.
    /// For block dtypes, `from` and `count` are multiples of the block size (32, or 256 for the K-quants).
    static func decode(_ w: WeightTensor, row: Int, from: Int, count: Int, into dst: UnsafeMutablePointer<Float>) {
        let rowBase = w.data + row * w.rowBytes
        switch w.dtype {
        case .f32:
            UnsafeMutableRawPointer(dst).copyMemory(from: rowBase + 4 * from, byteCount: 4 * count)
        case .f16:
            decodeLanes(F16Lanes.self, rowBase + 2 * from, count, into: dst)
        case .bf16:
            decodeLanes(BF16Lanes.self, rowBase + 2 * from, count, into: dst)
        case .q8_0:
            let first = from / 32
            for b in 0..<(count / 32) {
                let block = rowBase + 34 * (first + b)
                let d = SIMD8<Float>(repeating: Codec.f16ToFloat(block.loadUnaligned(as: UInt16.self)))
                let o = dst + 32 * b
                let (q0, q1) = i8x16(block + 2)
                let (q2, q3) = i8x16(block + 18)
                VectorMath.store8(q0 * d, o)
                VectorMath.store8(q1 * d, o + 8)
                VectorMath.store8(q2 * d, o + 16)
                VectorMath.store8(q3 * d, o + 24)
            }
        case .mxfp4:
            guard let scales = w.scales else { return }
            let groupsPerRow = w.inFeatures / 32
            let first = from / 32
            let sc = scales + row * groupsPerRow + first
            let bytes = rowBase + 16 * first
            for g in 0..<(count / 32) {
                decodeMXFP4Group(bytes + 16 * g, scale: sc[g], into: dst + 32 * g)
            }
        case .q4_0, .q4_1, .q5_0, .q5_1, .q4_K, .q5_K, .q6_K:
            decodeQuantBlocks(
                w.dtype, rowBase + from / w.dtype.blockSize * w.dtype.bytesPerBlock, count: count,
                into: dst)
        }
    }

    /// `count` elements of a plain float dtype, eight lanes at a time.
    @inline(__always)
    static func decodeLanes<L: FloatLaneLoader>(
        _ lanes: L.Type, _ p: UnsafeRawPointer, _ count: Int,
        into dst: UnsafeMutablePointer<Float>
    ) {
        var i = 0
        while i + 8 <= count {
            VectorMath.store8(L.load8(p, i), dst + i)
            i += 8
        }
        while i < count {
            dst[i] = L.load1(p, i)
            i += 1
        }
    }

    /// One MXFP4 group (16 bytes + E8M0 scale) → 32 floats in element order. On x86-64: nibbles → 2·value as
    /// int8 by a byte shuffle, re-interleaved (low nibble = even element), widened, times scale/2.
    @inline(__always)
    static func decodeMXFP4Group(_ p: UnsafeRawPointer, scale: UInt8, into dst: UnsafeMutablePointer<Float>) {
        #if arch(x86_64) && canImport(_Builtin_intrinsics)
            let v = unsafeBitCast(p.loadUnaligned(as: SIMD16<UInt8>.self), to: __m128i.self)
            let mask = unsafeBitCast(SIMD16<UInt8>(repeating: 0x0F), to: __m128i.self)
            let table = unsafeBitCast(
                SIMD16<Int8>(0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12),
                to: __m128i.self)
            let lo = _mm_shuffle_epi8(table, _mm_and_si128(v, mask))
            let hi = _mm_shuffle_epi8(table, _mm_and_si128(_mm_srli_epi16(v, 4), mask))
            let first = _mm_unpacklo_epi8(lo, hi)
            let second = _mm_unpackhi_epi8(lo, hi)
            let s = SIMD8<Float>(repeating: MXFP4Rows.halfScaleTable[Int(scale)])
            @inline(__always) func widen(_ q: __m128i) -> SIMD8<Float> { _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q)) }
            VectorMath.store8(widen(first) * s, dst)
            VectorMath.store8(widen(_mm_unpackhi_epi64(first, first)) * s, dst + 8)
            VectorMath.store8(widen(second) * s, dst + 16)
            VectorMath.store8(widen(_mm_unpackhi_epi64(second, second)) * s, dst + 24)
        #else
            let s = SIMD2<Float>(repeating: e8m0Table[Int(scale)])
            let pairs = mxfp4PairTable
            let src = p.assumingMemoryBound(to: UInt8.self)
            let o = UnsafeMutableRawPointer(dst)
            for j in 0..<16 {
                o.storeBytes(of: pairs[Int(src[j])] * s, toByteOffset: 8 * j, as: SIMD2<Float>.self)
            }
        #endif
    }
}
