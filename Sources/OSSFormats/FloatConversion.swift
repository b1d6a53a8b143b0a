import OSSCore

/// Little-endian F32/F16/BF16 element arrays ↔ Float32, with no alignment assumed (shared by the readers and writers).
enum FloatConversion {
    /// Decodes `count` elements of a plain float `dtype` at `src` into `out` (block types: no-op).
    static func decode(_ dtype: DType, from src: UnsafeRawPointer, count: Int, into out: UnsafeMutablePointer<Float>) {
        switch dtype {
        case .f32:
            for i in 0..<count {
                out[i] = Float(
                    bitPattern: UInt32(littleEndian: src.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
            }
        case .f16:
            for i in 0..<count {
                out[i] = Codec.f16ToFloat(
                    UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
            }
        case .bf16:
            for i in 0..<count {
                out[i] = Codec.bf16ToFloat(
                    UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
            }
        case .q8_0, .mxfp4, .q4_0, .q4_1, .q5_0, .q5_1, .q4_K, .q5_K, .q6_K:
            break
        }
    }

    /// Encodes `values` as a plain float `dtype` (round to nearest even) at `out` (block types: no-op).
    static func encode(_ values: [Float], as dtype: DType, into out: UnsafeMutableRawPointer) {
        switch dtype {
        case .f32:
            for (i, v) in values.enumerated() {
                out.storeBytes(of: v.bitPattern.littleEndian, toByteOffset: 4 * i, as: UInt32.self)
            }
        case .f16:
            for (i, v) in values.enumerated() {
                out.storeBytes(of: Codec.floatToF16(v).littleEndian, toByteOffset: 2 * i, as: UInt16.self)
            }
        case .bf16:
            for (i, v) in values.enumerated() {
                out.storeBytes(of: Codec.floatToBF16(v).littleEndian, toByteOffset: 2 * i, as: UInt16.self)
            }
        case .q8_0, .mxfp4, .q4_0, .q4_1, .q5_0, .q5_1, .q4_K, .q5_K, .q6_K:
            break
        }
    }
}
