/// Scalar encode/decode of the weight dtypes. Kernels have vectorised versions; these are the definitions.
public enum Codec {
    /// E2M1 code → value, for codes 0…15 (bit 3 = sign). Code 8 is −0.
    public static let fp4Values: [Float] = [0, 0.5, 1, 1.5, 2, 3, 4, 6, -0.0, -0.5, -1, -1.5, -2, -3, -4, -6]

    /// bfloat16 bits → Float (exact).
    @inlinable public static func bf16ToFloat(_ bits: UInt16) -> Float { Float(bitPattern: UInt32(bits) << 16) }

    /// Float → bfloat16 bits, round to nearest even (NaN stays NaN).
    @inlinable public static func floatToBF16(_ value: Float) -> UInt16 {
        let u = value.bitPattern
        if value.isNaN { return UInt16(truncatingIfNeeded: (u >> 16) | 0x40) }
        let rounding = ((u >> 16) & 1) &+ 0x7FFF
        return UInt16(truncatingIfNeeded: (u &+ rounding) >> 16)
    }

    /// IEEE half bits → Float.
    @inlinable public static func f16ToFloat(_ bits: UInt16) -> Float { Float(Float16(bitPattern: bits)) }

    /// Float → IEEE half bits (round to nearest even).
    @inlinable public static func floatToF16(_ value: Float) -> UInt16 { Float16(value).bitPattern }

    /// E8M0 scale byte → 2^(s−127) (s = 255 is treated as 2^128 = +inf, as `ldexp` in the reference).
    @inlinable public static func e8m0ToFloat(_ s: UInt8) -> Float {
        if s == 0 { return Float(sign: .plus, exponent: -127, significand: 1) }
        return Float(bitPattern: UInt32(s) << 23)
    }

    /// Decodes one MXFP4 group: 16 packed bytes + one scale → 32 floats (low nibble = even element).
    @inlinable public static func decodeMXFP4Group(
        _ bytes: UnsafePointer<UInt8>, scale: UInt8,
        into out: UnsafeMutablePointer<Float>
    ) {
        let s = e8m0ToFloat(scale)
        for j in 0..<16 {
            let b = bytes[j]
            out[2 * j] = fp4Values[Int(b & 0x0F)] * s
            out[2 * j + 1] = fp4Values[Int(b >> 4)] * s
        }
    }

    /// Decodes one Q8_0 block (34 bytes: f16 d, 32×i8) → 32 floats.
    @inlinable public static func decodeQ8_0Block(_ block: UnsafeRawPointer, into out: UnsafeMutablePointer<Float>) {
        let d = f16ToFloat(block.loadUnaligned(as: UInt16.self))
        let qs = (block + 2).assumingMemoryBound(to: Int8.self)
        for k in 0..<32 { out[k] = d * Float(qs[k]) }
    }

    /// Encodes 32 floats as one Q8_0 block (q ∈ −127…127, value d·q): the scale search of `ScaleSearch.symmetric`,
    /// which includes ggml's reference choice d = max|x|/127, so the block's squared error is never above it.
    public static func encodeQ8_0Block(_ x: UnsafePointer<Float>, into block: UnsafeMutableRawPointer) {
        var amax: Float = 0
        for k in 0..<32 { amax = max(amax, abs(x[k])) }
        let qs = (block + 2).assumingMemoryBound(to: Int8.self)
        let r = ScaleSearch.symmetric(x, 32, lo: -127, hi: 127, storage: .f16, levels: qs, extra: amax / 127)
        block.storeBytes(of: floatToF16(r.d).littleEndian, as: UInt16.self)
    }

    /// Encodes 32 floats as one MXFP4 group: scale chosen so the largest magnitude fits ±6, codes by nearest value.
    public static func encodeMXFP4Group(_ x: UnsafePointer<Float>, bytes: UnsafeMutablePointer<UInt8>) -> UInt8 {
        var amax: Float = 0
        for k in 0..<32 { amax = max(amax, abs(x[k])) }
        // smallest exponent e with amax / 2^e <= 6
        var e = amax > 0 ? Int((amax / 6).exponent) : -127
        if amax > 0, amax / Float(sign: .plus, exponent: e, significand: 1) > 6 { e += 1 }
        e = min(max(e, -127), 127)
        let scale = UInt8(e + 127)
        let s = e8m0ToFloat(scale)
        func code(_ v: Float) -> UInt8 {
            let a = abs(v) / s
            var best = 0
            var bestErr = Float.infinity
            for c in 0..<8 where abs(fp4Values[c] - a) < bestErr {
                bestErr = abs(fp4Values[c] - a)
                best = c
            }
            return UInt8(best) | (v < 0 && best != 0 ? 8 : 0)
        }
        for j in 0..<16 { bytes[j] = code(x[2 * j]) | (code(x[2 * j + 1]) << 4) }
        return scale
    }
}
