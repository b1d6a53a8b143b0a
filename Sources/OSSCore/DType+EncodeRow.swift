extension DType {
    /// Encodes `count` Float32 values (a multiple of `blockSize`; all finite for the block types) into
    /// `rowBytes(count)` bytes at `out`, as `WeightTensor.encode` and `oss quantize` store weights: f32 exact, f16 and
    /// bf16 round to nearest even, Q8_0 and the GGUF block types through their scale searches (`Codec`,
    /// `LegacyQuant`, `KQuant`). MXFP4 keeps its scales in a separate buffer and is not a row format here (no-op).
    public func encodeRow(_ src: UnsafePointer<Float>, count: Int, into out: UnsafeMutableRawPointer) {
        switch self {
        case .f32:
            out.copyMemory(from: src, byteCount: 4 * count)
        case .f16:
            for i in 0..<count { out.storeBytes(of: Codec.floatToF16(src[i]), toByteOffset: 2 * i, as: UInt16.self) }
        case .bf16:
            for i in 0..<count { out.storeBytes(of: Codec.floatToBF16(src[i]), toByteOffset: 2 * i, as: UInt16.self) }
        case .q8_0:
            for b in 0..<(count / 32) { Codec.encodeQ8_0Block(src + 32 * b, into: out + 34 * b) }
        case .mxfp4:
            break
        case .q4_0, .q4_1, .q5_0, .q5_1:
            for b in 0..<(count / 32) { LegacyQuant.encodeBlock(self, src + 32 * b, into: out + bytesPerBlock * b) }
        case .q4_K, .q5_K, .q6_K:
            for b in 0..<(count / 256) { KQuant.encodeBlock(self, src + 256 * b, into: out + bytesPerBlock * b) }
        }
    }
}
