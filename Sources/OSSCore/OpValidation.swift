/// Shape checks shared by every backend, so all of them reject the same bad calls with the same typed error.
public enum OpValidation {
    static func nonEmpty(_ op: String, _ t: Tensor, _ what: String) throws {
        guard t.count > 0 else { throw BackendError.emptyInput(op: op, detail: "\(what) \(t.shape) is empty") }
    }

    /// linear: x `[T, in]`, weight `[out, in]`, bias `[out]`?, out `[T, out]`.
    public static func linear(_ x: Tensor, _ w: WeightTensor, _ bias: Tensor?, _ out: Tensor) throws {
        let op = "linear"
        guard w.shape.rank == 2 else {
            throw BackendError.shapeMismatch(op: op, detail: "weight must be [out, in], got \(w.shape)")
        }
        try nonEmpty(op, x, "x")
        guard w.shape[0] > 0, w.shape[1] > 0 else { throw BackendError.emptyInput(op: op, detail: "weight \(w.shape)") }
        guard x.columns == w.inFeatures, out.columns == w.outFeatures, x.rows == out.rows else {
            throw BackendError.shapeMismatch(
                op: op,
                detail: "x \(x.shape) · weight \(w.shape)ᵀ → out \(out.shape) (expected [\(x.rows), \(w.outFeatures)])")
        }
        if let b = bias, b.count != w.outFeatures {
            throw BackendError.shapeMismatch(op: op, detail: "bias \(b.shape) for weight \(w.shape)")
        }
    }

    public static func rmsNorm(_ x: Tensor, _ weight: Tensor, _ out: Tensor) throws {
        try nonEmpty("rmsNorm", x, "x")
        guard weight.count == x.columns, out.shape.count == x.shape.count, out.columns == x.columns else {
            throw BackendError.shapeMismatch(
                op: "rmsNorm", detail: "x \(x.shape), weight \(weight.shape), out \(out.shape)")
        }
    }

    public static func rope(_ x: Tensor, heads: Int, firstPosition: Int, table: RopeTable) throws {
        try nonEmpty("rope", x, "x")
        guard heads > 0, x.columns == heads * table.headDim else {
            throw BackendError.shapeMismatch(
                op: "rope", detail: "x \(x.shape) is not [T, \(heads)·\(table.headDim)]")
        }
        guard firstPosition >= 0, firstPosition + x.rows <= table.maxPositions else {
            throw BackendError.invalidArgument(
                op: "rope",
                detail: "positions \(firstPosition)..<\(firstPosition + x.rows) beyond table of \(table.maxPositions)")
        }
    }

    public static func attention(
        q: Tensor, keys: Tensor, values: Tensor, sinks: Tensor?, p: AttentionParams,
        out: Tensor
    ) throws {
        try attention(q: q, keys: keys.shape, values: values.shape, sinks: sinks, p: p, out: out)
    }

    /// As above, over an F16 cache.
    public static func attention(
        q: Tensor, keys: HalfTensor, values: HalfTensor, sinks: Tensor?, p: AttentionParams,
        out: Tensor
    ) throws {
        try attention(q: q, keys: keys.shape, values: values.shape, sinks: sinks, p: p, out: out)
    }

    /// Attention's checks on the shapes of the cache rows `keys` and `values`.
    static func attention(
        q: Tensor, keys: Shape, values: Shape, sinks: Tensor?, p: AttentionParams,
        out: Tensor
    ) throws {
        let op = "attention"
        try nonEmpty(op, q, "q")
        guard p.heads > 0, p.kvHeads > 0, p.headDim > 0, p.heads % p.kvHeads == 0 else {
            throw BackendError.invalidArgument(
                op: op, detail: "heads \(p.heads), kvHeads \(p.kvHeads), headDim \(p.headDim)")
        }
        let qw = p.heads * p.headDim
        let kw = p.kvHeads * p.headDim
        guard q.columns == qw, out.columns == qw, out.rows == q.rows,
            keys.last == kw, values.last == kw, keys.rows == values.rows, keys.rows > 0
        else {
            throw BackendError.shapeMismatch(
                op: op,
                detail:
                    "q \(q.shape), keys \(keys), values \(values), out \(out.shape) for \(p.heads)×\(p.headDim) q, \(p.kvHeads) kv heads"
            )
        }
        if let s = sinks, s.count != p.heads {
            throw BackendError.shapeMismatch(op: op, detail: "sinks \(s.shape) for \(p.heads) heads")
        }
        guard p.firstPosition >= 0, p.window >= 0 else {
            throw BackendError.invalidArgument(op: op, detail: "firstPosition \(p.firstPosition), window \(p.window)")
        }
        // Every key a query needs must still be in the cache: the span from the oldest key the first query
        // reads to the last query position must fit in the slots.
        let last = p.firstPosition + q.rows - 1
        let oldest = p.window > 0 ? max(0, p.firstPosition - p.window + 1) : 0
        guard last - oldest + 1 <= keys.rows else {
            throw BackendError.invalidArgument(
                op: op,
                detail: "positions \(oldest)...\(last) need \(last - oldest + 1) cache rows, cache has \(keys.rows)")
        }
    }

    public static func rowwise(_ op: String, _ x: Tensor, _ out: Tensor) throws {
        try nonEmpty(op, x, "x")
        guard x.count == out.count, x.columns == out.columns else {
            throw BackendError.shapeMismatch(op: op, detail: "x \(x.shape), out \(out.shape)")
        }
    }

    public static func moe(_ x: Tensor, _ w: MoEWeights, _ out: Tensor) throws {
        let op = "moe"
        try nonEmpty(op, x, "x")
        let e = w.experts
        let h = w.hidden
        let i = w.intermediate
        guard w.router.shape == Shape(e, h), w.gateUp.shape == Shape(e, 2 * i, h), w.down.shape == Shape(e, h, i),
            x.columns == h, out.columns == h, out.rows == x.rows
        else {
            throw BackendError.shapeMismatch(
                op: op,
                detail:
                    "x \(x.shape), router \(w.router.shape), gateUp \(w.gateUp.shape), down \(w.down.shape), out \(out.shape)"
            )
        }
        guard w.routerBias.map({ $0.count == e }) ?? true, w.gateUpBias.map({ $0.count == e * 2 * i }) ?? true,
            w.downBias.map({ $0.count == e * h }) ?? true
        else {
            throw BackendError.shapeMismatch(op: op, detail: "bias shapes do not match \(e) experts, H \(h), I \(i)")
        }
        guard w.topK >= 1, w.topK <= e else {
            throw BackendError.invalidArgument(op: op, detail: "topK \(w.topK) with \(e) experts")
        }
    }

    public static func swiglu(_ gateUp: Tensor, _ out: Tensor) throws {
        try nonEmpty("swiglu", gateUp, "gateUp")
        guard gateUp.columns % 2 == 0, out.columns * 2 == gateUp.columns, out.rows == gateUp.rows else {
            throw BackendError.shapeMismatch(op: "swiglu", detail: "gateUp \(gateUp.shape) → out \(out.shape)")
        }
    }

    public static func elementwise(_ op: String, _ a: Tensor, _ b: Tensor, _ out: Tensor) throws {
        try nonEmpty(op, a, "a")
        guard a.count == b.count, a.count == out.count else {
            throw BackendError.shapeMismatch(op: op, detail: "\(a.shape), \(b.shape) → \(out.shape)")
        }
    }

    public static func embedding(_ table: WeightTensor, _ tokens: [Int32], _ out: Tensor) throws {
        guard table.shape.rank == 2 else {
            throw BackendError.shapeMismatch(op: "embedding", detail: "table must be [V, H], got \(table.shape)")
        }
        guard !tokens.isEmpty else { throw BackendError.emptyInput(op: "embedding", detail: "no tokens") }
        guard out.rows == tokens.count, out.columns == table.inFeatures else {
            throw BackendError.shapeMismatch(
                op: "embedding", detail: "\(tokens.count) tokens of table \(table.shape) → out \(out.shape)")
        }
        for t in tokens where t < 0 || Int(t) >= table.outFeatures {
            throw BackendError.invalidArgument(
                op: "embedding", detail: "token id \(t) outside vocab 0..<\(table.outFeatures)")
        }
    }

    public static func topK(_ x: Tensor, k: Int, ids: [Int32], values: [Float]) throws {
        try nonEmpty("topK", x, "x")
        guard k >= 1, k <= x.count else {
            throw BackendError.invalidArgument(op: "topK", detail: "k \(k) for \(x.count) elements")
        }
        guard ids.count >= k, values.count >= k else {
            throw BackendError.shapeMismatch(
                op: "topK", detail: "output arrays hold \(ids.count)/\(values.count) < k \(k)")
        }
    }
}
