import Foundation
import OSSCore
import OSSFormats
import OSSTokenizer

extension SyntheticModel {
    /// The ggml types the dense presets' matrices can be written in.
    public static let denseWeightTypes: [GGMLType] = [
        .f32, .f16, .bf16, .q8_0, .q4_0, .q4_1, .q5_0, .q5_1, .q4_K, .q5_K, .q6_K,
    ]

    /// Writes a dense preset as a GGUF file as llama.cpp's converter lays it out: `{arch}.*` keys, llama.cpp tensor
    /// names, matrices (embedding included) in `type` (`denseWeightTypes`; the K-quants need widths that are multiples
    /// of 256, as llama-1b's), vectors in F32, the preset's vocabulary. Values follow the §6 hash with fan-in-adjusted
    /// scales, so activations stay in range at any size.
    public static func writeGGUF(_ preset: SyntheticDensePreset, type: GGMLType, to url: URL) throws {
        try writeGGUF(
            config: preset.config, vocabulary: preset.vocabulary(), type: type, seedBase: preset.seedBase,
            name: preset.rawValue, to: url)
    }

    /// Writes any dense configuration as `writeGGUF(_:type:to:)` writes a preset, with `vocabulary` (of
    /// `c.vocabSize` tokens) and `name` in `general.name`. Small ones seed the fuzz corpora.
    public static func writeGGUF(
        config c: LlamaConfig, vocabulary: GGUFVocabulary, type: GGMLType, seedBase: UInt32, name: String, to url: URL
    ) throws {
        guard denseWeightTypes.contains(type) else {
            throw ModelError.invalidParameter(
                name: "dtype",
                reason:
                    "\(type) (dense presets are written in \(denseWeightTypes.map(\.description).joined(separator: ", ")))"
            )
        }
        if let block = type.dtype?.blockSize,
            let narrow = [c.hiddenSize, c.qWidth, c.feedForward].first(where: { $0 % block != 0 })
        {
            throw ModelError.invalidParameter(
                name: "dtype",
                reason: "\(type) needs rows of a multiple of \(block) weights; \(name) has \(narrow)")
        }
        guard vocabulary.tokens.count == c.vocabSize else {
            throw ModelError.invalidParameter(
                name: "vocabulary", reason: "\(vocabulary.tokens.count) tokens for \(c.vocabSize) rows")
        }
        try GGUFWriter.write(
            metadata: denseMetadata(c, name: name, type: type) + vocabulary.metadata,
            tensors: denseTensors(c, seedBase: seedBase, type: type).map(\.entry), to: url)
    }

    /// The tensors of a dense model in llama.cpp's names and order.
    static func denseTensors(_ c: LlamaConfig, seedBase: UInt32, type: GGMLType) -> [SyntheticGGUFTensor] {
        func adjust(_ fanIn: Int, _ reference: Int) -> Int {
            Int((0.5 * log2(Double(fanIn) / Double(reference))).rounded())
        }
        let h = c.hiddenSize
        let qw = c.qWidth
        let kw = c.kvWidth
        let f = c.feedForward
        let d = c.headDim
        var out: [SyntheticGGUFTensor] = []
        func matrix(_ name: String, _ rows: Int, _ columns: Int, seed: UInt32, shift: Int) {
            let recipe = SyntheticRecipe.float(seed: seed, shift: shift)
            out.append(
                SyntheticGGUFTensor(
                    name: name, type: type, ne: [columns, rows], rowLength: columns,
                    source: type.dtype.map { $0.isQuantized ? .quantized(recipe, $0) : .float(recipe) }
                        ?? .float(recipe),
                    sourceRow: { $0 }))
        }
        func vector(_ name: String, _ n: Int, _ recipe: SyntheticRecipe) {
            out.append(
                SyntheticGGUFTensor(
                    name: name, type: .f32, ne: [n], rowLength: n, source: .float(recipe),
                    sourceRow: { $0 }))
        }
        // A tied embedding is also the unembedding: keep its logits near the untied scale.
        matrix("token_embd.weight", c.vocabSize, h, seed: seedBase, shift: c.tiedEmbeddings ? 7 + adjust(h, 96) : 7)
        if case .llama3(let factor, let low, let high, let original) = c.ropeScaling {
            let factors = RopeTable.llama3FrequencyFactors(
                headDim: d, base: c.ropeTheta, factor: factor,
                lowFrequencyFactor: low, highFrequencyFactor: high,
                originalContext: original)
            out.append(
                SyntheticGGUFTensor(
                    name: "rope_freqs.weight", type: .f32, ne: [d / 2], rowLength: d / 2,
                    source: .values(factors), sourceRow: { $0 }))
        }
        for n in 0..<c.layers {
            let s = seedBase &+ UInt32(1 + 16 * n)
            let b = "blk.\(n)."
            vector(b + "attn_norm.weight", h, .normScale(seed: s))
            matrix(b + "attn_q.weight", qw, h, seed: s &+ 1, shift: 9 + adjust(h, 96))
            matrix(b + "attn_k.weight", kw, h, seed: s &+ 2, shift: 9 + adjust(h, 96))
            matrix(b + "attn_v.weight", kw, h, seed: s &+ 3, shift: 9 + adjust(h, 96))
            if c.architecture == .qwen2 {
                vector(b + "attn_q.bias", qw, .float(seed: s &+ 11, shift: 7))
                vector(b + "attn_k.bias", kw, .float(seed: s &+ 12, shift: 7))
                vector(b + "attn_v.bias", kw, .float(seed: s &+ 13, shift: 7))
            }
            if c.architecture == .qwen3 {
                vector(b + "attn_q_norm.weight", d, .normScale(seed: s &+ 9))
                vector(b + "attn_k_norm.weight", d, .normScale(seed: s &+ 10))
            }
            matrix(b + "attn_output.weight", h, qw, seed: s &+ 4, shift: 9 + adjust(qw, 128))
            vector(b + "ffn_norm.weight", h, .normScale(seed: s &+ 5))
            matrix(b + "ffn_gate.weight", f, h, seed: s &+ 6, shift: 8 + adjust(h, 96))
            matrix(b + "ffn_up.weight", f, h, seed: s &+ 7, shift: 8 + adjust(h, 96))
            matrix(b + "ffn_down.weight", h, f, seed: s &+ 8, shift: 9 + adjust(f, 64))
        }
        let tail = seedBase &+ UInt32(1 + 16 * c.layers)
        vector("output_norm.weight", h, .normScale(seed: tail))
        if !c.tiedEmbeddings { matrix("output.weight", c.vocabSize, h, seed: tail &+ 1, shift: 8 + adjust(h, 96)) }
        return out
    }

    /// The `general.*` and `{arch}.*` keys llama.cpp's converter writes for `c`.
    static func denseMetadata(_ c: LlamaConfig, name: String, type: GGMLType) -> [(key: String, value: GGUFValue)] {
        let p = c.architecture.rawValue + "."
        // llama_ftype: ALL_F32 0, MOSTLY_F16 1, Q4_0 2, Q4_1 3, Q8_0 7, Q5_0 8, Q5_1 9, Q4_K_S 14, Q5_K_S 16, Q6_K 18,
        // BF16 32.
        let fileType: UInt32 =
            [
                .f32: 0, .f16: 1, .q4_0: 2, .q4_1: 3, .q8_0: 7, .q5_0: 8, .q5_1: 9, .q4_K: 14, .q5_K: 16, .q6_K: 18,
                .bf16: 32,
            ][type]
            ?? 0
        var m: [(key: String, value: GGUFValue)] = [
            ("general.architecture", .string(c.architecture.rawValue)), ("general.type", .string("model")),
            ("general.name", .string("SwiftOSS synthetic \(name)")),
            ("general.file_type", .uint32(fileType)),
            (p + "vocab_size", .uint32(UInt32(c.vocabSize))),
            (p + "block_count", .uint32(UInt32(c.layers))), (p + "context_length", .uint32(UInt32(c.contextLength))),
            (p + "embedding_length", .uint32(UInt32(c.hiddenSize))),
            (p + "feed_forward_length", .uint32(UInt32(c.feedForward))),
            (p + "attention.head_count", .uint32(UInt32(c.heads))),
            (p + "attention.head_count_kv", .uint32(UInt32(c.kvHeads))),
            (p + "rope.freq_base", .float32(Float(c.ropeTheta))),
            (p + "attention.layer_norm_rms_epsilon", .float32(c.rmsNormEps)),
            (p + "attention.key_length", .uint32(UInt32(c.headDim))),
            (p + "attention.value_length", .uint32(UInt32(c.headDim))),
            (p + "rope.dimension_count", .uint32(UInt32(c.headDim))),
        ]
        if type.dtype?.isQuantized == true { m.append(("general.quantization_version", .uint32(2))) }
        return m
    }
}
