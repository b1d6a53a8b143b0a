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
        let ctx = try requireContext("attention")
        var p = ck_attention_params(
            heads: Int64(params.heads), kv_heads: Int64(params.kvHeads), head_dim: Int64(params.headDim),
            scale: params.scale, window: Int64(params.window), first_position: Int64(params.firstPosition),
            slots: Int64(keys.rows))
        let rc = ck_attention(
            ctx, q.pointer, Int64(q.rows), keys.pointer, values.pointer, sinks.ckPointer, &p,
            out.pointer, Int32(clamping: threads))
        try check(rc, "attention", "q \(q.shape), keys \(keys.shape), values \(values.shape), out \(out.shape)")
    }
}
