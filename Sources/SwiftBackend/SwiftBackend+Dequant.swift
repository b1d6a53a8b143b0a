import OSSCore

/// Vectorised decoders from every stored weight dtype to Float32: eight-lane loads for the float dtypes, block
/// decoders for Q8_0 and MXFP4. Used for GEMM weight tiles and embedding rows (the GEMV kernels decode in registers).
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
        unsafeBitCast(SIMD8<UInt32>(truncatingIfNeeded: p.loadUnaligned(as: SIMD8<UInt16>.self)) &<< 16,
                      to: SIMD8<Float>.self)
    }

    /// int8 ×8 → Float ×8.
    @inline(__always)
    static func i8x8(_ p: UnsafeRawPointer) -> SIMD8<Float> {
        SIMD8<Float>(SIMD8<Int32>(truncatingIfNeeded: p.loadUnaligned(as: SIMD8<Int8>.self)))
    }

    /// Decodes elements `from..<from+count` of row `row` (of the flattened `[rows, in]` view) into `dst`.
    /// For Q8_0 and MXFP4, `from` and `count` are multiples of 32.
    static func decode(_ w: WeightTensor, row: Int, from: Int, count: Int, into dst: UnsafeMutablePointer<Float>) {
        let rowBase = w.data + row * w.rowBytes
        switch w.dtype {
        case .f32:
            UnsafeMutableRawPointer(dst).copyMemory(from: rowBase + 4 * from, byteCount: 4 * count)
        case .f16:
            let p = rowBase + 2 * from
            var i = 0
            while i + 8 <= count { VectorMath.store8(f16x8(p + 2 * i), dst + i); i += 8 }
            while i < count { dst[i] = Codec.f16ToFloat(p.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)); i += 1 }
        case .bf16:
            let p = rowBase + 2 * from
            var i = 0
            while i + 8 <= count { VectorMath.store8(bf16x8(p + 2 * i), dst + i); i += 8 }
            while i < count { dst[i] = Codec.bf16ToFloat(p.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)); i += 1 }
        case .q8_0:
            let first = from / 32
            for b in 0..<(count / 32) {
                let block = rowBase + 34 * (first + b)
                let d = SIMD8<Float>(repeating: Codec.f16ToFloat(block.loadUnaligned(as: UInt16.self)))
                let o = dst + 32 * b
                VectorMath.store8(i8x8(block + 2) * d, o)
                VectorMath.store8(i8x8(block + 10) * d, o + 8)
                VectorMath.store8(i8x8(block + 18) * d, o + 16)
                VectorMath.store8(i8x8(block + 26) * d, o + 24)
            }
        case .mxfp4:
            guard let scales = w.scales else { return }
            let groupsPerRow = w.inFeatures / 32, first = from / 32
            let sc = scales + row * groupsPerRow + first
            let bytes = (rowBase + 16 * first).assumingMemoryBound(to: UInt8.self)
            let pairs = mxfp4PairTable, e8m0 = e8m0Table
            for g in 0..<(count / 32) {
                let s = SIMD2<Float>(repeating: e8m0[Int(sc[g])])
                let src = bytes + 16 * g
                let o = UnsafeMutableRawPointer(dst + 32 * g)
                for j in 0..<16 {
                    o.storeBytes(of: pairs[Int(src[j])] * s, toByteOffset: 8 * j, as: SIMD2<Float>.self)
                }
            }
        }
    }
}
