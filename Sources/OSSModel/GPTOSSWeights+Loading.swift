import Foundation
import OSSCore
import OSSFormats

extension GPTOSSWeights {
    /// Binds every tensor of `archive` (original or Hugging Face names, detected) for `config`, checking each
    /// shape. Matrices are views into the mapped files; vectors are converted to Float32 once.
    public static func load(archive: SafetensorsArchive, config: ModelConfig, directory: URL) throws -> GPTOSSWeights {
        let loader = WeightLoader(archive: archive, directory: directory.path)
        let names: CheckpointTensorNames
        if archive.contains(CheckpointTensorNames.original.embedding) {
            names = .original
        } else if archive.contains(CheckpointTensorNames.huggingFace.embedding) {
            names = .huggingFace
        } else {
            throw ModelError.unrecognizedCheckpoint(
                directory: directory.path,
                reason:
                    "neither \(CheckpointTensorNames.original.embedding) nor \(CheckpointTensorNames.huggingFace.embedding) is present"
            )
        }
        let layout = names.layout
        let h = config.hiddenSize
        let v = config.vocabSize
        let embedding = try loader.matrix(names.embedding, [v, h])
        let unembedding = try loader.matrix(names.unembedding, [v, h])
        let finalNorm = try loader.vector(names.finalNorm, [h])
        let layers = try (0..<config.layers).map { try loadLayer(names.layer($0), config: config, loader: loader) }
        return GPTOSSWeights(
            embedding: embedding, layers: layers, finalNorm: finalNorm, unembedding: unembedding,
            layout: layout)
    }

    private static func loadLayer(_ n: LayerTensorNames, config c: ModelConfig, loader: WeightLoader) throws
        -> LayerWeights
    {
        let h = c.hiddenSize
        let qw = c.qWidth
        let kw = c.kvWidth
        let bias = c.attentionBias
        var attention: AttentionWeights
        let q: WeightTensor
        let k: WeightTensor
        let v: WeightTensor
        var qb: Tensor?
        var kb: Tensor?
        var vb: Tensor?
        switch n.qkv {
        case .fused(let weightName, let biasName):
            let w = try loader.matrix(weightName, [qw + 2 * kw, h])
            q = w.rows(0..<qw)
            k = w.rows(qw..<(qw + kw))
            v = w.rows((qw + kw)..<(qw + 2 * kw))
            if bias {
                let b = try loader.vector(biasName, [qw + 2 * kw])
                qb = b.rows(0..<qw)
                kb = b.rows(qw..<(qw + kw))
                vb = b.rows((qw + kw)..<(qw + 2 * kw))
            }
        case .separate(let qn, let kn, let vn):
            q = try loader.matrix(qn.weight, [qw, h])
            k = try loader.matrix(kn.weight, [kw, h])
            v = try loader.matrix(vn.weight, [kw, h])
            if bias {
                qb = try loader.vector(qn.bias, [qw])
                kb = try loader.vector(kn.bias, [kw])
                vb = try loader.vector(vn.bias, [kw])
            }
        }
        attention = AttentionWeights(
            norm: try loader.vector(n.attentionNorm, [h]), q: q, k: k, v: v, qBias: qb, kBias: kb, vBias: vb,
            out: try loader.matrix(n.outWeight, [h, qw]), outBias: bias ? try loader.vector(n.outBias, [h]) : nil,
            sinks: try loader.vector(n.sinks, [c.heads]))

        let e = c.experts
        let i = c.intermediateSize
        let moe = MoEWeights(
            router: try loader.matrix(n.routerWeight, [e, h]),
            routerBias: try loader.vector(n.routerBias, [e]),
            gateUp: try loader.experts(blocks: n.gateUpBlocks, scales: n.gateUpScales, [e, 2 * i, h]),
            gateUpBias: try loader.vector(n.gateUpBias, [e, 2 * i]),
            down: try loader.experts(blocks: n.downBlocks, scales: n.downScales, [e, h, i]),
            downBias: try loader.vector(n.downBias, [e, h]),
            topK: c.expertsPerToken, swigluLimit: c.swigluLimit, swigluAlpha: c.swigluAlpha)
        return LayerWeights(attention: attention, mlpNorm: try loader.vector(n.mlpNorm, [h]), moe: moe)
    }
}

/// Fetches tensors by name with the shape the config implies; every failure names the tensor.
struct WeightLoader {
    let archive: SafetensorsArchive
    let directory: String

    private func require(_ name: String) throws {
        guard archive.contains(name) else { throw ModelError.missingTensor(name: name, directory: directory) }
    }

    private func check(_ name: String, _ found: Shape, _ expected: Shape) throws {
        guard found == expected else { throw ModelError.tensorShape(name: name, expected: expected, found: found) }
    }

    /// A weight matrix in its stored float dtype (no copy).
    func matrix(_ name: String, _ shape: Shape) throws -> WeightTensor {
        try require(name)
        let w = try archive.weight(name)
        try check(name, w.shape, shape)
        return w
    }

    /// A small tensor converted to Float32 (norm scales, biases, sinks).
    func vector(_ name: String, _ shape: Shape) throws -> Tensor {
        try require(name)
        let t = try archive.floatTensor(name)
        try check(name, t.shape, shape)
        return t
    }

    /// MXFP4 expert stack `[E, out, in]` from its blocks and scales tensors (used in place).
    func experts(blocks: String, scales: String, _ shape: Shape) throws -> WeightTensor {
        try require(blocks)
        try require(scales)
        let w = try archive.mxfp4Weight(blocks: blocks, scales: scales)
        try check(blocks, w.shape, shape)
        return w
    }
}
