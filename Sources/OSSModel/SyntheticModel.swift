import Foundation
import OSSFormats

/// Writes synthetic gpt-oss checkpoints in the real on-disk format: `config.json` plus safetensors
/// (BF16 non-expert tensors, MXFP4 U8 blocks/scales for experts), through a memory-mapped writer so even the
/// 13.8 GB `20b` preset needs little RAM.
public enum SyntheticModel {
    /// Writes `preset` into `directory` (created if needed).
    /// - `.original`: original `config.json` keys, one `model.safetensors` with `block.N.*` names (fused qkv).
    /// - `.huggingFace`: HF `config.json`, two shards `model-0000{0,1}-of-00001.safetensors` plus
    ///   `model.safetensors.index.json`, `model.layers.N.*` names (q/k/v split from the same values).
    public static func write(_ preset: SyntheticPreset, to directory: URL, layout: CheckpointLayout = .original) throws
    {
        try write(
            config: preset.config, seedBase: preset.seedBase, name: preset.rawValue, to: directory, layout: layout)
    }

    /// Writes a checkpoint of any gpt-oss configuration as `write(_:to:layout:)` writes a preset (weights from the §6
    /// recipes offset by `seedBase`; `name` goes to the files' metadata). Small ones seed the fuzz corpora.
    public static func write(
        config: ModelConfig, seedBase: UInt32, name: String, to directory: URL,
        layout: CheckpointLayout = .original
    ) throws {
        guard layout != .gguf else {
            throw ModelError.invalidParameter(name: "layout", reason: "gguf is a file format: use writeGGUF")
        }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let tensors = self.tensors(config: config, seedBase: seedBase, layout: layout)
        let metadata = ["format": "pt", "swiftoss_preset": name]
        switch layout {
        case .original:
            try SafetensorsWriter.write(
                tensors.map(\.entry), metadata: metadata,
                to: directory.appendingPathComponent("model.safetensors"))
        case .huggingFace, .gguf:  // (.gguf was rejected above)
            // Two shards, split near half of the bytes, in tensor order (as HF's sharded checkpoints).
            let total = tensors.reduce(0) { $0 + $1.byteCount }
            var first: [SyntheticTensor] = []
            var second: [SyntheticTensor] = []
            var running = 0
            for t in tensors {
                if running < total / 2 { first.append(t) } else { second.append(t) }
                running += t.byteCount
            }
            let names = ["model-00000-of-00001.safetensors", "model-00001-of-00001.safetensors"]
            var weightMap: [String: String] = [:]
            for (shard, name) in zip([first, second], names) {
                try SafetensorsWriter.write(
                    shard.map(\.entry), metadata: metadata,
                    to: directory.appendingPathComponent(name))
                for t in shard { weightMap[t.name] = name }
            }
            try SafetensorsWriter.writeIndex(
                weightMap: weightMap, metadata: ["total_size": "\(total)"],
                to: directory.appendingPathComponent("model.safetensors.index.json"))
        }
        try configJSON(config, layout: layout).write(
            to: directory.appendingPathComponent("config.json"), options: .atomic)
    }

    /// Bytes of tensor data `preset` writes (headers excluded).
    public static func tensorBytes(_ preset: SyntheticPreset) throws -> Int {
        try tensors(config: preset.config, seedBase: preset.seedBase, layout: .original).reduce(0) { $0 + $1.byteCount }
    }

    /// The preset's tensors in `layout`: §6 recipes (seed s = base + 1 + 16n for layer n), with shifts and scale
    /// bases adjusted by ½·log2(fan-in ratio) to the tiny model's fan-ins, so activations keep the tiny model's
    /// magnitudes at any size (the adjustment is 0 for `tiny`).
    static func tensors(config c: ModelConfig, seedBase: UInt32, layout: CheckpointLayout) -> [SyntheticTensor] {
        func adjust(_ fanIn: Int, _ reference: Int) -> Int {
            Int((0.5 * log2(Double(fanIn) / Double(reference))).rounded())
        }
        let h = c.hiddenSize
        let v = c.vocabSize
        let e = c.experts
        let i2 = 2 * c.intermediateSize
        let qw = c.qWidth
        let kw = c.kvWidth
        // Only the safetensors layouts come here (`write` rejects .gguf; GGUF files are written by `writeGGUF`).
        let names = CheckpointTensorNames(layout) ?? .original
        var out: [SyntheticTensor] = []
        func add(_ name: String, _ shape: [Int], _ recipe: SyntheticRecipe, offset: Int = 0) {
            out.append(SyntheticTensor(name: name, shape: shape, recipe: recipe, indexOffset: offset))
        }
        add(names.embedding, [v, h], .float(seed: seedBase, shift: 7))
        for n in 0..<c.layers {
            let s = seedBase &+ UInt32(1 + 16 * n)
            let l = names.layer(n)
            add(l.attentionNorm, [h], .normScale(seed: s))
            let qkvW = SyntheticRecipe.float(seed: s &+ 1, shift: 9 + adjust(h, 96))
            let qkvB = SyntheticRecipe.float(seed: s &+ 2, shift: 7)
            switch l.qkv {
            case .fused(let weight, let bias):
                add(weight, [qw + 2 * kw, h], qkvW)
                add(bias, [qw + 2 * kw], qkvB)
            case .separate(let q, let k, let vv):
                for (part, rows, start) in [(q, qw, 0), (k, kw, qw), (vv, kw, qw + kw)] {
                    add(part.weight, [rows, h], qkvW, offset: start * h)
                    add(part.bias, [rows], qkvB, offset: start)
                }
            }
            add(l.sinks, [c.heads], .float(seed: s &+ 3, shift: 5))
            add(l.outWeight, [h, qw], .float(seed: s &+ 4, shift: 9 + adjust(qw, 128)))
            add(l.outBias, [h], .float(seed: s &+ 5, shift: 8))
            add(l.mlpNorm, [h], .normScale(seed: s &+ 6))
            add(l.routerWeight, [e, h], .float(seed: s &+ 7, shift: 7 + adjust(h, 96)))
            add(l.routerBias, [e], .float(seed: s &+ 8, shift: 7))
            add(l.gateUpBlocks, [e, i2, h / 32, 16], .fp4Blocks(seed: s &+ 9))
            add(l.gateUpScales, [e, i2, h / 32], .e8m0Scales(seed: s &+ 10, base: UInt8(123 - adjust(h, 96))))
            add(l.gateUpBias, [e, i2], .float(seed: s &+ 11, shift: 4))
            add(l.downBlocks, [e, h, c.intermediateSize / 32, 16], .fp4Blocks(seed: s &+ 12))
            add(
                l.downScales, [e, h, c.intermediateSize / 32],
                .e8m0Scales(seed: s &+ 13, base: UInt8(121 - adjust(c.intermediateSize, 64))))
            add(l.downBias, [e, h], .float(seed: s &+ 14, shift: 6))
        }
        let tail = seedBase &+ UInt32(1 + 16 * c.layers)
        add(names.finalNorm, [h], .normScale(seed: tail))
        add(names.unembedding, [v, h], .float(seed: tail &+ 1, shift: 8 + adjust(h, 96)))
        return out
    }

    /// config.json in the layout's key set (original: the torch `ModelConfig` fields; HF: transformers keys).
    static func configJSON(_ c: ModelConfig, layout: CheckpointLayout) throws -> Data {
        let yarn = c.yarn ?? YaRNScaling(factor: 1, originalContext: c.maxPositions, betaFast: 32, betaSlow: 1)
        var d: [String: Any] = [
            "num_hidden_layers": c.layers, "vocab_size": c.vocabSize, "hidden_size": c.hiddenSize,
            "intermediate_size": c.intermediateSize, "swiglu_limit": Double(c.swigluLimit), "head_dim": c.headDim,
            "num_attention_heads": c.heads, "num_key_value_heads": c.kvHeads, "sliding_window": c.slidingWindow,
            "initial_context_length": yarn.originalContext, "rope_theta": c.ropeTheta,
        ]
        switch layout {
        case .original:
            d["num_experts"] = c.experts
            d["experts_per_token"] = c.expertsPerToken
            d["rope_scaling_factor"] = yarn.factor
            d["rope_ntk_alpha"] = yarn.betaSlow
            d["rope_ntk_beta"] = yarn.betaFast
        case .huggingFace, .gguf:  // (only safetensors layouts have a config.json)
            d["architectures"] = ["GptOssForCausalLM"]
            d["model_type"] = "gpt_oss"
            d["num_local_experts"] = c.experts
            d["num_experts_per_tok"] = c.expertsPerToken
            d["experts_per_token"] = c.expertsPerToken
            d["max_position_embeddings"] = c.maxPositions
            d["rms_norm_eps"] = Double(c.rmsNormEps)
            d["attention_bias"] = c.attentionBias
            d["tie_word_embeddings"] = false
            d["hidden_act"] = "silu"
            d["layer_types"] = c.layerTypes.map(\.rawValue)
            d["rope_scaling"] =
                [
                    "rope_type": "yarn", "factor": yarn.factor, "beta_fast": yarn.betaFast, "beta_slow": yarn.betaSlow,
                    "original_max_position_embeddings": yarn.originalContext, "truncate": yarn.truncate,
                ] as [String: Any]
            d["quantization_config"] =
                [
                    "quant_method": "mxfp4",
                    "modules_to_not_convert": [
                        "model.layers.*.self_attn", "model.layers.*.mlp.router",
                        "model.embed_tokens", "lm_head",
                    ],
                ] as [String: Any]
        }
        return try JSONSerialization.data(withJSONObject: d, options: [.prettyPrinted, .sortedKeys])
    }
}
