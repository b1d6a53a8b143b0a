/// GGUF's K-quants Q4_K, Q5_K and Q6_K (256-weight super-blocks) in ggml's byte layouts: the scalar decoders (the
/// definitions every kernel must match) and the quantizers.
///
/// Q4_K / Q5_K: `{ f16 d; f16 dmin; u8 scales[12]; (Q5_K: u8 qh[32];) u8 qs[128] }`, 8 sub-blocks of 32 with a 6-bit
/// scale sc_j and min m_j (packing: ``scaleMin(_:_:)``); element k is in sub-block j = k/32, its nibble is byte
/// `qs[32·(k/64) + k%32]`, low if k%64 < 32 else high; Q5_K adds bit j of `qh[k%32]` as bit 4;
/// y = (d·sc_j)·q − (dmin·m_j).
/// Q6_K: `{ u8 ql[128]; u8 qh[64]; i8 scales[16]; f16 d }`, 16 sub-blocks of 16: h = k/128, r = k%128, t = r/32,
/// l = r%32; low 4 bits = `ql[64h + 32(t&1) + l]` (low nibble if t < 2, else high), high 2 bits =
/// `(qh[32h + l] >> 2t) & 3`; y = (d·scales[k/16])·(q − 32).
public enum KQuant {
    /// The dtypes of this family.
    public static let dtypes: [DType] = [.q4_K, .q5_K, .q6_K]

    // MARK: Q4_K / Q5_K

    /// Offset of `qs` in a Q4_K (16) or Q5_K (48) super-block; Q5_K's `qh` is at 16.
    static func qsOffset(_ dtype: DType) -> Int { dtype == .q5_K ? 48 : 16 }

    /// The 6-bit scale and min of sub-block j (0…7) from the 12 packed bytes `b`:
    /// j < 4: sc = b[j] & 63, m = b[j+4] & 63; j ≥ 4: sc = (b[j+4] & 15) | (b[j−4] >> 6) << 4,
    /// m = (b[j+4] >> 4) | (b[j] >> 6) << 4.
    public static func scaleMin(_ b: UnsafeRawPointer, _ j: Int) -> (sc: UInt8, m: UInt8) {
        func at(_ i: Int) -> UInt8 { b.load(fromByteOffset: i, as: UInt8.self) }
        if j < 4 { return (at(j) & 63, at(j + 4) & 63) }
        return ((at(j + 4) & 0x0F) | (at(j - 4) >> 6) << 4, (at(j + 4) >> 4) | (at(j) >> 6) << 4)
    }

    /// Packs 8 six-bit scales and mins into 12 bytes (the inverse of ``scaleMin(_:_:)``).
    public static func packScaleMins(_ sc: [UInt8], _ m: [UInt8], into b: UnsafeMutableRawPointer) {
        var bytes = [UInt8](repeating: 0, count: 12)
        for j in 0..<4 {
            bytes[j] = sc[j] & 63 | (sc[j + 4] >> 4) << 6
            bytes[j + 4] = m[j] & 63 | (m[j + 4] >> 4) << 6
            bytes[j + 8] = sc[j + 4] & 0x0F | (m[j + 4] & 0x0F) << 4
        }
        for i in 0..<12 { b.storeBytes(of: bytes[i], toByteOffset: i, as: UInt8.self) }
    }

    /// The 4- or 5-bit level of element k of a Q4_K / Q5_K super-block.
    public static func level(_ dtype: DType, _ block: UnsafeRawPointer, _ k: Int) -> Int {
        let byte = block.load(fromByteOffset: qsOffset(dtype) + 32 * (k / 64) + k % 32, as: UInt8.self)
        var q = Int(k % 64 < 32 ? byte & 0x0F : byte >> 4)
        if dtype == .q5_K {
            q |= Int(block.load(fromByteOffset: 16 + k % 32, as: UInt8.self) >> UInt8(k / 32) & 1) << 4
        }
        return q
    }

    /// The 6-bit level (0…63) of element k of a Q6_K super-block.
    public static func q6Level(_ block: UnsafeRawPointer, _ k: Int) -> Int {
        let h = k / 128
        let r = k % 128
        let t = r / 32
        let l = r % 32
        let low = block.load(fromByteOffset: 64 * h + 32 * (t & 1) + l, as: UInt8.self)
        let high = block.load(fromByteOffset: 128 + 32 * h + l, as: UInt8.self)
        return Int(t < 2 ? low & 0x0F : low >> 4) | Int(high >> UInt8(2 * t) & 3) << 4
    }

    /// Decodes one super-block of `dtype` (q4_K, q5_K or q6_K) to 256 floats.
    public static func decodeBlock(_ dtype: DType, _ block: UnsafeRawPointer, into out: UnsafeMutablePointer<Float>) {
        if dtype == .q6_K {
            let d = Codec.f16ToFloat(UInt16(littleEndian: block.loadUnaligned(fromByteOffset: 208, as: UInt16.self)))
            for s in 0..<16 {
                let ds = d * Float(block.load(fromByteOffset: 192 + s, as: Int8.self))
                for k in (16 * s)..<(16 * s + 16) { out[k] = ds * Float(q6Level(block, k) - 32) }
            }
            return
        }
        let d = Codec.f16ToFloat(UInt16(littleEndian: block.loadUnaligned(as: UInt16.self)))
        let dmin = Codec.f16ToFloat(UInt16(littleEndian: block.loadUnaligned(fromByteOffset: 2, as: UInt16.self)))
        for j in 0..<8 {
            let (sc, m) = scaleMin(block + 4, j)
            let d1 = d * Float(sc)
            let m1 = dmin * Float(m)
            for k in (32 * j)..<(32 * j + 32) { out[k] = d1 * Float(level(dtype, block, k)) - m1 }
        }
    }

    // MARK: quantizers

    /// Quantizes 256 floats (all finite) into one super-block of `dtype`.
    ///
    /// Q4_K / Q5_K: each sub-block's scale and (non-positive) offset from `ScaleSearch.affine`; d and dmin map the
    /// largest to 63; every sub-block's 6-bit (sc, m) is then chosen among the 3×3 neighbours of the rounded values by
    /// the exact error of the decoded block (levels re-chosen for each). Q6_K: each sub-block's scale from
    /// `ScaleSearch.symmetric` (levels −32…31); d maps the largest-magnitude scale to −128 or to 127, whichever decodes
    /// better, and each int8 scale is chosen among its ±2 neighbours the same way.
    public static func encodeBlock(_ dtype: DType, _ x: UnsafePointer<Float>, into block: UnsafeMutableRawPointer) {
        if dtype == .q6_K { encodeQ6K(x, into: block) } else { encodeQ45K(dtype, x, into: block) }
    }

    static func encodeQ45K(_ dtype: DType, _ x: UnsafePointer<Float>, into block: UnsafeMutableRawPointer) {
        let nmax = dtype == .q5_K ? 31 : 15
        var scales = [Float](repeating: 0, count: 8)
        var mins = [Float](repeating: 0, count: 8)
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 512) { buffer in
            let q = buffer.baseAddress!
            let trial = q + 256
            for j in 0..<8 {
                let r = ScaleSearch.affine(
                    x + 32 * j, 32, nmax: nmax, storage: .float, nonPositiveMin: true,
                    levels: q + 32 * j)
                scales[j] = r.d
                mins[j] = -r.m
            }
            let d = Codec.f16ToFloat(Codec.floatToF16(scales.max()! / 63))
            let dmin = Codec.f16ToFloat(Codec.floatToF16(mins.max()! / 63))
            var sc = [UInt8](repeating: 0, count: 8)
            var mq = [UInt8](repeating: 0, count: 8)
            for j in 0..<8 {
                let xs = x + 32 * j
                let sc0 = d > 0 ? min(max(Int((scales[j] / d).rounded()), 0), 63) : 0
                let m0 = dmin > 0 ? min(max(Int((mins[j] / dmin).rounded()), 0), 63) : 0
                var best = Float.infinity
                for cs in max(0, sc0 - 1)...min(63, sc0 + 1) {
                    for cm in max(0, m0 - 1)...min(63, m0 + 1) {
                        // y = d1·q − m1 = d1·q + (−m1)
                        let e = ScaleSearch.evaluate(
                            xs, 32, d: d * Float(cs), m: -(dmin * Float(cm)), nmax: nmax,
                            levels: trial)
                        if e < best {
                            best = e
                            sc[j] = UInt8(cs)
                            mq[j] = UInt8(cm)
                            (q + 32 * j).update(from: trial, count: 32)
                        }
                    }
                }
            }
            block.storeBytes(of: Codec.floatToF16(d).littleEndian, as: UInt16.self)
            block.storeBytes(of: Codec.floatToF16(dmin).littleEndian, toByteOffset: 2, as: UInt16.self)
            packScaleMins(sc, mq, into: block + 4)
            let qs = qsOffset(dtype)
            for i in 0..<(qs == 48 ? 32 : 0) { block.storeBytes(of: UInt8(0), toByteOffset: 16 + i, as: UInt8.self) }
            for c in 0..<4 {  // 64 elements per 32 bytes: k%64 < 32 low nibble, else high
                for l in 0..<32 {
                    let lo = q[64 * c + l]
                    let hi = q[64 * c + 32 + l]
                    block.storeBytes(of: (lo & 0x0F) | (hi & 0x0F) << 4, toByteOffset: qs + 32 * c + l, as: UInt8.self)
                }
            }
            if dtype == .q5_K {
                for k in 0..<256 where q[k] & 0x10 != 0 {
                    let o = 16 + k % 32
                    let old = block.load(fromByteOffset: o, as: UInt8.self)
                    block.storeBytes(of: old | UInt8(1) << UInt8(k / 32), toByteOffset: o, as: UInt8.self)
                }
            }
        }
    }

    static func encodeQ6K(_ x: UnsafePointer<Float>, into block: UnsafeMutableRawPointer) {
        var scales = [Float](repeating: 0, count: 16)
        withUnsafeTemporaryAllocation(of: Int8.self, capacity: 16 * 3 + 256 * 2) { buffer in
            let levels = buffer.baseAddress!
            let bestLevels = levels + 256
            let trial = levels + 512
            let scSigned = trial + 16
            var bestSc = [Int8](repeating: 0, count: 16)
            for s in 0..<16 {
                scales[s] =
                    ScaleSearch.symmetric(
                        x + 16 * s, 16, lo: -32, hi: 31, storage: .float,
                        levels: levels + 16 * s
                    ).d
            }
            var smax: Float = 0
            for s in scales where abs(s) > abs(smax) { smax = s }
            var bestTotal = Float.infinity
            var bestD: Float = 0
            // the largest-magnitude scale as −128 or as 127
            for target: Float in [-128, 127] {
                let d = Codec.f16ToFloat(Codec.floatToF16(smax / target))
                var total: Float = 0
                for s in 0..<16 {
                    let sc0 = d != 0 ? min(max(Int((scales[s] / d).rounded()), -128), 127) : 0
                    var best = Float.infinity
                    for c in max(-128, sc0 - 2)...min(127, sc0 + 2) {
                        let e = ScaleSearch.evaluate(
                            x + 16 * s, 16, d: d * Float(c), lo: -32, hi: 31,
                            levels: trial + 32)
                        if e < best {
                            best = e
                            scSigned[s] = Int8(c)
                            (levels + 16 * s).update(from: trial + 32, count: 16)
                        }
                    }
                    total += best
                }
                if total < bestTotal {
                    bestTotal = total
                    bestD = d
                    bestLevels.update(from: levels, count: 256)
                    for s in 0..<16 { bestSc[s] = scSigned[s] }
                }
            }
            for i in 0..<192 { block.storeBytes(of: UInt8(0), toByteOffset: i, as: UInt8.self) }
            for k in 0..<256 {
                let q = UInt8(Int(bestLevels[k]) + 32)
                let h = k / 128
                let r = k % 128
                let t = r / 32
                let l = r % 32
                let lo = 64 * h + 32 * (t & 1) + l
                let hi = 128 + 32 * h + l
                let oldLo = block.load(fromByteOffset: lo, as: UInt8.self)
                block.storeBytes(of: oldLo | (t < 2 ? q & 0x0F : (q & 0x0F) << 4), toByteOffset: lo, as: UInt8.self)
                let oldHi = block.load(fromByteOffset: hi, as: UInt8.self)
                block.storeBytes(of: oldHi | (q >> 4) << UInt8(2 * t), toByteOffset: hi, as: UInt8.self)
            }
            for s in 0..<16 { block.storeBytes(of: bestSc[s], toByteOffset: 192 + s, as: Int8.self) }
            block.storeBytes(of: Codec.floatToF16(bestD).littleEndian, toByteOffset: 208, as: UInt16.self)
        }
    }
}
