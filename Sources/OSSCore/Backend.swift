/// The ops a backend runs, for `supports(_:)`, reports and routing.
/// Names follow ggml where one exists (`mulMat` ≙ linear, `rmsNorm`, `rope`, `softMax`).
public enum OpKind: String, CaseIterable, Sendable, Codable {
    case linear, rmsNorm, rope, attention, softmax, moe, swiglu, siluMul, add, embedding, argmax, topK
}

/// One op, optionally with the weight dtype it reads (linear, embedding, moe).
public struct OpDescriptor: Hashable, Sendable, CustomStringConvertible {
    public var kind: OpKind
    public var dtype: DType?
    public init(_ kind: OpKind, dtype: DType? = nil) {
        self.kind = kind
        self.dtype = dtype
    }
    public var description: String { dtype.map { "\(kind.rawValue)(\($0))" } ?? kind.rawValue }
}

/// RoPE pairing: NeoX/gpt-oss half-split `(x[i], x[i+d/2])`, or llama/GGUF interleaved `(x[2i], x[2i+1])`.
public enum RopeStyle: String, Sendable, Codable { case neox, interleaved }

/// Attention over a KV cache. Query row t has absolute position `firstPosition + t`; key/value of absolute
/// position j live in cache row `j % slots` (slots = cache rows: a full cache, or a ring buffer for sliding layers).
public struct AttentionParams: Sendable, Equatable {
    /// Query heads.
    public var heads: Int
    /// Key/value heads; query head h reads KV head `h / (heads / kvHeads)`.
    public var kvHeads: Int
    /// Elements per head.
    public var headDim: Int
    /// Score scale (1/sqrt(headDim) for gpt-oss).
    public var scale: Float
    /// Sliding window W: query p sees keys j with p − W < j ≤ p. 0 = full causal attention.
    public var window: Int
    /// Absolute position of query row 0.
    public var firstPosition: Int

    public init(heads: Int, kvHeads: Int, headDim: Int, scale: Float, window: Int = 0, firstPosition: Int) {
        self.heads = heads
        self.kvHeads = kvHeads
        self.headDim = headDim
        self.scale = scale
        self.window = window
        self.firstPosition = firstPosition
    }
}

/// Weights and parameters of one gpt-oss MoE block (§2.5 of gpt-oss.md).
public struct MoEWeights: Sendable {
    /// Router `[E, H]`.
    public var router: WeightTensor
    /// Router bias `[E]` or nil.
    public var routerBias: Tensor?
    /// Fused gate/up `[E, 2I, H]`, rows interleaved: row 2j = gate j, row 2j+1 = up j.
    public var gateUp: WeightTensor
    /// `[E, 2I]` or nil.
    public var gateUpBias: Tensor?
    /// Down projection `[E, H, I]`.
    public var down: WeightTensor
    /// `[E, H]` or nil.
    public var downBias: Tensor?
    /// Experts per token.
    public var topK: Int
    /// Clamp limit (gate ≤ limit, −limit ≤ up ≤ limit); 7 for gpt-oss.
    public var swigluLimit: Float
    /// Sigmoid slope; 1.702 for gpt-oss.
    public var swigluAlpha: Float

    public init(
        router: WeightTensor, routerBias: Tensor?, gateUp: WeightTensor, gateUpBias: Tensor?,
        down: WeightTensor, downBias: Tensor?, topK: Int, swigluLimit: Float = 7, swigluAlpha: Float = 1.702
    ) {
        self.router = router
        self.routerBias = routerBias
        self.gateUp = gateUp
        self.gateUpBias = gateUpBias
        self.down = down
        self.downBias = downBias
        self.topK = topK
        self.swigluLimit = swigluLimit
        self.swigluAlpha = swigluAlpha
    }

    public var experts: Int { router.outFeatures }
    public var hidden: Int { router.inFeatures }
    public var intermediate: Int { down.inFeatures }
}

/// A set of kernels for every transformer op on host memory. The model never does arithmetic itself.
///
/// All tensors are Float32 host buffers owned by the caller (an F16 KV cache: `HalfTensor`); weights stay in their
/// stored dtype.
/// Output tensors are written completely; unless stated, they must not alias inputs.
/// Every op validates shapes and throws `BackendError` naming the op and shapes; it never aborts.
public protocol Backend: AnyObject, Sendable {
    /// Short name used in reports ("swift", "blas", "auto").
    var name: String { get }
    /// Threads this backend runs each op with.
    var threads: Int { get }
    /// Whether this backend has a kernel for `op` (all built-in backends support every op and dtype).
    func supports(_ op: OpDescriptor) -> Bool

    /// `out[T, out] = x[T, in] · weight[out, in]ᵀ + bias[out]`. T = 1 runs a GEMV-class kernel.
    func linear(_ x: Tensor, weight: WeightTensor, bias: Tensor?, out: Tensor) throws
    /// Row-wise `out = x / sqrt(mean(x²) + eps) · weight`; x, out `[T, n]`, weight `[n]`. `out` may be `x`.
    func rmsNorm(_ x: Tensor, weight: Tensor, eps: Float, out: Tensor) throws
    /// Rotates `x[T, heads·headDim]` in place; row t has position `firstPosition + t`; cos/sin from `table`.
    func rope(_ x: Tensor, heads: Int, firstPosition: Int, table: RopeTable, style: RopeStyle) throws
    /// Causal attention with GQA, optional sliding window and optional per-head sink logits `[heads]`.
    /// q, out `[T, heads·headDim]`; keys, values `[slots, kvHeads·headDim]` (see `AttentionParams`).
    func attention(q: Tensor, keys: Tensor, values: Tensor, sinks: Tensor?, params: AttentionParams, out: Tensor) throws
    /// `attention` over an F16 cache: keys, values `[slots, kvHeads·headDim]` IEEE halves (`KVCache` with `.f16`),
    /// computed as over a float cache holding the same halves.
    func attention(
        q: Tensor, keys: HalfTensor, values: HalfTensor, sinks: Tensor?, params: AttentionParams, out: Tensor
    ) throws
    /// Row-wise softmax of `x[T, n]`. `out` may be `x`.
    func softmax(_ x: Tensor, out: Tensor) throws
    /// gpt-oss MoE block: router → top-k → softmax over the k → clamped SwiGLU experts → weighted sum.
    /// x, out `[T, H]`.
    func moe(_ x: Tensor, weights: MoEWeights, out: Tensor) throws
    /// gpt-oss clamped SwiGLU on interleaved `gateUp[T, 2I]` (even = gate, odd = up) → `out[T, I]`:
    /// `g = min(g, limit)`, `u = clamp(u, ±limit)`, `out = g·σ(alpha·g)·(u + 1)`.
    func swiglu(_ gateUp: Tensor, limit: Float, alpha: Float, out: Tensor) throws
    /// Llama SiLU-gated activation: `out = silu(gate) · up`, all `[T, n]`. `out` may alias either input.
    func siluMul(gate: Tensor, up: Tensor, out: Tensor) throws
    /// Element-wise `out = a + b` (same shapes). `out` may alias either input.
    func add(_ a: Tensor, _ b: Tensor, out: Tensor) throws
    /// Row gather `out[t] = table[tokens[t]]` from a `[V, H]` weight of any dtype. Throws on id ≥ V or < 0.
    func embedding(_ table: WeightTensor, tokens: [Int32], out: Tensor) throws
    /// Index of the largest element of `x` (rank-1 or the whole buffer); lowest index wins ties.
    func argmax(_ x: Tensor) throws -> Int
    /// The k largest elements of `x`, descending (lowest index first among equals), into `ids[0..<k]`, `values[0..<k]`.
    func topK(_ x: Tensor, k: Int, ids: inout [Int32], values: inout [Float]) throws
}
