import OSSCore

#if arch(x86_64) && canImport(_Builtin_intrinsics)
    import _Builtin_intrinsics.intel
#endif

/// Four `SIMD8<Float>`: 32 consecutive elements.
typealias Float8x4 = (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>)

/// Level vectors of the GGUF 4/5/6-bit block types: 32 levels as bytes (`Levels`), then as floats. On x86-64 the byte
/// operations are AVX2 intrinsics (Swift's generic SIMD byte shifts run element by element).
enum QuantLevels {
    #if arch(x86_64) && canImport(_Builtin_intrinsics)
        typealias Levels = __m256i

        /// 32 bytes → 32 floats, as unsigned (0…255) or signed (−128…127) integers.
        @inline(__always)
        static func widen(_ v: Levels, signed: Bool) -> Float8x4 {
            let lo = v.lowHalf
            let hi = v.highHalf
            @inline(__always) func cvt(_ q: __m128i) -> SIMD8<Float> {
                _mm256_cvtepi32_ps(signed ? _mm256_cvtepi8_epi32(q) : _mm256_cvtepu8_epi32(q))
            }
            return (cvt(lo), cvt(_mm_unpackhi_epi64(lo, lo)), cvt(hi), cvt(_mm_unpackhi_epi64(hi, hi)))
        }

        /// 16 bytes → their low nibbles (elements 0…15), then their high nibbles (16…31): a legacy block's levels.
        @inline(__always)
        static func nibbles16(_ p: UnsafeRawPointer) -> Levels {
            let v = unsafeBitCast(p.loadUnaligned(as: SIMD16<UInt8>.self), to: __m128i.self)
            let m = _mm_set1_epi8(0x0F)
            return _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(v, 4), m), _mm_and_si128(v, m))
        }

        /// The low (or high) nibbles of 32 bytes.
        @inline(__always)
        static func nibbles32(_ p: UnsafeRawPointer, high: Bool) -> Levels {
            let v = unsafeBitCast(p.loadUnaligned(as: SIMD32<UInt8>.self), to: __m256i.self)
            return _mm256_and_si256(high ? _mm256_srli_epi16(v, 4) : v, _mm256_set1_epi8(0x0F))
        }

        /// 32 bytes at p.
        @inline(__always)
        static func load(_ p: UnsafeRawPointer) -> Levels {
            unsafeBitCast(p.loadUnaligned(as: SIMD32<UInt8>.self), to: __m256i.self)
        }

        /// Bit k of `bits` → 0x10 in byte k (Q5_0 / Q5_1's fifth bits).
        @inline(__always)
        static func fifthBits(_ bits: UInt32) -> Levels {
            let spread = _mm256_setr_epi8(
                0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1,
                2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3)
            let bit = _mm256_set1_epi64x(Int64(bitPattern: 0x8040_2010_0804_0201))
            let v = _mm256_shuffle_epi8(_mm256_set1_epi32(Int32(bitPattern: bits)), spread)
            return _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(v, bit), bit), _mm256_set1_epi8(0x10))
        }

        /// Bits `shift … shift+width−1` of each byte of `v`, moved to bits 4… (`mask` = the moved bits, 0x10 or 0x30).
        @inline(__always)
        static func highBits(_ v: Levels, shift: Int32, mask: Int8) -> Levels {
            // 16-bit shifts; the mask keeps each byte's own bits (those moved in from the other byte land below bit 4)
            _mm256_and_si256(_mm256_slli_epi16(_mm256_srli_epi16(v, shift), 4), _mm256_set1_epi8(mask))
        }

        @inline(__always) static func or(_ a: Levels, _ b: Levels) -> Levels { _mm256_or_si256(a, b) }
        @inline(__always) static func minus(_ a: Levels, _ z: Int8) -> Levels {
            _mm256_sub_epi8(a, _mm256_set1_epi8(z))
        }
    #else
        typealias Levels = SIMD32<UInt8>

        @inline(__always)
        static func widen(_ u: Levels, signed: Bool) -> Float8x4 {
            @inline(__always) func cvt(_ q: SIMD8<UInt8>) -> SIMD8<Float> {
                signed
                    ? SIMD8<Float>(SIMD8<Int32>(truncatingIfNeeded: SIMD8<Int8>(truncatingIfNeeded: q)))
                    : SIMD8<Float>(SIMD8<Int32>(truncatingIfNeeded: q))
            }
            return (cvt(u.lowHalf.lowHalf), cvt(u.lowHalf.highHalf), cvt(u.highHalf.lowHalf), cvt(u.highHalf.highHalf))
        }

        @inline(__always)
        static func nibbles16(_ p: UnsafeRawPointer) -> Levels {
            let v = p.loadUnaligned(as: SIMD16<UInt8>.self)
            return SIMD32(lowHalf: v & 0x0F, highHalf: v &>> 4)
        }

        @inline(__always)
        static func nibbles32(_ p: UnsafeRawPointer, high: Bool) -> Levels {
            let v = p.loadUnaligned(as: SIMD32<UInt8>.self)
            return high ? v &>> 4 : v & 0x0F
        }

        @inline(__always) static func load(_ p: UnsafeRawPointer) -> Levels { p.loadUnaligned(as: SIMD32<UInt8>.self) }

        @inline(__always)
        static func fifthBits(_ bits: UInt32) -> Levels {
            var v = Levels()
            for k in 0..<32 { v[k] = UInt8((bits >> UInt32(k)) & 1) << 4 }
            return v
        }

        @inline(__always)
        static func highBits(_ v: Levels, shift: Int32, mask: Int8) -> Levels {
            ((v &>> UInt8(shift)) &<< 4) & UInt8(bitPattern: mask)
        }

        @inline(__always) static func or(_ a: Levels, _ b: Levels) -> Levels { a | b }
        @inline(__always) static func minus(_ a: Levels, _ z: Int8) -> Levels { a &- UInt8(z) }
    #endif

    /// Σ q·x over 32 elements (four FMA chains folded at the end).
    @inline(__always)
    static func dot(_ q: Float8x4, _ x: UnsafePointer<Float>) -> SIMD8<Float> {
        (q.0 * VectorMath.load8(x)).addingProduct(q.1, VectorMath.load8(x + 8))
            .addingProduct(q.2, VectorMath.load8(x + 16)).addingProduct(q.3, VectorMath.load8(x + 24))
    }

    /// Σ x over 32 elements, per lane.
    @inline(__always)
    static func sum(_ x: UnsafePointer<Float>) -> SIMD8<Float> {
        (VectorMath.load8(x) + VectorMath.load8(x + 8)) + (VectorMath.load8(x + 16) + VectorMath.load8(x + 24))
    }

    /// Stores `q·scale (+ offset)` for 32 elements, a product then a sum as the scalar decoders.
    @inline(__always)
    static func store(_ q: Float8x4, scale: Float, offset: Float?, _ dst: UnsafeMutablePointer<Float>) {
        let s = SIMD8<Float>(repeating: scale)
        if let offset {
            let o = SIMD8<Float>(repeating: offset)
            VectorMath.store8(q.0 * s + o, dst)
            VectorMath.store8(q.1 * s + o, dst + 8)
            VectorMath.store8(q.2 * s + o, dst + 16)
            VectorMath.store8(q.3 * s + o, dst + 24)
        } else {
            VectorMath.store8(q.0 * s, dst)
            VectorMath.store8(q.1 * s, dst + 8)
            VectorMath.store8(q.2 * s, dst + 16)
            VectorMath.store8(q.3 * s, dst + 24)
        }
    }

    @inline(__always)
    static func half(_ p: UnsafeRawPointer, _ offset: Int = 0) -> Float {
        Codec.f16ToFloat(UInt16(littleEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
    }
}

/// One GGUF block type in SIMD: decoding a block, and its dot product with x (definitions: `LegacyQuant`, `KQuant`).
protocol QuantBlockFormat {
    /// Weights per block (32, or 256 for the K-quants).
    static var elements: Int { get }
    /// Bytes per block.
    static var bytes: Int { get }
    /// Decodes one block into `elements` floats.
    static func decode(_ block: UnsafeRawPointer, into dst: UnsafeMutablePointer<Float>)
    /// Adds the block's Σ y·x, as lane sums, to `acc` and `second` (a second chain: the offset·Σx terms, or
    /// Q6_K's odd sub-blocks).
    static func accumulate(
        _ block: UnsafeRawPointer, _ x: UnsafePointer<Float>, _ acc: inout SIMD8<Float>,
        _ second: inout SIMD8<Float>)
}

/// Q4_0, Q4_1, Q5_0, Q5_1: `qh` / `m` offsets and the level offset z, as constants of the type.
protocol LegacyBlockLayout {
    static var bytes: Int { get }
    static var m: Int? { get }
    static var qh: Int? { get }
    static var qs: Int { get }
    static var zero: Int8 { get }
}

enum Q4_0Layout: LegacyBlockLayout {
    static var bytes: Int { 18 }
    static var m: Int? { nil }
    static var qh: Int? { nil }
    static var qs: Int { 2 }
    static var zero: Int8 { 8 }
}
enum Q4_1Layout: LegacyBlockLayout {
    static var bytes: Int { 20 }
    static var m: Int? { 2 }
    static var qh: Int? { nil }
    static var qs: Int { 4 }
    static var zero: Int8 { 0 }
}
enum Q5_0Layout: LegacyBlockLayout {
    static var bytes: Int { 22 }
    static var m: Int? { nil }
    static var qh: Int? { 2 }
    static var qs: Int { 6 }
    static var zero: Int8 { 16 }
}
enum Q5_1Layout: LegacyBlockLayout {
    static var bytes: Int { 24 }
    static var m: Int? { 2 }
    static var qh: Int? { 4 }
    static var qs: Int { 8 }
    static var zero: Int8 { 0 }
}

/// The 32-weight types: symmetric ones decode `d·(q − z)` from signed levels, the ones with `m` `d·q + m`.
enum LegacyBlocks<L: LegacyBlockLayout>: QuantBlockFormat {
    static var elements: Int { 32 }
    static var bytes: Int { L.bytes }

    @inline(__always)
    static func levels(_ block: UnsafeRawPointer) -> Float8x4 {
        var u = QuantLevels.nibbles16(block + L.qs)
        if let qh = L.qh {
            let bits = UInt32(littleEndian: block.loadUnaligned(fromByteOffset: qh, as: UInt32.self))
            u = QuantLevels.or(u, QuantLevels.fifthBits(bits))
        }
        return L.m == nil
            ? QuantLevels.widen(QuantLevels.minus(u, L.zero), signed: true)
            : QuantLevels.widen(u, signed: false)
    }

    @inline(__always)
    static func decode(_ block: UnsafeRawPointer, into dst: UnsafeMutablePointer<Float>) {
        let offset = L.m.map { QuantLevels.half(block, $0) }
        QuantLevels.store(levels(block), scale: QuantLevels.half(block), offset: offset, dst)
    }

    @inline(__always)
    static func accumulate(
        _ block: UnsafeRawPointer, _ x: UnsafePointer<Float>, _ acc: inout SIMD8<Float>,
        _ offsets: inout SIMD8<Float>
    ) {
        acc = acc.addingProduct(QuantLevels.dot(levels(block), x), SIMD8(repeating: QuantLevels.half(block)))
        if let m = L.m {
            offsets = offsets.addingProduct(QuantLevels.sum(x), SIMD8(repeating: QuantLevels.half(block, m)))
        }
    }
}

/// Q4_K and Q5_K super-blocks: sub-block j = (d·sc_j)·q − dmin·m_j.
enum K45Blocks<Five: KQuantBits>: QuantBlockFormat {
    static var elements: Int { 256 }
    static var bytes: Int { Five.isFive ? 176 : 144 }

    /// Sub-block j's unsigned levels.
    @inline(__always)
    static func levels(_ block: UnsafeRawPointer, _ j: Int) -> Float8x4 {
        var u = QuantLevels.nibbles32(block + (Five.isFive ? 48 : 16) + 32 * (j / 2), high: j % 2 == 1)
        if Five.isFive {
            u = QuantLevels.or(u, QuantLevels.highBits(QuantLevels.load(block + 16), shift: Int32(j), mask: 0x10))
        }
        return QuantLevels.widen(u, signed: false)
    }

    @inline(__always)
    static func decode(_ block: UnsafeRawPointer, into dst: UnsafeMutablePointer<Float>) {
        let d = QuantLevels.half(block)
        let dmin = QuantLevels.half(block, 2)
        for j in 0..<8 {
            let (sc, m) = KQuant.scaleMin(block + 4, j)
            QuantLevels.store(levels(block, j), scale: d * Float(sc), offset: -(dmin * Float(m)), dst + 32 * j)
        }
    }

    @inline(__always)
    static func accumulate(
        _ block: UnsafeRawPointer, _ x: UnsafePointer<Float>, _ acc: inout SIMD8<Float>,
        _ offsets: inout SIMD8<Float>
    ) {
        let d = QuantLevels.half(block)
        let dmin = QuantLevels.half(block, 2)
        for j in 0..<8 {
            let (sc, m) = KQuant.scaleMin(block + 4, j)
            acc = acc.addingProduct(QuantLevels.dot(levels(block, j), x + 32 * j), SIMD8(repeating: d * Float(sc)))
            offsets = offsets.addingProduct(QuantLevels.sum(x + 32 * j), SIMD8(repeating: -(dmin * Float(m))))
        }
    }
}

/// Q4_K (four bits) or Q5_K (five): a type-level flag.
protocol KQuantBits { static var isFive: Bool { get } }
enum FourBits: KQuantBits { static var isFive: Bool { false } }
enum FiveBits: KQuantBits { static var isFive: Bool { true } }

/// Q6_K super-blocks: 16-element sub-block s = (d·scales[s])·(q − 32).
enum Q6KBlocks: QuantBlockFormat {
    static var elements: Int { 256 }
    static var bytes: Int { 210 }

    /// Signed levels q − 32 of the 32-element chunk c (sub-blocks 2c, 2c+1).
    @inline(__always)
    static func levels(_ block: UnsafeRawPointer, _ c: Int) -> Float8x4 {
        let h = c / 4
        let t = c % 4
        let low = QuantLevels.nibbles32(block + 64 * h + 32 * (t & 1), high: t >= 2)
        let high = QuantLevels.highBits(QuantLevels.load(block + 128 + 32 * h), shift: Int32(2 * t), mask: 0x30)
        return QuantLevels.widen(QuantLevels.minus(QuantLevels.or(low, high), 32), signed: true)
    }

    @inline(__always)
    static func scale(_ block: UnsafeRawPointer, _ d: Float, _ s: Int) -> Float {
        d * Float(block.load(fromByteOffset: 192 + s, as: Int8.self))
    }

    @inline(__always)
    static func decode(_ block: UnsafeRawPointer, into dst: UnsafeMutablePointer<Float>) {
        let d = QuantLevels.half(block, 208)
        for c in 0..<8 {
            let q = levels(block, c)
            let s0 = SIMD8<Float>(repeating: scale(block, d, 2 * c))
            let s1 = SIMD8<Float>(repeating: scale(block, d, 2 * c + 1))
            let o = dst + 32 * c
            VectorMath.store8(q.0 * s0, o)
            VectorMath.store8(q.1 * s0, o + 8)
            VectorMath.store8(q.2 * s1, o + 16)
            VectorMath.store8(q.3 * s1, o + 24)
        }
    }

    @inline(__always)
    static func accumulate(
        _ block: UnsafeRawPointer, _ x: UnsafePointer<Float>, _ acc: inout SIMD8<Float>,
        _ offsets: inout SIMD8<Float>
    ) {
        let d = QuantLevels.half(block, 208)
        for c in 0..<8 {
            let q = levels(block, c)
            let xc = x + 32 * c
            let first = (q.0 * VectorMath.load8(xc)).addingProduct(q.1, VectorMath.load8(xc + 8))
            let second = (q.2 * VectorMath.load8(xc + 16)).addingProduct(q.3, VectorMath.load8(xc + 24))
            acc = acc.addingProduct(first, SIMD8(repeating: scale(block, d, 2 * c)))
            offsets = offsets.addingProduct(second, SIMD8(repeating: scale(block, d, 2 * c + 1)))
        }
    }
}

/// GEMV rows of a GGUF block type: every block decoded in registers and dotted with x; two accumulator pairs
/// (even and odd blocks) so consecutive blocks' FMA chains overlap.
enum QuantBlockRows<F: QuantBlockFormat>: GEMVRowFormat {
    @inline(__always)
    static func dot(_ w: WeightTensor, row r: Int, x: UnsafePointer<Float>, n: Int) -> Float {
        let p = w.data + r * w.rowBytes
        let blocks = n / F.elements
        var a0 = SIMD8<Float>()
        var a1 = SIMD8<Float>()
        var o0 = SIMD8<Float>()
        var o1 = SIMD8<Float>()
        var b = 0
        while b + 2 <= blocks {
            F.accumulate(p + F.bytes * b, x + F.elements * b, &a0, &o0)
            F.accumulate(p + F.bytes * (b + 1), x + F.elements * (b + 1), &a1, &o1)
            b += 2
        }
        if b < blocks { F.accumulate(p + F.bytes * b, x + F.elements * b, &a0, &o0) }
        return VectorMath.sum((a0 + a1) + (o0 + o1))
    }
}

extension WeightDecoder {
    /// Decodes `blocks` consecutive blocks of format F at `p` into `dst`.
    @inline(__always)
    static func decodeBlocks<F: QuantBlockFormat>(
        _ format: F.Type, _ p: UnsafeRawPointer, _ blocks: Int,
        into dst: UnsafeMutablePointer<Float>
    ) {
        for b in 0..<blocks { F.decode(p + F.bytes * b, into: dst + F.elements * b) }
    }

    /// Decodes `count` elements of a GGUF block type from `p` (a block boundary) into `dst`.
    static func decodeQuantBlocks(
        _ dtype: DType, _ p: UnsafeRawPointer, count: Int,
        into dst: UnsafeMutablePointer<Float>
    ) {
        switch dtype {
        case .q4_0: decodeBlocks(LegacyBlocks<Q4_0Layout>.self, p, count / 32, into: dst)
        case .q4_1: decodeBlocks(LegacyBlocks<Q4_1Layout>.self, p, count / 32, into: dst)
        case .q5_0: decodeBlocks(LegacyBlocks<Q5_0Layout>.self, p, count / 32, into: dst)
        case .q5_1: decodeBlocks(LegacyBlocks<Q5_1Layout>.self, p, count / 32, into: dst)
        case .q4_K: decodeBlocks(K45Blocks<FourBits>.self, p, count / 256, into: dst)
        case .q5_K: decodeBlocks(K45Blocks<FiveBits>.self, p, count / 256, into: dst)
        case .q6_K: decodeBlocks(Q6KBlocks.self, p, count / 256, into: dst)
        default: preconditionFailure("decodeQuantBlocks of \(dtype)")
        }
    }
}
