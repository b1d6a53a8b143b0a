import OSSCore

/// Load-time re-quantisation of a model's dense float matrices (`ModelLoadOptions.requantize`, `--requant q8_0`):
/// fewer bytes per decoded token at a stated accuracy cost. Only F32/F16/BF16 matrices the token streams every step
/// are converted (gpt-oss: attention q/k/v/out and the unembedding — 2.4 of the 3.7 GB 20b reads per token; Llama:
/// attention, FFN and the unembedding); router, embedding gather, norms, biases and already quantised weights keep
/// their dtype. Converted once, row by row (`WeightTensor.converted(to:threads:)`), never per token.
enum DenseRequantization {
    /// `w` in `target` when it is a float matrix, else `w` unchanged.
    static func convert(_ w: WeightTensor, to target: DType, threads: Int) throws -> WeightTensor {
        guard [.f32, .f16, .bf16].contains(w.dtype), w.dtype != target else { return w }
        guard w.inFeatures % target.blockSize == 0 else { return w }  // rows a block type cannot hold stay as they are
        return try w.converted(to: target, threads: threads)
    }
}

extension GPTOSSWeights {
    /// These weights with attention and the unembedding in `target` (see `DenseRequantization`).
    public func requantized(to target: DType, threads: Int) throws -> GPTOSSWeights {
        var w = self
        for l in w.layers.indices {
            var a = w.layers[l].attention
            a.q = try DenseRequantization.convert(a.q, to: target, threads: threads)
            a.k = try DenseRequantization.convert(a.k, to: target, threads: threads)
            a.v = try DenseRequantization.convert(a.v, to: target, threads: threads)
            a.out = try DenseRequantization.convert(a.out, to: target, threads: threads)
            w.layers[l].attention = a
        }
        w.unembedding = try DenseRequantization.convert(w.unembedding, to: target, threads: threads)
        return w
    }
}

extension LlamaWeights {
    /// These weights with attention, FFN and the unembedding in `target` (see `DenseRequantization`).
    public func requantized(to target: DType, threads: Int) throws -> LlamaWeights {
        var w = self
        for l in w.layers.indices {
            var layer = w.layers[l]
            for path in [\LlamaLayerWeights.q, \.k, \.v, \.out, \.gate, \.up, \.down] {
                layer[keyPath: path] = try DenseRequantization.convert(
                    layer[keyPath: path], to: target, threads: threads)
            }
            w.layers[l] = layer
        }
        w.unembedding = try DenseRequantization.convert(w.unembedding, to: target, threads: threads)
        return w
    }
}
