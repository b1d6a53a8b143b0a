import BLASBackend
import Foundation
import OSSCore

/// Which backend runs an op from a number of tokens (rows) upward.
public struct RouteRule: Codable, Sendable, Equatable {
    /// Smallest T (rows of the op's input) this rule applies to.
    public var minTokens: Int
    public var backend: BackendKind
    public init(minTokens: Int, backend: BackendKind) {
        self.minTokens = minTokens
        self.backend = backend
    }
}

/// A machine's measured routing and thread choices, written by `oss tune` and read by `AutoBackend`.
///
/// `routes` keys are `"<op>.<dtype>"` for ops that read weights (`linear.bf16`, `moe.mxfp4`, `embedding.bf16`) and
/// `"<op>"` otherwise (`attention`, `rmsNorm`, …); op names are `OpKind` raw values. Each value is a list of rules
/// sorted by `minTokens`; the last rule whose `minTokens ≤ T` wins. Lookup falls back from `op.dtype` to `op`, then
/// to `fallback`.
public struct TuningProfile: Codable, Sendable, Equatable {
    public var schema: Int
    /// CPU the profile was measured on (`MachineInfo` model name), informational.
    public var cpuModel: String
    /// ISO 8601 date of the measurement ("default" for the built-in profile).
    public var created: String
    /// Thread count the measurements ran with for the routing rules.
    public var threads: Int
    public var routes: [String: [RouteRule]]
    /// Backend for ops without a rule.
    public var fallback: BackendKind
    /// Fastest thread count per op class (`gemv`, `gemm`, `attention`, `moe`, `norm`, …), as measured.
    public var bestThreads: [String: Int]
    /// Measured crossovers, for reports: `"linear.f32": 8` = BLAS beats Swift from T = 8 on.
    public var crossovers: [String: Int]
    /// The BLAS backend's prefill GEMM per weight dtype (`"bf16": .own`), as measured; dtypes without an entry (and
    /// profiles written before this field) use the built-in rule (`GEMMPath.auto`).
    public var gemmPaths: [String: GEMMPath]?
    /// Thread count with the most prompt tokens/s (prefill, T > 1) and the most generated tokens/s (decode, T = 1),
    /// as measured; the model commands run with them when `--threads` / `--decode-threads` are not given. Decode is
    /// bandwidth-bound and often peaks below the core count. nil in profiles written before this field.
    public var prefillThreads: Int?
    public var decodeThreads: Int?
    /// What `prefillThreads` / `decodeThreads` were measured on: `"ops"` (the op-class cells of `oss tune`) or the
    /// model of `oss tune --model` (its label).
    public var threadsMeasuredOn: String?

    public init(
        schema: Int = 1, cpuModel: String, created: String, threads: Int, routes: [String: [RouteRule]],
        fallback: BackendKind, bestThreads: [String: Int] = [:], crossovers: [String: Int] = [:],
        gemmPaths: [String: GEMMPath]? = nil, prefillThreads: Int? = nil, decodeThreads: Int? = nil,
        threadsMeasuredOn: String? = nil
    ) {
        self.schema = schema
        self.cpuModel = cpuModel
        self.created = created
        self.threads = threads
        self.routes = routes.mapValues { $0.sorted { $0.minTokens < $1.minTokens } }
        self.fallback = fallback
        self.bestThreads = bestThreads
        self.crossovers = crossovers
        self.gemmPaths = gemmPaths
        self.prefillThreads = prefillThreads
        self.decodeThreads = decodeThreads
        self.threadsMeasuredOn = threadsMeasuredOn
    }

    /// The measured (prefill, decode) thread counts when this profile was measured on a CPU named `cpuModel` (a
    /// profile copied from another machine says nothing about this one); nil otherwise or when not measured.
    public func modelThreads(onCPU cpuModel: String) -> (prefill: Int, decode: Int)? {
        guard self.cpuModel == cpuModel, let p = prefillThreads, let d = decodeThreads, p >= 1, d >= 1 else {
            return nil
        }
        return (p, d)
    }

    /// The profile used when none was measured: every op on `blas` (OpenBLAS GEMM for T > 1 in one libomp team,
    /// AVX2 C kernels elsewhere), the layout DESIGN.md measured fastest on this class of machine. `oss tune` replaces
    /// it with measured choices.
    public static let `default` = TuningProfile(
        cpuModel: "any", created: "default", threads: 0,
        routes: ["linear": [RouteRule(minTokens: 1, backend: .blas)]], fallback: .blas)

    /// The backend for `op` reading weights of `dtype` (nil for ops without weights) on `tokens` rows.
    /// Never returns `.auto`. Resolves the table on every call: hot paths keep a `RoutingTable` instead.
    public func backend(for op: OpKind, dtype: DType?, tokens: Int) -> BackendKind {
        RoutingTable(self).backend(for: op, dtype: dtype, tokens: tokens)
    }

    /// Reads a profile file, naming the file in the error.
    public static func load(from url: URL) throws -> TuningProfile {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw BackendError.invalidArgument(op: "auto", detail: "cannot read tuning profile \(url.path)")
        }
        do { return try JSONDecoder().decode(TuningProfile.self, from: data) } catch {
            throw BackendError.invalidArgument(op: "auto", detail: "tuning profile \(url.path) is not valid: \(error)")
        }
    }

    /// Writes the profile as pretty JSON (creating the directory).
    public func write(to url: URL) throws {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try e.encode(self).write(to: url, options: .atomic)
    }

    /// `$SWIFTOSS_TUNING` if set, else `~/.config/swiftoss/tuning.json`.
    public static var defaultURL: URL {
        if let p = ProcessInfo.processInfo.environment["SWIFTOSS_TUNING"], !p.isEmpty { return URL(fileURLWithPath: p) }
        return FileManager.default.homeDirectoryForCurrentUser
            .appendingPathComponent(".config/swiftoss/tuning.json")
    }

    /// The profile at `defaultURL` when it exists and parses, else `default`.
    public static func loadDefault() throws -> TuningProfile {
        let url = defaultURL
        guard FileManager.default.fileExists(atPath: url.path) else { return .default }
        return try load(from: url)
    }
}
