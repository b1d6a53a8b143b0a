import OSSCore

/// A `TuningProfile`'s routes resolved once into enum-keyed tables, so routing an op costs two small hash lookups
/// and a scan of a few rules — no string building per call (`AutoBackend` routes every op of every token).
public struct RoutingTable: Sendable {
    private struct OpRoutes: Sendable {
        var byDType: [DType: [RouteRule]] = [:]
        var general: [RouteRule]?
    }

    private let ops: [OpKind: OpRoutes]
    private let fallback: BackendKind

    /// Resolves `profile.routes` keys (`"linear.bf16"`, `"rmsNorm"`); keys naming no op or dtype are ignored.
    public init(_ profile: TuningProfile) {
        var ops: [OpKind: OpRoutes] = [:]
        for (key, rules) in profile.routes where !rules.isEmpty {
            let parts = key.split(separator: ".", maxSplits: 1).map(String.init)
            guard let op = OpKind(rawValue: parts[0]) else { continue }
            let sorted = rules.sorted { $0.minTokens < $1.minTokens }
            if parts.count == 2 {
                guard let d = DType(rawValue: parts[1]) else { continue }
                ops[op, default: OpRoutes()].byDType[d] = sorted
            } else {
                ops[op, default: OpRoutes()].general = sorted
            }
        }
        self.ops = ops
        fallback = profile.fallback == .auto ? .blas : profile.fallback
    }

    /// The backend for `op` reading weights of `dtype` on `tokens` rows: the `op.dtype` rules, else the `op` rules,
    /// else the fallback; the last rule with `minTokens ≤ tokens` wins (the first rule below its own minimum).
    /// Never `.auto`.
    @inline(__always)
    public func backend(for op: OpKind, dtype: DType?, tokens: Int) -> BackendKind {
        guard let routes = ops[op] else { return fallback }
        guard let rules = dtype.flatMap({ routes.byDType[$0] }) ?? routes.general else { return fallback }
        var pick = rules[0].backend
        for r in rules where r.minTokens <= tokens { pick = r.backend }
        return pick == .auto ? fallback : pick
    }
}
