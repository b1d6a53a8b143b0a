import OSSCore
import OSSFormats

extension GPTOSSWeights {
    /// The tensors of a llama.cpp gpt-oss GGUF file (gpt-oss.md §4) in the names, order and layouts that
    /// `GPTOSSWeights.load(gguf:config:)` reads and `SyntheticModel.writeGGUF` writes: q/k/v as separate matrices,
    /// the interleaved gate/up experts split into `ffn_gate_exps` (even rows) and `ffn_up_exps` (odd rows) with their
    /// biases, vectors in F32, matrices in their stored dtype (MXFP4 as ggml 17-byte blocks when copied).
    func ggufTensors(config c: ModelConfig) -> [QuantizerTensor] {
        var out = [Self.matrix("token_embd.weight", embedding)]
        for (n, layer) in layers.enumerated() {
            let b = "blk.\(n)."
            let a = layer.attention
            let moe = layer.moe
            out.append(Self.vector(b + "attn_norm.weight", a.norm))
            for (part, w, bias) in [("q", a.q, a.qBias), ("k", a.k, a.kBias), ("v", a.v, a.vBias)] {
                out.append(Self.matrix(b + "attn_\(part).weight", w))
                if let bias { out.append(Self.vector(b + "attn_\(part).bias", bias)) }
            }
            out.append(Self.matrix(b + "attn_output.weight", a.out))
            if let bias = a.outBias { out.append(Self.vector(b + "attn_output.bias", bias)) }
            out.append(Self.vector(b + "attn_sinks.weight", a.sinks))
            out.append(Self.vector(b + "post_attention_norm.weight", layer.mlpNorm))
            out.append(Self.matrix(b + "ffn_gate_inp.weight", moe.router))
            if let bias = moe.routerBias { out.append(Self.vector(b + "ffn_gate_inp.bias", bias)) }
            for (part, half) in [("gate", 0), ("up", 1)] {
                out.append(Self.expertHalf(b + "ffn_\(part)_exps.weight", moe.gateUp, half: half))
                if let bias = moe.gateUpBias {
                    out.append(Self.biasHalf(b + "ffn_\(part)_exps.bias", bias, half: half))
                }
            }
            out.append(Self.matrix(b + "ffn_down_exps.weight", moe.down))
            if let bias = moe.downBias { out.append(Self.vector(b + "ffn_down_exps.bias", bias)) }
        }
        out.append(Self.vector("output_norm.weight", finalNorm))
        out.append(Self.matrix("output.weight", unembedding))
        return out
    }

    /// A weight as stored (`ne` = its shape reversed).
    static func matrix(_ name: String, _ w: WeightTensor) -> QuantizerTensor {
        QuantizerTensor(
            name: name, ne: w.shape.dims.reversed(), type: GGMLType(w.dtype),
            rows: { { w.decodeRow($0, into: $1) } },
            copy: GGUFWriter.Entry(name: name, weight: w).fill)
    }

    /// A Float32 vector or matrix of `Tensor` (`ne` = its shape reversed), written as F32.
    static func vector(_ name: String, _ t: Tensor) -> QuantizerTensor {
        let n = t.shape.last
        return QuantizerTensor(
            name: name, ne: t.shape.dims.reversed(), type: .f32,
            rows: {
                { r, out in out.update(from: t.pointer + r * n, count: n) }
            },
            copy: { out in
                out.baseAddress?.copyMemory(from: t.pointer, byteCount: min(out.count, 4 * t.count))
            })
    }

    /// The gate (half 0) or up (half 1) experts `[E, I, H]` of the interleaved `[E, 2I, H]` stack: row r is stack
    /// row (r / I)·2I + 2(r mod I) + half.
    static func expertHalf(_ name: String, _ gateUp: WeightTensor, half: Int) -> QuantizerTensor {
        let i = gateUp.outFeatures / 2
        let n = gateUp.inFeatures
        let rowBytes = gateUp.rowBytes
        @Sendable func source(_ r: Int) -> Int { (r / i) * 2 * i + 2 * (r % i) + half }
        let rows = gateUp.matrices * i
        return QuantizerTensor(
            name: name, ne: [n, i, gateUp.matrices], type: GGMLType(gateUp.dtype),
            rows: {
                { gateUp.decodeRow(source($0), into: $1) }
            },
            copy: { out in
                guard let base = out.baseAddress else { return }
                guard gateUp.dtype == .mxfp4, let scales = gateUp.scales else {
                    for r in 0..<rows {
                        (base + r * rowBytes).copyMemory(from: gateUp.data + source(r) * rowBytes, byteCount: rowBytes)
                    }
                    return
                }
                let groups = n / 32
                for r in 0..<rows {
                    let src = source(r)
                    for g in 0..<groups {
                        let block = base + MXFP4Layout.ggufBlockBytes * (r * groups + g)
                        block.storeBytes(of: scales[src * groups + g], as: UInt8.self)
                        MXFP4Layout.ggufBytes(fromHF: gateUp.data + src * rowBytes + 16 * g, into: block + 1)
                    }
                }
            })
    }

    /// The gate (even columns) or up (odd columns) half of the interleaved `[E, 2I]` biases, as `[E, I]` F32.
    static func biasHalf(_ name: String, _ bias: Tensor, half: Int) -> QuantizerTensor {
        let experts = bias.rows
        let i = bias.columns / 2
        var values = [Float](repeating: 0, count: experts * i)
        for e in 0..<experts {
            for j in 0..<i { values[e * i + j] = bias.pointer[e * 2 * i + 2 * j + half] }
        }
        return vector(name, Tensor(values, shape: [experts, i]))
    }
}
