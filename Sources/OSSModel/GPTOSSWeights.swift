import OSSCore

/// Attention weights of one block. Matrices stay in their stored dtype (views into the mmap'd file);
/// small vectors were converted to Float32 once at load.
public struct AttentionWeights: Sendable {
    /// Pre-attention RMSNorm scale `[H]`.
    public var norm: Tensor
    /// Query projection `[heads·headDim, H]` (rows of the fused qkv in the original layout).
    public var q: WeightTensor
    /// Key projection `[kvHeads·headDim, H]`.
    public var k: WeightTensor
    /// Value projection `[kvHeads·headDim, H]`.
    public var v: WeightTensor
    /// Biases `[heads·headDim]`, `[kvHeads·headDim]`, `[kvHeads·headDim]` (nil without `attention_bias`).
    public var qBias: Tensor?, kBias: Tensor?, vBias: Tensor?
    /// Output projection `[H, heads·headDim]` and its bias `[H]`.
    public var out: WeightTensor
    public var outBias: Tensor?
    /// Learned sink logit per query head `[heads]`.
    public var sinks: Tensor
}

/// One transformer block: attention sublayer and MoE sublayer.
public struct LayerWeights: Sendable {
    public var attention: AttentionWeights
    /// Pre-MoE RMSNorm scale `[H]` (HF: `post_attention_layernorm`).
    public var mlpNorm: Tensor
    /// Router, fused gate/up and down experts (MXFP4 in place) with their Float32 biases.
    public var moe: MoEWeights
}

/// All weights of a gpt-oss checkpoint.
public struct GPTOSSWeights: Sendable {
    /// Token embedding `[V, H]` (stored dtype).
    public var embedding: WeightTensor
    public var layers: [LayerWeights]
    /// Final RMSNorm scale `[H]`.
    public var finalNorm: Tensor
    /// Unembedding (lm_head) `[V, H]` (stored dtype, not tied).
    public var unembedding: WeightTensor
    /// Which naming the checkpoint used.
    public var layout: CheckpointLayout

    /// Bytes of weights one decoded token reads: every non-expert matrix, `expertsPerToken` experts per layer,
    /// the unembedding, and one embedding row (for bandwidth rooflines).
    public func activeBytesPerToken(expertsPerToken k: Int) -> Int {
        var total = embedding.storedBytes / max(embedding.outFeatures, 1) + unembedding.storedBytes
        for l in layers {
            let a = l.attention
            total += a.q.storedBytes + a.k.storedBytes + a.v.storedBytes + a.out.storedBytes
            total += l.moe.router.storedBytes
            total += k * (l.moe.gateUp.storedBytes + l.moe.down.storedBytes) / max(l.moe.experts, 1)
        }
        return total
    }
}
