import OSSCore
import OSSFormats

extension ModelConfig {
    /// gpt-oss hyper-parameters from llama.cpp's `gpt-oss.*` keys (gguf.md §1, gpt-oss.md §4); `vocabSize` is the
    /// embedding's row count. Not stored and fixed as in llama.cpp: SwiGLU limit 7 and α 1.702, YaRN β 32 / 1.
    /// RoPE follows the gpt-oss reference (YaRN correction dims not rounded), so a GGUF copy of a checkpoint gives
    /// the safetensors logits.
    static func gptOSS(gguf a: GGUFArchive, vocabSize: Int) throws -> ModelConfig {
        let h = try GGUFHyperparameters(a, architecture: "gpt-oss")
        let p = h.prefix
        let file = a.url.path
        let layers = h.layers
        let context = h.context
        let theta = h.ropeTheta
        let window = try a.int(p + "attention.sliding_window")
        let pattern = try a.optionalInt(p + "attention.sliding_window_pattern") ?? 2
        guard pattern >= 1 else {
            throw ModelConfigError.invalidValue(
                file: file, key: p + "attention.sliding_window_pattern", reason: "must be ≥ 1")
        }
        if let swa = try a.optionalDouble(p + "rope.freq_base_swa"), swa != theta {
            throw ModelConfigError.invalidValue(
                file: file, key: p + "rope.freq_base_swa",
                reason: "\(swa) differs from rope.freq_base \(theta) (one RoPE table for all layers)")
        }
        var yarn: YaRNScaling?
        let scaling = try a.optionalString(p + "rope.scaling.type")
        let factor = try a.optionalDouble(p + "rope.scaling.factor") ?? 0
        switch scaling {
        case "yarn":
            if factor > 1 {
                yarn = YaRNScaling(
                    factor: factor,
                    originalContext: try a.optionalInt(p + "rope.scaling.original_context_length") ?? context,
                    betaFast: 32, betaSlow: 1)
            }
        case nil, "none":
            break
        default:
            throw ModelConfigError.invalidValue(
                file: file, key: p + "rope.scaling.type",
                reason: "'\(scaling ?? "")' (gpt-oss runs yarn or none)")
        }
        return try ModelConfig(
            layers: layers, hiddenSize: h.hidden, heads: h.heads, kvHeads: h.kvHeads, headDim: h.headDim,
            experts: try a.int(p + "expert_count"), expertsPerToken: try a.int(p + "expert_used_count"),
            intermediateSize: try a.int(p + "expert_feed_forward_length"), vocabSize: vocabSize,
            maxPositions: context, slidingWindow: window,
            layerTypes: (0..<layers).map { $0 % pattern < pattern - 1 ? .sliding : .full },
            ropeTheta: theta, yarn: yarn, rmsNormEps: Float(try a.double(p + "attention.layer_norm_rms_epsilon")),
            attentionBias: a.contains("blk.0.attn_q.bias") || a.contains("blk.0.attn_qkv.bias"), file: file)
    }
}

extension GPTOSSWeights {
    /// Binds the tensors of a llama.cpp gpt-oss GGUF (gpt-oss.md §4) for `config`, checking each shape.
    ///
    /// Dense matrices view the mapping in their stored type. The MoE op computes with fused gate/up experts whose
    /// rows interleave (row 2j = gate j, row 2j+1 = up j); GGUF stores gate and up as two tensors
    /// (`ffn_gate_exps`, `ffn_up_exps`) or one with all gate rows first (`ffn_gate_up_exps`), so those rows are
    /// interleaved into new memory once, here (MXFP4 also repacked to the safetensors block layout), never per token.
    static func load(gguf archive: GGUFArchive, config c: ModelConfig) throws -> GPTOSSWeights {
        let g = GGUFWeightLoader(archive: archive)
        let h = c.hiddenSize
        let v = c.vocabSize
        let qw = c.qWidth
        let kw = c.kvWidth
        let e = c.experts
        let i = c.intermediateSize
        var layers: [LayerWeights] = []
        for n in 0..<c.layers {
            let b = "blk.\(n)."
            let (q, k, vv, qb, kb, vb) = try g.qkv(b, qWidth: qw, kvWidth: kw, hidden: h, biases: c.attentionBias)
            let attention = AttentionWeights(
                norm: try g.vector(b + "attn_norm.weight", [h]), q: q, k: k, v: vv, qBias: qb, kBias: kb, vBias: vb,
                out: try g.matrix(b + "attn_output.weight", [h, qw]),
                outBias: c.attentionBias ? try g.vector(b + "attn_output.bias", [h]) : nil,
                sinks: try g.vector(b + "attn_sinks.weight", [c.heads]))

            let gateUp: WeightTensor
            let gateUpBias: Tensor
            if g.contains(b + "ffn_gate_up_exps.weight") {
                let fused = try g.matrix(b + "ffn_gate_up_exps.weight", [e, 2 * i, h])
                gateUp = try ExpertRows.interleave(gate: fused, gateFirstRow: 0, up: fused, upFirstRow: i, rows: i)
                let bias = try g.vector(b + "ffn_gate_up_exps.bias", [e, 2 * i])
                gateUpBias = ExpertRows.interleave(
                    gate: bias, gateFirstColumn: 0, up: bias, upFirstColumn: i, columns: i)
            } else {
                let gate = try g.matrix(b + "ffn_gate_exps.weight", [e, i, h])
                let up = try g.matrix(b + "ffn_up_exps.weight", [e, i, h])
                gateUp = try ExpertRows.interleave(gate: gate, gateFirstRow: 0, up: up, upFirstRow: 0, rows: i)
                gateUpBias = ExpertRows.interleave(
                    gate: try g.vector(b + "ffn_gate_exps.bias", [e, i]), gateFirstColumn: 0,
                    up: try g.vector(b + "ffn_up_exps.bias", [e, i]), upFirstColumn: 0, columns: i)
            }
            let moe = MoEWeights(
                router: try g.matrix(b + "ffn_gate_inp.weight", [e, h]),
                routerBias: try g.vector(b + "ffn_gate_inp.bias", [e]),
                gateUp: gateUp, gateUpBias: gateUpBias,
                down: try g.matrix(b + "ffn_down_exps.weight", [e, h, i]),
                downBias: try g.vector(b + "ffn_down_exps.bias", [e, h]),
                topK: c.expertsPerToken, swigluLimit: c.swigluLimit, swigluAlpha: c.swigluAlpha)
            layers.append(
                LayerWeights(
                    attention: attention, mlpNorm: try g.vector(b + "post_attention_norm.weight", [h]),
                    moe: moe))
        }
        return GPTOSSWeights(
            embedding: try g.matrix("token_embd.weight", [v, h]), layers: layers,
            finalNorm: try g.vector("output_norm.weight", [h]), unembedding: try g.matrix("output.weight", [v, h]),
            layout: .gguf)
    }
}

/// Interleaving of expert gate and up rows into the fused layout the MoE op computes with.
enum ExpertRows {
    /// `[E, 2·rows, in]` with row 2j of expert e = `gate` row `gateFirstRow + j` of e and row 2j+1 = `up` row
    /// `upFirstRow + j` of e (gate, up: `[E, R, in]` stacks of one dtype), in new memory owned by the result.
    static func interleave(
        gate: WeightTensor, gateFirstRow: Int, up: WeightTensor, upFirstRow: Int,
        rows: Int
    ) throws -> WeightTensor {
        guard gate.dtype == up.dtype, gate.matrices == up.matrices, gate.inFeatures == up.inFeatures else {
            throw OSSError.invalidWeight("gate \(gate) and up \(up) experts differ in dtype or shape")
        }
        let experts = gate.matrices
        let n = gate.inFeatures
        let rowBytes = gate.rowBytes
        let scaleBytes = gate.dtype.rowScaleBytes(n)
        let total = experts * 2 * rows
        let store = WeightStorage(count: total * (rowBytes + scaleBytes))
        let data = store.bytes
        let scales = (store.bytes + total * rowBytes).assumingMemoryBound(to: UInt8.self)
        let gateRows = gate.outFeatures
        let upRows = up.outFeatures
        for e in 0..<experts {
            for j in 0..<rows {
                for (half, src, first, stride) in [(0, gate, gateFirstRow, gateRows), (1, up, upFirstRow, upRows)] {
                    let from = e * stride + first + j
                    let to = e * 2 * rows + 2 * j + half
                    (data + to * rowBytes).copyMemory(from: src.data + from * rowBytes, byteCount: rowBytes)
                    if let s = src.scales {
                        (scales + to * scaleBytes).update(from: s + from * scaleBytes, count: scaleBytes)
                    }
                }
            }
        }
        return try WeightTensor(
            dtype: gate.dtype, shape: [experts, 2 * rows, n], data: UnsafeRawPointer(data),
            scales: gate.dtype == .mxfp4 ? UnsafePointer(scales) : nil, owner: store)
    }

    /// `[E, 2·columns]` Float32 with element 2j of row e = `gate[e, gateFirstColumn + j]` and 2j+1 =
    /// `up[e, upFirstColumn + j]`.
    static func interleave(gate: Tensor, gateFirstColumn: Int, up: Tensor, upFirstColumn: Int, columns: Int) -> Tensor {
        let experts = gate.rows
        let out = Tensor(zeros: [experts, 2 * columns])
        for e in 0..<experts {
            for j in 0..<columns {
                out.pointer[e * 2 * columns + 2 * j] = gate.pointer[e * gate.columns + gateFirstColumn + j]
                out.pointer[e * 2 * columns + 2 * j + 1] = up.pointer[e * up.columns + upFirstColumn + j]
            }
        }
        return out
    }
}

extension GPTOSSModel {
    /// Loads a llama.cpp gpt-oss GGUF model (`general.architecture` = `gpt-oss`; see `GPTOSSWeights.load(gguf:)`).
    /// Parameters as `load(directory:…)`.
    public static func load(
        gguf archive: GGUFArchive, backend: any Backend, decodeBackend: (any Backend)? = nil,
        contextLength: Int? = nil, prefillChunk: Int = 512, rewindRows: Int = 0, requantize: DType? = nil,
        kvCache: KVCacheType = .f32
    ) throws -> GPTOSSModel {
        guard let embedding = archive.info("token_embd.weight") else {
            throw ModelError.missingTensor(name: "token_embd.weight", directory: archive.url.path)
        }
        guard embedding.ne.count == 2 else {
            throw ModelError.unrecognizedCheckpoint(
                directory: archive.url.path,
                reason: "token_embd.weight has \(embedding.ne.count) dimensions, expected 2")
        }
        let config = try ModelConfig.gptOSS(gguf: archive, vocabSize: embedding.ne[1])
        var weights = try GPTOSSWeights.load(gguf: archive, config: config)
        if let requantize { weights = try weights.requantized(to: requantize, threads: backend.threads) }
        return try GPTOSSModel(
            config: config, weights: weights, backend: backend, decodeBackend: decodeBackend,
            contextLength: contextLength, prefillChunk: prefillChunk, rewindRows: rewindRows, kvCache: kvCache)
    }
}
