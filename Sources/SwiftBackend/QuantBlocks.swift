import OSSCore

/// Decoders of the GGUF 4/5/6-bit block types (Q4_0 … Q5_1, Q4_K … Q6_K) to Float32, for GEMM weight tiles and
/// embedding rows.
enum QuantBlocks {
    /// Decodes one block of `dtype` (32 weights, or 256 for the K-quants) into `dst`.
    @inline(__always)
    static func decode(_ dtype: DType, _ block: UnsafeRawPointer, into dst: UnsafeMutablePointer<Float>) {
        if dtype.blockSize == 32 {
            LegacyQuant.decodeBlock(dtype, block, into: dst)
        } else {
            KQuant.decodeBlock(dtype, block, into: dst)
        }
    }
}

/// GEMV rows of the GGUF 4/5/6-bit block types: each block decoded to a stack buffer, then dotted with x.
enum QuantBlockRows: GEMVRowFormat {
    static func dot(_ w: WeightTensor, row r: Int, x: UnsafePointer<Float>, n: Int) -> Float {
        let size = w.dtype.blockSize, bytes = w.dtype.bytesPerBlock
        let p = w.data + r * w.rowBytes
        return withUnsafeTemporaryAllocation(of: Float.self, capacity: size) { buffer in
            let blk = buffer.baseAddress!
            var acc = SIMD8<Float>()
            for b in 0..<(n / size) {
                QuantBlocks.decode(w.dtype, p + bytes * b, into: blk)
                var i = 0
                while i < size {
                    acc = acc.addingProduct(VectorMath.load8(blk + i), VectorMath.load8(x + size * b + i))
                    i += 8
                }
            }
            return VectorMath.sum(acc)
        }
    }
}
