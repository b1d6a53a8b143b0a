/// GGUF's 32-weight block types Q4_0, Q4_1, Q5_0 and Q5_1 in ggml's byte layouts: the scalar block decoders (the
/// definitions every kernel must match) and the quantizers.
///
/// Element k of a block: 4-bit part = low nibble of `qs[k]` for k < 16, high nibble of `qs[k − 16]` for k ≥ 16;
/// Q5 adds bit k of `qh` (read as a little-endian u32) as bit 4. Q4_0 y = d·(q − 8), Q5_0 y = d·(q − 16),
/// Q4_1 / Q5_1 y = d·q + m (`d`, `m` IEEE half).
public enum LegacyQuant {
    /// Byte offsets of one block's fields.
    struct Layout {
        /// Offset of `m` (Q4_1, Q5_1), nil without one.
        let m: Int?
        /// Offset of `qh` (Q5_0, Q5_1), nil without one.
        let qh: Int?
        /// Offset of `qs`.
        let qs: Int
        /// Level offset of the symmetric types (8 or 16); 0 for the ones with `m`.
        let zero: Int

        init(_ dtype: DType) {
            switch dtype {
            case .q4_0: self.init(m: nil, qh: nil, qs: 2, zero: 8)
            case .q4_1: self.init(m: 2, qh: nil, qs: 4, zero: 0)
            case .q5_0: self.init(m: nil, qh: 2, qs: 6, zero: 16)
            case .q5_1: self.init(m: 2, qh: 4, qs: 8, zero: 0)
            default: preconditionFailure("LegacyQuant.Layout of \(dtype)")
            }
        }

        init(m: Int?, qh: Int?, qs: Int, zero: Int) {
            self.m = m
            self.qh = qh
            self.qs = qs
            self.zero = zero
        }
    }

    /// The dtypes of this family.
    public static let dtypes: [DType] = [.q4_0, .q4_1, .q5_0, .q5_1]

    /// The unsigned level q (0…15 or 0…31) of element k of a block.
    public static func level(_ dtype: DType, _ block: UnsafeRawPointer, _ k: Int) -> Int {
        let layout = Layout(dtype)
        let byte = block.load(fromByteOffset: layout.qs + (k & 15), as: UInt8.self)
        var q = Int(k < 16 ? byte & 0x0F : byte >> 4)
        if let qh = layout.qh {
            let bits = UInt32(littleEndian: block.loadUnaligned(fromByteOffset: qh, as: UInt32.self))
            q |= Int((bits >> UInt32(k)) & 1) << 4
        }
        return q
    }

    /// Decodes one block of `dtype` (q4_0, q4_1, q5_0 or q5_1) to 32 floats.
    public static func decodeBlock(_ dtype: DType, _ block: UnsafeRawPointer, into out: UnsafeMutablePointer<Float>) {
        let layout = Layout(dtype)
        let d = Codec.f16ToFloat(UInt16(littleEndian: block.loadUnaligned(as: UInt16.self)))
        if let mo = layout.m {
            let m = Codec.f16ToFloat(UInt16(littleEndian: block.loadUnaligned(fromByteOffset: mo, as: UInt16.self)))
            for k in 0..<32 { out[k] = d * Float(level(dtype, block, k)) + m }
        } else {
            for k in 0..<32 { out[k] = d * Float(level(dtype, block, k) - layout.zero) }
        }
    }

    /// Quantizes 32 floats (all finite) into one block of `dtype`. The scale (and offset) come from a search that
    /// includes ggml's reference choice (`d = max/−8` for Q4_0, `(max − min)/15` with `m = min` for Q4_1, …), so the
    /// block's squared error is never above the reference quantizer's.
    public static func encodeBlock(_ dtype: DType, _ x: UnsafePointer<Float>, into block: UnsafeMutableRawPointer) {
        let layout = Layout(dtype)
        let nmax = dtype == .q4_0 || dtype == .q4_1 ? 15 : 31
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { buffer in
            let q = buffer.baseAddress!
            if let mo = layout.m {
                var mn = x[0]
                var mx = x[0]
                for k in 0..<32 {
                    mn = min(mn, x[k])
                    mx = max(mx, x[k])
                }
                let r = ScaleSearch.affine(
                    x, 32, nmax: nmax, storage: .f16, nonPositiveMin: false, levels: q,
                    extra: ((mx - mn) / Float(nmax), mn))
                block.storeBytes(of: Codec.floatToF16(r.d).littleEndian, as: UInt16.self)
                block.storeBytes(of: Codec.floatToF16(r.m).littleEndian, toByteOffset: mo, as: UInt16.self)
            } else {
                var amax: Float = 0
                var xmax: Float = 0
                for k in 0..<32 where abs(x[k]) > amax {
                    amax = abs(x[k])
                    xmax = x[k]
                }
                let zero = layout.zero
                withUnsafeTemporaryAllocation(of: Int8.self, capacity: 32) { signed in
                    let l = signed.baseAddress!
                    let r = ScaleSearch.symmetric(
                        x, 32, lo: -zero, hi: zero - 1, storage: .f16, levels: l,
                        extra: xmax / Float(-zero))
                    for k in 0..<32 { q[k] = UInt8(Int(l[k]) + zero) }
                    block.storeBytes(of: Codec.floatToF16(r.d).littleEndian, as: UInt16.self)
                }
            }
            for j in 0..<16 {
                block.storeBytes(
                    of: (q[j] & 0x0F) | (q[j + 16] & 0x0F) << 4, toByteOffset: layout.qs + j,
                    as: UInt8.self)
            }
            if let qh = layout.qh {
                var bits: UInt32 = 0
                for k in 0..<32 { bits |= UInt32(q[k] >> 4 & 1) << UInt32(k) }
                block.storeBytes(of: bits.littleEndian, toByteOffset: qh, as: UInt32.self)
            }
        }
    }
}
