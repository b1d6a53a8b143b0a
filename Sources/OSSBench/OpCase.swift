import OSSCore

/// What to benchmark in the ops suite: one op family at one shape, dtype and T (before buffers exist).
public struct OpSpec: Hashable, Sendable, CustomStringConvertible {
    /// Family (`linear`, `attention`, …) and, for linear, which gpt-oss matrix (`qkv`, `unembed`, …).
    public var family: OpFamily
    /// Weight dtype for ops that read weights (linear, moe experts, embedding), nil otherwise.
    public var dtype: DType?
    /// Rows T of the op's input (query rows for attention).
    public var tokens: Int
    /// Attention: KV positions in the cache (0 otherwise).
    public var kvLength: Int
    /// Attention: sliding window (0 = full).
    public var window: Int

    public init(_ family: OpFamily, dtype: DType? = nil, tokens: Int, kvLength: Int = 0, window: Int = 0) {
        self.family = family
        self.dtype = dtype
        self.tokens = tokens
        self.kvLength = kvLength
        self.window = window
    }

    /// Case name in records: `linear.qkv`, `attention.sliding`, `moe`, `rmsnorm`, ….
    public var test: String {
        switch family {
        case .attention: return window > 0 ? "attention.sliding" : "attention.full"
        default: return family.linearShape != nil ? "linear.\(family.rawValue)" : family.rawValue
        }
    }

    public var description: String {
        "\(test) \(dtype?.rawValue ?? "-") T=\(tokens)\(kvLength > 0 ? " kv=\(kvLength)" : "")"
    }
}

/// A prepared op: buffers allocated, cost counted, ready to time on any backend and thread count.
final class OpCase {
    let spec: OpSpec
    let op: OpKind
    /// Shape label for records (`T=512 2880→5120`).
    let shape: String
    let m: Int, n: Int, k: Int
    let cost: OpCost
    /// Distinct bytes the timed loop cycles through.
    let workingSet: Double
    /// Runs rep `i` on a backend.
    let body: (any Backend, Int) throws -> Void
    /// The kernels that run the cell's counted FLOPs on a backend (its compute ceiling); by default one kernel, the
    /// backend's class for `op` at T = `m` rows.
    let shares: (any InstructionClassReporting) -> [KernelShare]
    /// Reference rows measured next to this cell (the runner's `--no-direct` leaves them out): the direct OpenBLAS
    /// call for f32 linear (`cblas`), the streaming read of the weight bytes for T = 1 linear (`read`).
    let references: [OpReference]

    init(
        spec: OpSpec, op: OpKind, shape: String, m: Int, n: Int, k: Int, cost: OpCost, workingSet: Double,
        shares: ((any InstructionClassReporting) -> [KernelShare])? = nil,
        body: @escaping (any Backend, Int) throws -> Void, references: [OpReference] = []
    ) {
        self.spec = spec
        self.op = op
        self.shape = shape
        self.m = m
        self.n = n
        self.k = k
        self.cost = cost
        self.workingSet = workingSet
        self.body = body
        self.references = references
        let descriptor = OpDescriptor(op, dtype: spec.dtype)
        let rows = m
        let flops = cost.flops
        self.shares = shares ?? { [KernelShare($0.kernelClass(for: descriptor, rows: rows), flops: flops)] }
    }

    /// The reference named `name` (`cblas`, `read`), if this cell has one.
    func reference(_ name: String) -> OpReference? { references.first { $0.name == name } }
}
