import Foundation
import OSSFormats
import OSSTokenizer

extension SyntheticModel {
    /// Writes `preset` as a llama.cpp gpt-oss GGUF file (gpt-oss.md §4): the same seeded weights as `write`
    /// (BF16 matrices, F32 vectors, MXFP4 experts as ggml 17-byte blocks with gate and up de-interleaved into
    /// `ffn_gate_exps` / `ffn_up_exps`, or one `ffn_gate_up_exps` with all gate rows first when `fusedGateUp`), the
    /// `gpt-oss.*` keys and the o200k_harmony tokenizer as llama.cpp's converter writes them
    /// (`GGUFVocabulary.o200kHarmony(size:)`). The file is written through a mapping: the 20b preset needs no
    /// more memory than its largest tensor's page-cache traffic.
    public static func writeGGUF(_ preset: SyntheticPreset, to url: URL, fusedGateUp: Bool = false) throws {
        try writeGGUF(
            config: preset.config, seedBase: preset.seedBase, name: preset.rawValue, to: url, fusedGateUp: fusedGateUp)
    }

    /// Writes any gpt-oss configuration as `writeGGUF(_:to:fusedGateUp:)` writes a preset (`name` in `general.name`;
    /// the vocabulary is `o200kHarmony(size: vocabSize)`, so vocabSize ≥ 265). Small ones seed the fuzz corpora.
    public static func writeGGUF(
        config c: ModelConfig, seedBase: UInt32, name: String, to url: URL, fusedGateUp: Bool = false
    ) throws {
        let source = Dictionary(
            uniqueKeysWithValues: tensors(config: c, seedBase: seedBase, layout: .original)
                .map { ($0.name, $0.recipe) })
        let names = CheckpointTensorNames.original
        func recipe(_ name: String) throws -> SyntheticRecipe {
            guard let r = source[name] else {
                throw ModelError.missingTensor(name: name, directory: "synthetic preset")
            }
            return r
        }
        let h = c.hiddenSize
        let v = c.vocabSize
        let e = c.experts
        let i = c.intermediateSize
        let qw = c.qWidth
        let kw = c.kvWidth
        var out: [SyntheticGGUFTensor] = []
        func add(
            _ name: String, _ type: GGMLType, _ ne: [Int], _ s: SyntheticGGUFTensor.Source, rowLength: Int? = nil,
            _ row: @escaping @Sendable (Int) -> Int = { $0 }
        ) {
            out.append(
                SyntheticGGUFTensor(
                    name: name, type: type, ne: ne, rowLength: rowLength ?? ne[0], source: s,
                    sourceRow: row))
        }
        add("token_embd.weight", .bf16, [h, v], .float(try recipe(names.embedding)))
        for n in 0..<c.layers {
            let o = names.layer(n)
            let b = "blk.\(n)."
            guard case .fused(let qkvWeight, let qkvBias) = o.qkv else { continue }
            add(b + "attn_norm.weight", .f32, [h], .float(try recipe(o.attentionNorm)))
            for (part, rows, first) in [("q", qw, 0), ("k", kw, qw), ("v", kw, qw + kw)] {
                add(b + "attn_\(part).weight", .bf16, [h, rows], .float(try recipe(qkvWeight))) { first + $0 }
                add(b + "attn_\(part).bias", .f32, [rows], .float(try recipe(qkvBias)), rowLength: 1) { first + $0 }
            }
            add(b + "attn_output.weight", .bf16, [qw, h], .float(try recipe(o.outWeight)))
            add(b + "attn_output.bias", .f32, [h], .float(try recipe(o.outBias)))
            add(b + "attn_sinks.weight", .f32, [c.heads], .float(try recipe(o.sinks)))
            add(b + "post_attention_norm.weight", .f32, [h], .float(try recipe(o.mlpNorm)))
            add(b + "ffn_gate_inp.weight", .bf16, [h, e], .float(try recipe(o.routerWeight)))
            add(b + "ffn_gate_inp.bias", .f32, [e], .float(try recipe(o.routerBias)))
            let mlp1 = SyntheticGGUFTensor.Source.mxfp4(
                blocks: try recipe(o.gateUpBlocks), scales: try recipe(o.gateUpScales))
            let bias1 = SyntheticGGUFTensor.Source.float(try recipe(o.gateUpBias))
            // Interleaved source row of gate (half 0) or up (half 1) row j of expert x: x·2I + 2j + half.
            if fusedGateUp {
                let fused: @Sendable (Int) -> Int = { r in
                    let x = r / (2 * i)
                    let k = r % (2 * i)
                    return x * 2 * i + (k < i ? 2 * k : 2 * (k - i) + 1)
                }
                add(b + "ffn_gate_up_exps.weight", .mxfp4, [h, 2 * i, e], mlp1, fused)
                add(b + "ffn_gate_up_exps.bias", .f32, [2 * i, e], bias1, rowLength: 1, fused)
            } else {
                for (part, half) in [("gate", 0), ("up", 1)] {
                    let row: @Sendable (Int) -> Int = { r in (r / i) * 2 * i + 2 * (r % i) + half }
                    add(b + "ffn_\(part)_exps.weight", .mxfp4, [h, i, e], mlp1, row)
                    add(b + "ffn_\(part)_exps.bias", .f32, [i, e], bias1, rowLength: 1, row)
                }
            }
            add(
                b + "ffn_down_exps.weight", .mxfp4, [i, h, e],
                .mxfp4(blocks: try recipe(o.downBlocks), scales: try recipe(o.downScales)))
            add(b + "ffn_down_exps.bias", .f32, [h, e], .float(try recipe(o.downBias)))
        }
        add("output_norm.weight", .f32, [h], .float(try recipe(names.finalNorm)))
        add("output.weight", .bf16, [h, v], .float(try recipe(names.unembedding)))

        let vocabulary = try GGUFVocabulary.o200kHarmony(size: v)
        let metadata = gptOSSMetadata(c, name: "SwiftOSS synthetic \(name)") + vocabulary.metadata
        try GGUFWriter.write(metadata: metadata, tensors: out.map(\.entry), to: url)
    }

    /// The `general.*` and `gpt-oss.*` keys llama.cpp's converter writes for `c` (`general.name` = `name`).
    static func gptOSSMetadata(_ c: ModelConfig, name: String) -> [(key: String, value: GGUFValue)] {
        let p = "gpt-oss."
        var m: [(key: String, value: GGUFValue)] = [
            ("general.architecture", .string("gpt-oss")), ("general.type", .string("model")),
            ("general.name", .string(name)),
            ("general.file_type", .uint32(38)),  // LLAMA_FTYPE_MOSTLY_MXFP4_MOE
            ("general.quantization_version", .uint32(2)),
            (p + "block_count", .uint32(UInt32(c.layers))), (p + "context_length", .uint32(UInt32(c.maxPositions))),
            (p + "embedding_length", .uint32(UInt32(c.hiddenSize))),
            (p + "feed_forward_length", .uint32(UInt32(c.intermediateSize))),
            (p + "attention.head_count", .uint32(UInt32(c.heads))),
            (p + "attention.head_count_kv", .uint32(UInt32(c.kvHeads))),
            (p + "rope.freq_base", .float32(Float(c.ropeTheta))),
            (p + "attention.layer_norm_rms_epsilon", .float32(c.rmsNormEps)),
            (p + "expert_count", .uint32(UInt32(c.experts))),
            (p + "expert_used_count", .uint32(UInt32(c.expertsPerToken))),
            (p + "attention.key_length", .uint32(UInt32(c.headDim))),
            (p + "attention.value_length", .uint32(UInt32(c.headDim))),
            (p + "attention.sliding_window", .uint32(UInt32(c.slidingWindow))),
            (p + "expert_feed_forward_length", .uint32(UInt32(c.intermediateSize))),
        ]
        if let y = c.yarn {
            m += [
                (p + "rope.scaling.type", .string("yarn")), (p + "rope.scaling.factor", .float32(Float(y.factor))),
                (p + "rope.scaling.original_context_length", .uint32(UInt32(y.originalContext))),
            ]
        }
        return m
    }
}
