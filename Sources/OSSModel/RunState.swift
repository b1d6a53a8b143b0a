import OSSCore

/// Every activation buffer of the forward pass, allocated once for `chunk` tokens. A step of T tokens works on
/// the buffers' first T rows; the views for T = 1 (decode) and T = chunk are made once, so a decode step
/// allocates nothing.
public final class RunState {
    /// Maximum tokens per forward step (the prefill chunk).
    public let chunk: Int
    /// Token ids of the current step (capacity `chunk`; refilled in place).
    var tokens: [Int32]
    /// The whole buffers (`chunk` rows each).
    let buffers: StepViews
    /// The first row of every buffer (decode steps).
    let single: StepViews
    /// Logits of the last position `[1, V]`, and the same storage as `[V]`.
    let logitsRow: Tensor
    let logits: Tensor

    /// Buffers of a gpt-oss step (its MoE op keeps its own scratch, so no FFN buffers).
    convenience init(config c: ModelConfig, chunk: Int) throws {
        try self.init(
            hidden: c.hiddenSize, qWidth: c.qWidth, kvWidth: c.kvWidth, ffnWidth: 0, vocab: c.vocabSize,
            chunk: chunk)
    }

    /// Buffers for `chunk` tokens of a model of these widths (`ffnWidth` 0 = no dense FFN buffers).
    init(hidden: Int, qWidth: Int, kvWidth: Int, ffnWidth: Int, vocab: Int, chunk: Int) throws {
        self.chunk = chunk
        tokens = []
        tokens.reserveCapacity(chunk)
        buffers = StepViews(
            x: Tensor(zeros: [chunk, hidden]), normed: Tensor(zeros: [chunk, hidden]),
            sublayer: Tensor(zeros: [chunk, hidden]), q: Tensor(zeros: [chunk, qWidth]),
            k: Tensor(zeros: [chunk, kvWidth]), v: Tensor(zeros: [chunk, kvWidth]),
            attention: Tensor(zeros: [chunk, qWidth]), gate: Tensor(zeros: [chunk, ffnWidth]),
            up: Tensor(zeros: [chunk, ffnWidth]))
        single = buffers.prefix(1)
        logitsRow = Tensor(zeros: [1, vocab])
        logits = try logitsRow.reshaped([vocab])
    }

    /// The buffers' first `count` rows (made once for 1 and `chunk` rows, sliced otherwise: once per chunk).
    func views(count: Int) -> StepViews {
        count == 1 ? single : count == chunk ? buffers : buffers.prefix(count)
    }

    /// Bytes of all activation buffers.
    public var bytes: Int {
        let b = buffers
        return 4
            * (b.x.count + b.normed.count + b.sublayer.count + b.q.count + b.k.count + b.v.count
                + b.attention.count + b.gate.count + b.up.count + logits.count)
    }
}

/// Row views of the activation buffers for a step of `count` tokens.
struct StepViews {
    /// Residual stream `[T, H]`.
    let x: Tensor
    /// Normed input of a sublayer `[T, H]`.
    let normed: Tensor
    /// Sublayer output before the residual add `[T, H]`.
    let sublayer: Tensor
    /// Queries `[T, heads·headDim]`.
    let q: Tensor
    /// Keys and values of the step `[T, kvHeads·headDim]` (rotated keys are copied into the cache).
    let k: Tensor, v: Tensor
    /// Attention output `[T, heads·headDim]`.
    let attention: Tensor
    /// Dense FFN gate and up projections `[T, ffn]` (`[T, 0]` for gpt-oss, whose MoE op has its own scratch).
    let gate: Tensor, up: Tensor
    /// Row T − 1 of `x` and of `normed`, `[1, H]`: the position whose logits generation needs.
    let lastX: Tensor, lastNormed: Tensor

    var count: Int { x.rows }

    init(
        x: Tensor, normed: Tensor, sublayer: Tensor, q: Tensor, k: Tensor, v: Tensor, attention: Tensor,
        gate: Tensor, up: Tensor
    ) {
        self.x = x
        self.normed = normed
        self.sublayer = sublayer
        self.q = q
        self.k = k
        self.v = v
        self.attention = attention
        self.gate = gate
        self.up = up
        let t = x.rows
        lastX = x.rows((t - 1)..<t)
        lastNormed = normed.rows((t - 1)..<t)
    }

    /// The first `t` rows of every view.
    func prefix(_ t: Int) -> StepViews {
        StepViews(
            x: x.rows(0..<t), normed: normed.rows(0..<t), sublayer: sublayer.rows(0..<t), q: q.rows(0..<t),
            k: k.rows(0..<t), v: v.rows(0..<t), attention: attention.rows(0..<t), gate: gate.rows(0..<t),
            up: up.rows(0..<t))
    }
}
