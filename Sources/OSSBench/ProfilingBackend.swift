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

    public init(_ inner: any Backend) { self.inner = inner }

    /// Clears the recorded times.
    public func resetProfile() { nanoseconds = [:] }

    /// Each op kind's share of the recorded time (keys: `OpKind` raw values), empty when nothing was recorded.
    public var shares: [String: Double] {
        let total = nanoseconds.values.reduce(0, +)
        guard total > 0 else { return [:] }
        return Dictionary(uniqueKeysWithValues: nanoseconds.map { ($0.key.rawValue, $0.value / total) })
    }

    @inline(__always) private func timed<R>(_ op: OpKind, _ body: () throws -> R) rethrows -> R {
        guard recording else { return try body() }
        let t0 = Timing.nowNs()
        defer { nanoseconds[op, default: 0] += Double(Timing.nowNs() - t0) }
        return try body()
    }

    public func kernelClass(for op: OpDescriptor, rows: Int) -> KernelClass {
        (inner as? any InstructionClassReporting)?.kernelClass(for: op, rows: rows) ?? KernelClass(.fma256)
    }

    public func supports(_ op: OpDescriptor) -> Bool { inner.supports(op) }

    public func linear(_ x: Tensor, weight: WeightTensor, bias: Tensor?, out: Tensor) throws {
        try timed(.linear) { try inner.linear(x, weight: weight, bias: bias, out: out) }
    }

    public func rmsNorm(_ x: Tensor, weight: Tensor, eps: Float, out: Tensor) throws {
        try timed(.rmsNorm) { try inner.rmsNorm(x, weight: weight, eps: eps, out: out) }
    }

    public func rope(_ x: Tensor, heads: Int, firstPosition: Int, table: RopeTable, style: RopeStyle) throws {
        try timed(.rope) { try inner.rope(x, heads: heads, firstPosition: firstPosition, table: table, style: style) }
    }

    public func attention(q: Tensor, keys: Tensor, values: Tensor, sinks: Tensor?, params: AttentionParams,
                          out: Tensor) throws {
        try timed(.attention) {
            try inner.attention(q: q, keys: keys, values: values, sinks: sinks, params: params, out: out)
        }
    }

    public func softmax(_ x: Tensor, out: Tensor) throws { try timed(.softmax) { try inner.softmax(x, out: out) } }

    public func moe(_ x: Tensor, weights: MoEWeights, out: Tensor) throws {
        try timed(.moe) { try inner.moe(x, weights: weights, out: out) }
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
