import CKernels
import OSSCore

extension BLASBackend {
    /// Causal GQA attention over a KV cache of `keys.rows` slots, optional window and sinks (sink in the
    /// denominator only). Parallel over (query row, head).
    public func attention(
        q: Tensor, keys: Tensor, values: Tensor, sinks: Tensor?, params: AttentionParams,
        out: Tensor
    ) throws {
        try OpValidation.attention(q: q, keys: keys, values: values, sinks: sinks, p: params, out: out)
        try runAttention(slots: keys.rows, params, "q \(q.shape), keys \(keys.shape), out \(out.shape)") { ctx, p in
            ck_attention(
                ctx, q.pointer, Int64(q.rows), keys.pointer, values.pointer, sinks.ckPointer, p, out.pointer,
                Int32(clamping: threads))
        }
    }

    /// As above over an F16 cache: every path widens the K and V slices it reads (a key block at a time in the
    /// tiles) with F16C and runs the float kernels on them.
    public func attention(
        q: Tensor, keys: HalfTensor, values: HalfTensor, sinks: Tensor?, params: AttentionParams,
        out: Tensor
    ) throws {
        try OpValidation.attention(q: q, keys: keys, values: values, sinks: sinks, p: params, out: out)
        try runAttention(slots: keys.rows, params, "q \(q.shape), f16 keys \(keys.shape), out \(out.shape)") { ctx, p in
            ck_attention_f16(
                ctx, q.pointer, Int64(q.rows), keys.pointer, values.pointer, sinks.ckPointer, p, out.pointer,
                Int32(clamping: threads))
        }
    }

    /// Runs `kernel` on the context with the C parameters of `params` over `slots` cache rows; its status is checked.
    private func runAttention(
        slots: Int, _ params: AttentionParams, _ detail: @autoclosure () -> String,
        _ kernel: (OpaquePointer, UnsafePointer<ck_attention_params>) -> Int32
    ) throws {
        let ctx = try requireContext("attention")
        var p = ck_attention_params(
            heads: Int64(params.heads), kv_heads: Int64(params.kvHeads), head_dim: Int64(params.headDim),
            scale: params.scale, window: Int64(params.window), first_position: Int64(params.firstPosition),
            slots: Int64(slots))
        try check(kernel(ctx, &p), "attention", detail())
    }
}
