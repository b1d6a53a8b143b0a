import OSSCore
import OSSFormats

/// One block of a dense Llama-family model. Matrices stay in their stored dtype (views into the mapped file);
/// vectors were converted to Float32 once at load.
public struct LlamaLayerWeights: Sendable {
    /// Pre-attention RMSNorm scale `[H]`.
    public var attentionNorm: Tensor
    /// Projections `[heads·d, H]`, `[kvHeads·d, H]`, `[kvHeads·d, H]` (llama: rows permuted by the converter for
    /// interleaved RoPE).
    public var q: WeightTensor, k: WeightTensor, v: WeightTensor
    /// Biases of q/k/v (qwen2), nil when absent.
    public var qBias: Tensor?, kBias: Tensor?, vBias: Tensor?
    /// Output projection `[H, heads·d]` and optional bias `[H]`.
    public var out: WeightTensor
    public var outBias: Tensor?
    /// Per-head RMSNorm scales of q and k `[d]` (qwen3), nil when absent.
    public var qNorm: Tensor?, kNorm: Tensor?
    /// Pre-FFN RMSNorm scale `[H]`.
    public var ffnNorm: Tensor
    /// SiLU-gated FFN: gate and up `[F, H]`, down `[H, F]`, optional biases.
    public var gate: WeightTensor, up: WeightTensor, down: WeightTensor
    public var gateBias: Tensor?, upBias: Tensor?, downBias: Tensor?
}

/// All weights of a dense Llama-family model.
public struct LlamaWeights: Sendable {
    /// Token embedding `[V, H]`.
    public var embedding: WeightTensor
    public var layers: [LlamaLayerWeights]
    /// Final RMSNorm scale `[H]`.
    public var finalNorm: Tensor
    /// Unembedding `[V, H]`: `output.weight`, or the embedding itself when tied.
    public var unembedding: WeightTensor
    /// `output.bias` `[V]` (some qwen2 files), nil when absent.
    public var unembeddingBias: Tensor?
    /// `rope_freqs.weight` `[d/2]` (Llama 3 frequency factors), nil when absent.
    public var ropeFrequencyFactors: [Float]?

    /// Binds the tensors of a llama / qwen2 / qwen3 GGUF (gguf.md §1) for `config`, checking each shape.
    static func load(gguf archive: GGUFArchive, config c: LlamaConfig) throws -> LlamaWeights {
        let g = GGUFWeightLoader(archive: archive)
        let h = c.hiddenSize
        let qw = c.qWidth
        let kw = c.kvWidth
        let f = c.feedForward
        let d = c.headDim
        var layers: [LlamaLayerWeights] = []
        layers.reserveCapacity(c.layers)
        for n in 0..<c.layers {
            let b = "blk.\(n)."
            // qwen2 requires q/k/v biases; llama's are optional.
            let (q, k, v, qb, kb, vb) = try g.qkv(
                b, qWidth: qw, kvWidth: kw, hidden: h,
                biases: c.architecture == .qwen2 ? true : nil)
            var qNorm: Tensor?
            var kNorm: Tensor?
            if c.architecture == .qwen3 {
                qNorm = try g.vector(b + "attn_q_norm.weight", [d])
                kNorm = try g.vector(b + "attn_k_norm.weight", [d])
            }
            layers.append(
                LlamaLayerWeights(
                    attentionNorm: try g.vector(b + "attn_norm.weight", [h]), q: q, k: k, v: v, qBias: qb, kBias: kb,
                    vBias: vb,
                    out: try g.matrix(b + "attn_output.weight", [h, qw]),
                    outBias: try g.optionalVector(b + "attn_output.bias", [h]),
                    qNorm: qNorm, kNorm: kNorm, ffnNorm: try g.vector(b + "ffn_norm.weight", [h]),
                    gate: try g.matrix(b + "ffn_gate.weight", [f, h]), up: try g.matrix(b + "ffn_up.weight", [f, h]),
                    down: try g.matrix(b + "ffn_down.weight", [h, f]),
                    gateBias: try g.optionalVector(b + "ffn_gate.bias", [f]),
                    upBias: try g.optionalVector(b + "ffn_up.bias", [f]),
                    downBias: try g.optionalVector(b + "ffn_down.bias", [h])))
        }
        let embedding = try g.matrix("token_embd.weight", [c.vocabSize, h])
        return LlamaWeights(
            embedding: embedding, layers: layers, finalNorm: try g.vector("output_norm.weight", [h]),
            unembedding: c.tiedEmbeddings ? embedding : try g.matrix("output.weight", [c.vocabSize, h]),
            unembeddingBias: try g.optionalVector("output.bias", [c.vocabSize]),
            ropeFrequencyFactors: try g.optionalVector("rope_freqs.weight", [d / 2])?.toArray())
    }

    /// Bytes of weights one decoded token reads: every matrix of every layer, the unembedding and one embedding row.
    public var activeBytesPerToken: Int {
        var total = unembedding.storedBytes + embedding.storedBytes / max(embedding.outFeatures, 1)
        for l in layers {
            total += [l.q, l.k, l.v, l.out, l.gate, l.up, l.down].reduce(0) { $0 + $1.storedBytes }
        }
        return total
    }
}
