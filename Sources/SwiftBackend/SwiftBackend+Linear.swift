import OSSCore

extension SwiftBackend {
    /// Input rows up to which `linear` streams the weight once through GEMV kernels instead of packing it for GEMM.
    static let gemvMaxTokens = 3

    /// `out[T, out] = x[T, in] · Wᵀ + bias` for every weight dtype. T ≤ `gemvMaxTokens`: GEMV kernels that decode
    /// the weight in registers; larger T: the packed, register-blocked GEMM.
    public func linear(_ x: Tensor, weight: WeightTensor, bias: Tensor?, out: Tensor) throws {
        try OpValidation.linear(x, weight, bias, out)
        withScratch { scratch in
            linearKernel(
                weight, x: x.pointer, tokens: x.rows, bias: bias.map { UnsafePointer($0.pointer) },
                y: out.pointer, scratch: scratch)
        }
    }

    /// The dispatch behind `linear` (and the MoE experts); the caller holds the scratch lock.
    func linearKernel(
        _ w: WeightTensor, x: UnsafePointer<Float>, tokens: Int, bias: UnsafePointer<Float>?,
        y: UnsafeMutablePointer<Float>, scratch: SwiftBackendScratch
    ) {
        if tokens <= SwiftBackend.gemvMaxTokens {
            gemv(w, x: x, tokens: tokens, bias: bias, y: y, scratch: scratch)
        } else {
            gemm(w, x: x, m: tokens, bias: bias, y: y, scratch: scratch)
        }
    }
}
