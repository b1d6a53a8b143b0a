import BLASBackend
import OSSCore
import SwiftBackend

/// Routes every op to the faster of `SwiftBackend` and `BLASBackend` according to a `TuningProfile`
/// (per op, per weight dtype and per number of rows T), and gives the BLAS member the profile's GEMM path per dtype
/// (OpenBLAS or our microkernel). Both backends share host buffers, so routing costs no copy.
public final class AutoBackend: Backend, @unchecked Sendable {
    public let name = "auto"
    public let threads: Int
    public let profile: TuningProfile
    public let swift: SwiftBackend
    public let blas: BLASBackend
    /// `profile` resolved once (no per-call string keys).
    private let table: RoutingTable

    /// Both member backends run `threads` threads.
    public init(threads: Int, profile: TuningProfile = .default) {
        self.threads = max(1, threads)
        self.profile = profile
        table = RoutingTable(profile)
        swift = SwiftBackend(threads: self.threads)
        blas = BLASBackend(threads: self.threads)
        for (name, path) in profile.gemmPaths ?? [:] {
            if let dtype = DType(rawValue: name) { blas.setGEMMPath(path, for: dtype) }
        }
    }

    /// The member backend the profile picks for `op` on `tokens` rows.
    @inline(__always)
    public func route(_ op: OpKind, dtype: DType? = nil, tokens: Int) -> any Backend {
        table.backend(for: op, dtype: dtype, tokens: tokens) == .swift ? swift : blas
    }

    public func supports(_ op: OpDescriptor) -> Bool { swift.supports(op) && blas.supports(op) }

    public func linear(_ x: Tensor, weight: WeightTensor, bias: Tensor?, out: Tensor) throws {
        try route(.linear, dtype: weight.dtype, tokens: x.rows).linear(x, weight: weight, bias: bias, out: out)
    }

    public func rmsNorm(_ x: Tensor, weight: Tensor, eps: Float, out: Tensor) throws {
        try route(.rmsNorm, tokens: x.rows).rmsNorm(x, weight: weight, eps: eps, out: out)
    }

    public func rope(_ x: Tensor, heads: Int, firstPosition: Int, table: RopeTable, style: RopeStyle) throws {
        try route(.rope, tokens: x.rows).rope(x, heads: heads, firstPosition: firstPosition, table: table, style: style)
    }

    public func attention(q: Tensor, keys: Tensor, values: Tensor, sinks: Tensor?, params: AttentionParams, out: Tensor)
        throws
    {
        try route(.attention, tokens: q.rows).attention(
            q: q, keys: keys, values: values, sinks: sinks, params: params, out: out)
    }

    public func attention(
        q: Tensor, keys: HalfTensor, values: HalfTensor, sinks: Tensor?, params: AttentionParams, out: Tensor
    ) throws {
        try route(.attention, tokens: q.rows).attention(
            q: q, keys: keys, values: values, sinks: sinks, params: params, out: out)
    }

    public func softmax(_ x: Tensor, out: Tensor) throws {
        try route(.softmax, tokens: x.rows).softmax(x, out: out)
    }

    public func moe(_ x: Tensor, weights: MoEWeights, out: Tensor) throws {
        try route(.moe, dtype: weights.gateUp.dtype, tokens: x.rows).moe(x, weights: weights, out: out)
    }

    public func swiglu(_ gateUp: Tensor, limit: Float, alpha: Float, out: Tensor) throws {
        try route(.swiglu, tokens: gateUp.rows).swiglu(gateUp, limit: limit, alpha: alpha, out: out)
    }

    public func siluMul(gate: Tensor, up: Tensor, out: Tensor) throws {
        try route(.siluMul, tokens: gate.rows).siluMul(gate: gate, up: up, out: out)
    }

    public func add(_ a: Tensor, _ b: Tensor, out: Tensor) throws {
        try route(.add, tokens: a.rows).add(a, b, out: out)
    }

    public func embedding(_ table: WeightTensor, tokens: [Int32], out: Tensor) throws {
        try route(.embedding, dtype: table.dtype, tokens: tokens.count).embedding(table, tokens: tokens, out: out)
    }

    public func argmax(_ x: Tensor) throws -> Int {
        try route(.argmax, tokens: 1).argmax(x)
    }

    public func topK(_ x: Tensor, k: Int, ids: inout [Int32], values: inout [Float]) throws {
        try route(.topK, tokens: 1).topK(x, k: k, ids: &ids, values: &values)
    }
}

extension AutoBackend: InstructionClassReporting {
    /// The class of the member backend the profile routes `op` to at `rows` rows.
    public func kernelClass(for op: OpDescriptor, rows: Int) -> KernelClass {
        let member = route(op.kind, dtype: op.dtype, tokens: rows)
        return (member as? InstructionClassReporting)?.kernelClass(for: op, rows: rows) ?? KernelClass(.fma256)
    }
}
