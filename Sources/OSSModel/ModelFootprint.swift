import OSSCore

/// Weight bytes and FLOPs a model spends per token: what benchmarks compare against the machine's ceilings.
public struct ModelFootprint: Sendable, Equatable {
    /// One attention layer's shape, for attention FLOPs at a position.
    public struct AttentionLayer: Sendable, Equatable {
        public var heads: Int
        public var headDim: Int
        /// Sliding window (0 = full causal attention).
        public var window: Int
        public init(heads: Int, headDim: Int, window: Int) {
            self.heads = heads
            self.headDim = headDim
            self.window = window
        }
    }

    /// Weight bytes one decoded token must read (every matrix it meets, norms, biases, one embedding row).
    public var decodeBytesPerToken: Double
    /// Matrix FLOPs per token through the layers (2 per weight of every matrix a token meets; top-k experts).
    public var layerFLOPsPerToken: Double
    /// FLOPs of the unembedding of one token (2·H·V).
    public var unembedFLOPs: Double
    /// Every stored weight byte (what a prefill must read at least once).
    public var totalWeightBytes: Double
    /// Label of the matrix dtypes ("bf16+mxfp4").
    public var dtypes: String
    public var attentionLayers: [AttentionLayer]
    /// Matrix FLOPs per token through the layers by weight dtype: the dense matrices, and the top-k experts (which
    /// run at about T·k/E rows per expert in a prefill of T tokens).
    public var denseFLOPsPerToken: [DType: Double]
    public var expertFLOPsPerToken: [DType: Double]
    /// Dtype of the unembedding.
    public var unembedDType: DType
    /// Experts per MoE block and experts per token (0 for dense models).
    public var experts: Int
    public var expertsPerToken: Int

    public init(
        decodeBytesPerToken: Double, layerFLOPsPerToken: Double, unembedFLOPs: Double, totalWeightBytes: Double,
        dtypes: String, attentionLayers: [AttentionLayer], denseFLOPsPerToken: [DType: Double],
        expertFLOPsPerToken: [DType: Double] = [:], unembedDType: DType, experts: Int = 0, expertsPerToken: Int = 0
    ) {
        self.decodeBytesPerToken = decodeBytesPerToken
        self.layerFLOPsPerToken = layerFLOPsPerToken
        self.unembedFLOPs = unembedFLOPs
        self.totalWeightBytes = totalWeightBytes
        self.dtypes = dtypes
        self.attentionLayers = attentionLayers
        self.denseFLOPsPerToken = denseFLOPsPerToken
        self.expertFLOPsPerToken = expertFLOPsPerToken
        self.unembedDType = unembedDType
        self.experts = experts
        self.expertsPerToken = expertsPerToken
    }

    /// Attention FLOPs of the token at position p summed over layers: heads × visible keys × (4·d + 5).
    public func attentionFLOPs(position p: Int) -> Double {
        var s = 0.0
        for l in attentionLayers {
            let visible = l.window > 0 ? min(p + 1, l.window) : p + 1
            s += Double(l.heads * visible * (4 * l.headDim + 5))
        }
        return s
    }
}

extension GPTOSSModel {
    /// The gpt-oss footprint: attention, router and top-k experts per layer, the unembedding, one embedding row.
    public var footprint: ModelFootprint {
        let c = config
        let w = weights
        let k = c.expertsPerToken
        var small = 4.0 * Double(c.hiddenSize)  // final norm
        var flops = 0.0
        var total = Double(w.embedding.storedBytes + w.unembedding.storedBytes) + small
        var dense: [DType: Double] = [:]
        var expert: [DType: Double] = [:]
        for l in w.layers {
            let a = l.attention
            let m = l.moe
            let biases = [a.qBias, a.kBias, a.vBias, a.outBias, m.routerBias].compactMap { $0 }.reduce(0) {
                $0 + $1.count
            }
            let expertBias = (m.gateUpBias.map { $0.count } ?? 0) + (m.downBias.map { $0.count } ?? 0)
            small += 4 * Double(a.norm.count + l.mlpNorm.count + a.sinks.count + biases)
            small += 4 * Double(k * expertBias / max(m.experts, 1))
            for mat in [a.q, a.k, a.v, a.out, m.router] {
                flops += 2 * Double(mat.shape.count)
                dense[mat.dtype, default: 0] += 2 * Double(mat.shape.count)
            }
            for mat in [m.gateUp, m.down] {
                let f = 2 * Double(k) * Double(mat.shape.count) / Double(max(m.experts, 1))
                flops += f
                expert[mat.dtype, default: 0] += f
            }
            total += Double(
                a.q.storedBytes + a.k.storedBytes + a.v.storedBytes + a.out.storedBytes + m.router.storedBytes
                    + m.gateUp.storedBytes + m.down.storedBytes)
            total += 4 * Double(a.norm.count + l.mlpNorm.count + a.sinks.count + biases + expertBias)
        }
        let names = Set(
            [w.layers.first?.attention.q.dtype, w.layers.first?.moe.gateUp.dtype, w.unembedding.dtype]
                .compactMap { $0?.rawValue })
        return ModelFootprint(
            decodeBytesPerToken: Double(w.activeBytesPerToken(expertsPerToken: k)) + small,
            layerFLOPsPerToken: flops, unembedFLOPs: 2 * Double(w.unembedding.shape.count), totalWeightBytes: total,
            dtypes: names.sorted().joined(separator: "+"),
            attentionLayers: (0..<c.layers).map {
                ModelFootprint.AttentionLayer(heads: c.heads, headDim: c.headDim, window: c.window(layer: $0))
            },
            denseFLOPsPerToken: dense, expertFLOPsPerToken: expert, unembedDType: w.unembedding.dtype,
            experts: c.experts, expertsPerToken: k)
    }
}
