import CKernels
import OSSCore

extension BLASBackend {
    /// gpt-oss MoE block. T = 1 streams only the selected experts' rows (GEMV kernels); T > 1 groups tokens by expert
    /// and runs each expert as a GEMM over its tokens.
    public func moe(_ x: Tensor, weights: MoEWeights, out: Tensor) throws {
        try OpValidation.moe(x, weights, out)
        let ctx = try requireContext("moe")
        var w = ck_moe_weights(
            router: weights.router.ckWeight, gate_up: weights.gateUp.ckWeight, down: weights.down.ckWeight,
            router_bias: weights.routerBias.ckPointer, gate_up_bias: weights.gateUpBias.ckPointer,
            down_bias: weights.downBias.ckPointer, experts: Int64(weights.experts), hidden: Int64(weights.hidden),
            intermediate: Int64(weights.intermediate), top_k: Int64(weights.topK), limit: weights.swigluLimit,
            alpha: weights.swigluAlpha)
        let rc = ck_moe(ctx, x.pointer, Int64(x.rows), &w, out.pointer, Int32(clamping: threads))
        try check(rc, "moe", "x \(x.shape), gateUp \(weights.gateUp), down \(weights.down), out \(out.shape)")
    }
}
