import OSSCore

/// A backend that forwards every op to `inner` and, while `recording`, adds each call's time to its op kind: the
/// e2e suite's per-op shares of a token's time (attention's share at each context depth). When not recording it
/// costs one flag test per op; the suite records only in untimed profiling passes.
public final class ProfilingBackend: Backend, InstructionClassReporting, @unchecked Sendable {
    public let inner: any Backend
    public var name: String { inner.name }
    public var threads: Int { inner.threads }
    /// Whether calls are timed now.
    public var recording = false
    /// Nanoseconds spent per op kind while recording.
    public private(set) var nanoseconds: [OpKind: Double] = [:]
    /// Weight bytes the recorded calls streamed per op kind (linear: the whole matrix; moe at one token: the router
    /// and the selected experts' rows). A kind with a call whose bytes are not known (moe over several tokens, which
    /// reads the union of their experts) is absent.
    public private(set) var weightBytes: [OpKind: Double] = [:]
    private var unknownBytes: Set<OpKind> = []
    /// Per linear weight shape ("bf16 2880→4096"): nanoseconds and weight bytes of its calls while recording, so a
    /// matrix that streams slower than the others shows by name.
    public private(set) var linearByShape: [String: (ns: Double, bytes: Double)] = [:]

    public init(_ inner: any Backend) { self.inner = inner }

    /// Clears the recorded times and bytes.
    public func resetProfile() {
        nanoseconds = [:]
        weightBytes = [:]
        unknownBytes = []
        linearByShape = [:]
    }

    /// The GB/s at which each op kind streamed its weight bytes while recording (keys: `OpKind` raw values), and each
    /// linear weight shape (keys "linear bf16 2880→4096").
    public var weightGBps: [String: Double] {
        var out: [String: Double] = [:]
        for (op, b) in weightBytes where !unknownBytes.contains(op) {
            if let ns = nanoseconds[op], ns > 0 { out[op.rawValue] = b / ns }
        }
        for (shape, v) in linearByShape where v.ns > 0 { out["linear " + shape] = v.bytes / v.ns }
        return out
    }

    /// Nanoseconds inside backend ops while recording, all kinds together.
    public var opNanoseconds: Double { nanoseconds.values.reduce(0, +) }

    /// Each op kind's share of the recorded time (keys: `OpKind` raw values), empty when nothing was recorded.
    public var shares: [String: Double] {
        let total = nanoseconds.values.reduce(0, +)
        guard total > 0 else { return [:] }
        return Dictionary(uniqueKeysWithValues: nanoseconds.map { ($0.key.rawValue, $0.value / total) })
    }

    /// Runs `body`, and while recording adds its time (and `bytes`, or marks them unknown) to `op`, and to the linear
    /// weight shape `shape` where given.
    @inline(__always) private func timed<R>(
        _ op: OpKind, bytes: Double? = nil, shape: String? = nil, _ body: () throws -> R
    ) rethrows -> R {
        guard recording else { return try body() }
        let t0 = Timing.nowNs()
        defer {
            let ns = Double(Timing.nowNs() - t0)
            nanoseconds[op, default: 0] += ns
            if let bytes { weightBytes[op, default: 0] += bytes } else { unknownBytes.insert(op) }
            if let shape {
                let prior = linearByShape[shape] ?? (0, 0)
                linearByShape[shape] = (prior.ns + ns, prior.bytes + (bytes ?? 0))
            }
        }
        return try body()
    }

    public func kernelClass(for op: OpDescriptor, rows: Int) -> KernelClass {
        (inner as? any InstructionClassReporting)?.kernelClass(for: op, rows: rows) ?? KernelClass(.fma256)
    }

    public func supports(_ op: OpDescriptor) -> Bool { inner.supports(op) }

    public func linear(_ x: Tensor, weight: WeightTensor, bias: Tensor?, out: Tensor) throws {
        let shape = recording ? "\(weight.dtype.rawValue) \(weight.inFeatures)→\(weight.outFeatures)" : nil
        try timed(.linear, bytes: Double(weight.storedBytes), shape: shape) {
            try inner.linear(x, weight: weight, bias: bias, out: out)
        }
    }

    public func rmsNorm(_ x: Tensor, weight: Tensor, eps: Float, out: Tensor) throws {
        try timed(.rmsNorm) { try inner.rmsNorm(x, weight: weight, eps: eps, out: out) }
    }

    public func rope(_ x: Tensor, heads: Int, firstPosition: Int, table: RopeTable, style: RopeStyle) throws {
        try timed(.rope) { try inner.rope(x, heads: heads, firstPosition: firstPosition, table: table, style: style) }
    }

    public func attention(
        q: Tensor, keys: Tensor, values: Tensor, sinks: Tensor?, params: AttentionParams,
        out: Tensor
    ) throws {
        try timed(.attention) {
            try inner.attention(q: q, keys: keys, values: values, sinks: sinks, params: params, out: out)
        }
    }

    public func attention(
        q: Tensor, keys: HalfTensor, values: HalfTensor, sinks: Tensor?, params: AttentionParams,
        out: Tensor
    ) throws {
        try timed(.attention) {
            try inner.attention(q: q, keys: keys, values: values, sinks: sinks, params: params, out: out)
        }
    }

    public func softmax(_ x: Tensor, out: Tensor) throws { try timed(.softmax) { try inner.softmax(x, out: out) } }

    public func moe(_ x: Tensor, weights: MoEWeights, out: Tensor) throws {
        try timed(.moe, bytes: Self.decodeBytes(x, weights)) { try inner.moe(x, weights: weights, out: out) }
    }

    /// Weight bytes a one-token MoE call streams: the router and the top-k experts' gate_up and down matrices; nil
    /// for several tokens (the union of their experts is not known here).
    static func decodeBytes(_ x: Tensor, _ w: MoEWeights) -> Double? {
        guard x.shape.rows == 1 else { return nil }
        let experts = Double(max(w.gateUp.matrices, 1))
        return Double(w.router.storedBytes)
            + Double(w.topK) * Double(w.gateUp.storedBytes + w.down.storedBytes) / experts
    }

    public func swiglu(_ gateUp: Tensor, limit: Float, alpha: Float, out: Tensor) throws {
        try timed(.swiglu) { try inner.swiglu(gateUp, limit: limit, alpha: alpha, out: out) }
    }

    public func siluMul(gate: Tensor, up: Tensor, out: Tensor) throws {
        try timed(.siluMul) { try inner.siluMul(gate: gate, up: up, out: out) }
    }

    public func add(_ a: Tensor, _ b: Tensor, out: Tensor) throws { try timed(.add) { try inner.add(a, b, out: out) } }

    public func embedding(_ table: WeightTensor, tokens: [Int32], out: Tensor) throws {
        try timed(.embedding) { try inner.embedding(table, tokens: tokens, out: out) }
    }

    public func argmax(_ x: Tensor) throws -> Int { try timed(.argmax) { try inner.argmax(x) } }

    public func topK(_ x: Tensor, k: Int, ids: inout [Int32], values: inout [Float]) throws {
        guard recording else { return try inner.topK(x, k: k, ids: &ids, values: &values) }
        let t0 = Timing.nowNs()
        defer { nanoseconds[.topK, default: 0] += Double(Timing.nowNs() - t0) }
        try inner.topK(x, k: k, ids: &ids, values: &values)
    }
}
