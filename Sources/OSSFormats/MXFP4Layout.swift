/// Conversions between the two on-disk MXFP4 layouts (32 E2M1 codes + one E8M0 scale per block; values identical).
///
/// - Hugging Face / gpt-oss safetensors (what `DType.mxfp4` computes with): 16 bytes per block, byte j holds
///   element 2j in its low nibble and element 2j+1 in its high nibble; scales in a separate tensor.
/// - GGUF type 39 (ggml `block_mxfp4`): 17 bytes `{ e; qs[16] }`, qs[k] holds element k in its low nibble and
///   element k+16 in its high nibble.
public enum MXFP4Layout {
    /// Bytes of one GGUF block.
    public static let ggufBlockBytes = 17

    /// The 16 GGUF `qs` bytes at `qs` → 16 Hugging Face bytes at `out`.
    @inline(__always)
    public static func hfBytes(fromGGUF qs: UnsafeRawPointer, into out: UnsafeMutablePointer<UInt8>) {
        func code(_ i: Int) -> UInt8 {
            i < 16
                ? qs.load(fromByteOffset: i, as: UInt8.self) & 0x0F
                : qs.load(fromByteOffset: i - 16, as: UInt8.self) >> 4
        }
        for j in 0..<16 { out[j] = code(2 * j) | code(2 * j + 1) << 4 }
    }

    /// 16 Hugging Face bytes at `hf` → the 16 GGUF `qs` bytes at `out`.
    @inline(__always)
    public static func ggufBytes(fromHF hf: UnsafeRawPointer, into out: UnsafeMutableRawPointer) {
        func code(_ i: Int) -> UInt8 {
            let b = hf.load(fromByteOffset: i / 2, as: UInt8.self)
            return i % 2 == 0 ? b & 0x0F : b >> 4
        }
        for k in 0..<16 { out.storeBytes(of: code(k) | code(k + 16) << 4, toByteOffset: k, as: UInt8.self) }
    }
}
