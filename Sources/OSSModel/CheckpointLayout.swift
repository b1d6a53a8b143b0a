/// Tensor naming of a gpt-oss checkpoint: the two safetensors layouts (gpt-oss.md §3.2) and llama.cpp's GGUF (§4).
public enum CheckpointLayout: String, Sendable, CaseIterable {
    /// OpenAI's `original/` names: `embedding.weight`, `block.N.attn.qkv.weight` (fused q/k/v rows), `block.N.mlp.*`.
    case original
    /// Hugging Face transformers names: `model.layers.N.self_attn.q_proj.weight` (separate q/k/v), `lm_head.weight`.
    case huggingFace = "hf"
    /// llama.cpp's GGUF names: `token_embd.weight`, `blk.N.attn_q.weight`, `blk.N.ffn_gate_exps.weight` (MXFP4 blocks
    /// of 17 bytes; gate and up split, or fused as `ffn_gate_up_exps`). Read by `GPTOSSWeights.load(gguf:config:)`.
    case gguf

    /// The safetensors layouts (what `oss synth --layout` writes; GGUF is `--format gguf`).
    public static var allCases: [CheckpointLayout] { [.original, .huggingFace] }
}

/// Where q, k and v live: one fused `[q+2kv, H]` tensor (rows q | k | v) or three tensors.
enum QKVNames {
    case fused(weight: String, bias: String)
    case separate(
        q: (weight: String, bias: String), k: (weight: String, bias: String), v: (weight: String, bias: String))
}

/// Names of one transformer block's tensors in a layout.
struct LayerTensorNames {
    var attentionNorm: String
    var qkv: QKVNames
    var sinks: String
    var outWeight: String
    var outBias: String
    var mlpNorm: String
    var routerWeight: String
    var routerBias: String
    var gateUpBlocks: String
    var gateUpScales: String
    var gateUpBias: String
    var downBlocks: String
    var downScales: String
    var downBias: String
}

/// Names of every tensor of a checkpoint in a layout.
struct CheckpointTensorNames {
    var embedding: String
    var finalNorm: String
    var unembedding: String
    let layout: CheckpointLayout

    /// The names of a safetensors layout (nil for `.gguf`, whose experts are not blocks + scales tensors).
    init?(_ layout: CheckpointLayout) {
        self.layout = layout
        switch layout {
        case .original:
            embedding = "embedding.weight"
            finalNorm = "norm.scale"
            unembedding = "unembedding.weight"
        case .huggingFace:
            embedding = "model.embed_tokens.weight"
            finalNorm = "model.norm.weight"
            unembedding = "lm_head.weight"
        case .gguf:
            return nil
        }
    }

    static let original = CheckpointTensorNames(.original)!
    static let huggingFace = CheckpointTensorNames(.huggingFace)!

    func layer(_ n: Int) -> LayerTensorNames {
        switch layout {
        case .original:
            let a = "block.\(n).attn."
            let m = "block.\(n).mlp."
            return LayerTensorNames(
                attentionNorm: a + "norm.scale",
                qkv: .fused(weight: a + "qkv.weight", bias: a + "qkv.bias"),
                sinks: a + "sinks", outWeight: a + "out.weight", outBias: a + "out.bias",
                mlpNorm: m + "norm.scale", routerWeight: m + "gate.weight", routerBias: m + "gate.bias",
                gateUpBlocks: m + "mlp1_weight.blocks", gateUpScales: m + "mlp1_weight.scales",
                gateUpBias: m + "mlp1_bias",
                downBlocks: m + "mlp2_weight.blocks", downScales: m + "mlp2_weight.scales", downBias: m + "mlp2_bias")
        case .huggingFace:
            let p = "model.layers.\(n)."
            let a = p + "self_attn."
            let x = p + "mlp.experts."
            return LayerTensorNames(
                attentionNorm: p + "input_layernorm.weight",
                qkv: .separate(
                    q: (a + "q_proj.weight", a + "q_proj.bias"), k: (a + "k_proj.weight", a + "k_proj.bias"),
                    v: (a + "v_proj.weight", a + "v_proj.bias")),
                sinks: a + "sinks", outWeight: a + "o_proj.weight", outBias: a + "o_proj.bias",
                mlpNorm: p + "post_attention_layernorm.weight",
                routerWeight: p + "mlp.router.weight", routerBias: p + "mlp.router.bias",
                gateUpBlocks: x + "gate_up_proj_blocks", gateUpScales: x + "gate_up_proj_scales",
                gateUpBias: x + "gate_up_proj_bias",
                downBlocks: x + "down_proj_blocks", downScales: x + "down_proj_scales", downBias: x + "down_proj_bias")
        case .gguf:
            preconditionFailure("CheckpointTensorNames is never made for .gguf (the initializer returns nil)")
        }
    }
}
