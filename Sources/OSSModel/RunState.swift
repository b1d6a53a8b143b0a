import OSSCore

/// Every activation buffer of the forward pass, allocated once for `chunk` tokens; per call the model takes
/// row views (`rows(0..<T)`) so nothing is allocated per token.
public final class RunState {
    /// Maximum tokens per forward step (the prefill chunk).
    public let chunk: Int
    /// Token ids of the current step (capacity `chunk`; refilled in place).
    var tokens: [Int32]
    /// Residual stream `[chunk, H]`.
    let x: Tensor
    /// Normed input of a sublayer `[chunk, H]`.
    let normed: Tensor
    /// Queries `[chunk, heads·headDim]`.
    let q: Tensor
    /// Keys and values of the step `[chunk, kvHeads·headDim]` (rotated keys are copied into the cache).
    let k: Tensor, v: Tensor
    /// Attention output `[chunk, heads·headDim]`.
    let attention: Tensor
    /// Sublayer output before the residual add `[chunk, H]`.
    let sublayer: Tensor
    /// Logits of the last position `[1, V]`, and the same storage as `[V]`.
    let logitsRow: Tensor
    let logits: Tensor

    init(config c: ModelConfig, chunk: Int) throws {
        self.chunk = chunk
        tokens = []
        tokens.reserveCapacity(chunk)
        x = Tensor(zeros: [chunk, c.hiddenSize])
        normed = Tensor(zeros: [chunk, c.hiddenSize])
        q = Tensor(zeros: [chunk, c.qWidth])
        k = Tensor(zeros: [chunk, c.kvWidth])
        v = Tensor(zeros: [chunk, c.kvWidth])
        attention = Tensor(zeros: [chunk, c.qWidth])
        sublayer = Tensor(zeros: [chunk, c.hiddenSize])
        logitsRow = Tensor(zeros: [1, c.vocabSize])
        logits = try logitsRow.reshaped([c.vocabSize])
    }

    /// Bytes of all activation buffers.
    public var bytes: Int {
        4 * (x.count + normed.count + q.count + k.count + v.count + attention.count + sublayer.count + logits.count)
    }
}
