import CKernels
import OSSCore

extension BLASBackend {
    /// `out[T, out] = x[T, in] · weight[out, in]ᵀ + bias`: our GEMV kernels for T ≤ 4 (weights decoded in registers;
    /// MXFP4: integer multiply-adds against 16-bit fixed-point activations, T ≤ 64 on the AVX2 path and T ≤ 256 on
    /// the AVX512-VNNI path; Q8_0 the same on the VNNI path; Q4_0 … Q5_1, Q4_K and Q5_K the same on every AVX2 path
    /// for T ≤ 64, Q6_K for T ≤ 32), cblas_sgemm (f32) or decoded tiles + cblas_sgemm (other dtypes) for larger T.
    public func linear(_ x: Tensor, weight: WeightTensor, bias: Tensor?, out: Tensor) throws {
        try OpValidation.linear(x, weight, bias, out)
        let ctx = try requireContext("linear")
        var w = weight.ckWeight
        let rc = ck_linear(ctx, x.pointer, Int64(x.rows), &w, bias.ckPointer, out.pointer, Int32(clamping: threads))
        try check(rc, "linear", "x \(x.shape) · \(weight)ᵀ → out \(out.shape)")
    }

    /// Row gather from a `[V, H]` table of any dtype, decoding each row once.
    public func embedding(_ table: WeightTensor, tokens: [Int32], out: Tensor) throws {
        try OpValidation.embedding(table, tokens, out)
        var w = table.ckWeight
        let rc = tokens.withUnsafeBufferPointer { ids in
            ck_embedding(&w, ids.baseAddress, Int64(ids.count), out.pointer, Int32(clamping: threads))
        }
        try check(rc, "embedding", "\(tokens.count) tokens of \(table) → out \(out.shape)")
    }
}
