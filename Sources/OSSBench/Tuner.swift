import BLASBackend
import Foundation
import OSSBackends
import OSSCore

/// `oss tune`: measures this machine's best thread count per op class and the crossovers between the Swift and BLAS
/// backends (per op, per weight dtype, over a ladder of T), and turns them into a `TuningProfile` for `AutoBackend`.
public struct Tuner {
    /// One timed comparison: the fastest rep of each backend at one cell (the minimum is the estimate least
    /// disturbed by other load on a small machine).
    public struct Measurement: Codable, Sendable, Equatable {
        public var key: String
        public var tokens: Int
        public var threads: Int
        /// Fastest rep in ns per backend name.
        public var bestNs: [String: Double]
        /// The faster of the backends a profile can route to (`swift`, `blas`); reference figures (`cblas`, `read`)
        /// in `bestNs` are never a winner.
        public var winner: String { routable.min { $0.value < $1.value }?.key ?? "blas" }
        /// `bestNs` restricted to `Tuner.routableBackends`.
        var routable: [String: Double] { bestNs.filter { Tuner.routableBackends.contains($0.key) } }
    }

    /// Backends a `TuningProfile` routes to; everything else (`auto`, the `cblas` / `read` reference rows of
    /// `oss bench`, the `gemmPathNames` runs) is never a routing target.
    static let routableBackends: Set<String> = [BackendKind.swift.rawValue, BackendKind.blas.rawValue]

    /// `bestNs` keys of the BLAS backend run with each forced GEMM path, on linear cells past the GEMV kernels.
    static let gemmPathNames: [GEMMPath: String] = [.cblas: "blas:gemm=cblas", .own: "blas:gemm=own"]

    public var threads: [Int]
    public var dtypes: [DType]
    /// T ladder for linear crossovers.
    public var linearTokens: [Int]
    public var reps: Int
    public var warmup: Int

    public init(
        threads: [Int], dtypes: [DType] = DType.allCases, linearTokens: [Int] = [1, 2, 4, 8, 16, 32, 64, 128, 512],
        reps: Int = 5, warmup: Int = 1
    ) {
        self.threads = threads
        self.dtypes = dtypes
        self.linearTokens = linearTokens
        self.reps = reps
        self.warmup = warmup
    }

    /// Op class of a routing key, for `bestThreads`.
    static func opClass(key: String, tokens: Int) -> String {
        let op = key.split(separator: ".").first.map(String.init) ?? key
        switch op {
        case "linear": return tokens == 1 ? "gemv" : "gemm"
        case "rmsNorm", "rope", "attention", "moe", "embedding": return op
        case "swiglu", "add": return "elementwise"
        default: return "sampling"
        }
    }

    /// The cells tune measures: linear at the gpt-oss attention-output shape (4096→2880) per dtype over the T
    /// ladder, MoE per expert dtype at T = 1, 32 and 128, and every other op at T = 1, 64 and 512 (attention over a
    /// cache of max(T, 1024) positions), sampling ops at T = 1.
    func cells() -> [(key: String, spec: OpSpec)] {
        var out: [(String, OpSpec)] = []
        for d in dtypes {
            for t in linearTokens { out.append(("linear.\(d.rawValue)", OpSpec(.attn_out, dtype: d, tokens: t))) }
        }
        for d in dtypes where d == .mxfp4 || d == .q8_0 || d == .bf16 {
            for t in [1, 32, 128] { out.append(("moe.\(d.rawValue)", OpSpec(.moe, dtype: d, tokens: t))) }
        }
        for t in [1, 64, 512] {
            out.append(("attention", OpSpec(.attention, tokens: t, kvLength: max(t, 1024))))
            out.append(("rmsNorm", OpSpec(.rmsnorm, tokens: t)))
            out.append(("rope", OpSpec(.rope, tokens: t)))
            out.append(("swiglu", OpSpec(.swiglu, tokens: t)))
            out.append(("add", OpSpec(.add, tokens: t)))
        }
        out.append(("softmax", OpSpec(.softmax, tokens: 1)))
        out.append(("argmax", OpSpec(.argmax, tokens: 1)))
        out.append(("topK", OpSpec(.topk, tokens: 1)))
        return out
    }

    /// Runs every cell on swift and blas at every thread count. `log` receives one line per cell.
    public func measure(cacheBytes: Int, log: (String) -> Void) throws -> [Measurement] {
        var backends: [String: any Backend] = [:]
        for t in threads {
            backends["swift/\(t)"] = try BackendKind.swift.make(threads: t)
            backends["blas/\(t)"] = try BackendKind.blas.make(threads: t)
        }
        var out: [Measurement] = []
        let all = cells()
        for (i, cell) in all.enumerated() {
            let prepared = try OpsSuite.prepare(cell.spec, cacheBytes: cacheBytes)
            for t in threads {
                var best: [String: Double] = [:]
                for name in ["swift", "blas"] {
                    guard let b = backends["\(name)/\(t)"] else { continue }
                    // the BLAS calls just before leave libomp workers spinning on the cores Swift's pool needs
                    if name == "swift" { BLASBackend.quietIdleWorkers(threads: threads.max() ?? t) }
                    let samples = try Timing.measure(warmup: warmup, reps: reps, budgetSeconds: 2) {
                        try prepared.body(b, $0)
                    }
                    best[name] = SampleStatistics(samples).min
                }
                // the BLAS backend's GEMM paths, where both exist (our microkernel needs AVX-512; without it the AVX2
                // 8-bit tiles of MXFP4 and the block types)
                if cell.key.hasPrefix("linear."), let b = backends["blas/\(t)"] as? BLASBackend,
                    let dtype = cell.spec.dtype, BLASBackend.hasOwnGEMM(for: dtype),
                    b.usesGEMM(dtype: dtype, rows: cell.spec.tokens)
                {
                    for (path, name) in Self.gemmPathNames {
                        BLASBackend.gemmOverride = path
                        defer { BLASBackend.gemmOverride = .auto }
                        let samples = try Timing.measure(warmup: warmup, reps: reps, budgetSeconds: 2) {
                            try prepared.body(b, $0)
                        }
                        best[name] = SampleStatistics(samples).min
                    }
                }
                let m = Measurement(key: cell.key, tokens: cell.spec.tokens, threads: t, bestNs: best)
                let gemm = Self.gemmPathNames.sorted { $0.value < $1.value }.compactMap { path, name in
                    best[name].map { ", gemm=\(path.rawValue) \(Figures.duration(ns: $0))" }
                }.joined()
                log(
                    "[\(i + 1)/\(all.count)] \(cell.spec) \(t)t: swift \(Figures.duration(ns: best["swift"] ?? 0)), "
                        + "blas \(Figures.duration(ns: best["blas"] ?? 0))\(gemm) → \(m.winner)")
                out.append(m)
            }
        }
        return out
    }

    /// Builds the profile from measurements: routing rules at `routingThreads` (default: the most threads measured),
    /// crossovers, and the fastest thread count per op class.
    public func profile(
        from measurements: [Measurement], cpuModel: String, date: String,
        routingThreads: Int? = nil
    ) -> TuningProfile {
        let rt = routingThreads ?? threads.max() ?? 1
        var routes: [String: [RouteRule]] = [:]
        var crossovers: [String: Int] = [:]
        var keys: [String] = []
        for m in measurements where !keys.contains(m.key) { keys.append(m.key) }
        for key in keys {
            let ladder = measurements.filter { $0.key == key && $0.threads == rt }.sorted { $0.tokens < $1.tokens }
            guard let rules = Self.rules(ladder) else { continue }
            routes[key] = rules
            if let firstBLAS = rules.first(where: { $0.backend == .blas }) { crossovers[key] = firstBLAS.minTokens }
        }
        // Fastest thread count per op class: the lowest summed best-backend time over that class's cells.
        let bestThreads = Dictionary(grouping: measurements) { Self.opClass(key: $0.key, tokens: $0.tokens) }
            .mapValues { Self.fastestThreads($0) ?? 1 }
        let phases = Self.phaseThreads(measurements)
        return TuningProfile(
            cpuModel: cpuModel, created: date, threads: rt, routes: routes, fallback: .blas,
            bestThreads: bestThreads, crossovers: crossovers,
            gemmPaths: Self.gemmPaths(measurements.filter { $0.threads == rt }),
            prefillThreads: phases.prefill, decodeThreads: phases.decode,
            threadsMeasuredOn: phases.prefill == nil ? nil : "ops")
    }

    /// The op-level estimate of the model commands' thread counts: the count with the lowest summed best time over
    /// the prefill cells (T ≥ 64) and over the decode cells (T = 1). `oss tune --model` replaces it with end-to-end
    /// figures (`ModelThreadSweep`).
    static func phaseThreads(_ measurements: [Measurement]) -> (prefill: Int?, decode: Int?) {
        (
            fastestThreads(measurements.filter { $0.tokens >= 64 }),
            fastestThreads(measurements.filter { $0.tokens == 1 })
        )
    }

    /// The thread count with the lowest summed best-backend time over `measurements` (ties: fewer threads); nil when
    /// there are none.
    static func fastestThreads(_ measurements: [Measurement]) -> Int? {
        var sum: [Int: Double] = [:]
        for m in measurements { sum[m.threads, default: 0] += m.routable.values.min() ?? .infinity }
        return sum.min { $0.value < $1.value || ($0.value == $1.value && $0.key < $1.key) }?.key
    }

    /// The GEMM path per linear dtype: the one with the smaller summed best time over the measured T (nil when no
    /// cell measured both paths).
    static func gemmPaths(_ measurements: [Measurement]) -> [String: GEMMPath]? {
        var sums: [String: [GEMMPath: Double]] = [:]
        for m in measurements where m.key.hasPrefix("linear.") {
            guard let cblas = m.bestNs[gemmPathNames[.cblas]!], let own = m.bestNs[gemmPathNames[.own]!] else {
                continue
            }
            let dtype = String(m.key.dropFirst("linear.".count))
            sums[dtype, default: [:]][.cblas, default: 0] += cblas
            sums[dtype, default: [:]][.own, default: 0] += own
        }
        guard !sums.isEmpty else { return nil }
        return sums.mapValues { ($0[.own] ?? .infinity) < ($0[.cblas] ?? .infinity) ? .own : .cblas }
    }

    /// Routing rules from one op's ladder of T. T = 1 (the GEMV-class decode path) gets the faster backend there;
    /// for T ≥ 2 at most one crossover: one backend for every T, or backend A below T* and B from T* on, whichever
    /// minimises the summed slowdown (time ÷ the faster backend's time) over the measured points. So a single noisy
    /// point cannot make the routing flap back and forth; ties keep the simpler rule.
    static func rules(_ ladder: [Measurement]) -> [RouteRule]? {
        let points = ladder.compactMap { m -> (t: Int, swift: Double, blas: Double)? in
            guard let s = m.bestNs["swift"], let b = m.bestNs["blas"], s > 0, b > 0 else { return nil }
            return (m.tokens, s, b)
        }.sorted { $0.t < $1.t }
        guard !points.isEmpty else { return nil }
        var rules: [RouteRule] = []
        if let one = points.first(where: { $0.t == 1 }) {
            rules.append(RouteRule(minTokens: 1, backend: one.swift <= one.blas ? .swift : .blas))
        }
        let batch = points.filter { $0.t > 1 }
        if let first = batch.first {
            func cost(_ pick: (Int) -> BackendKind) -> Double {
                batch.reduce(0) { sum, p in sum + (pick(p.t) == .swift ? p.swift : p.blas) / min(p.swift, p.blas) }
            }
            let start = rules.isEmpty ? 1 : first.t
            var best: (rules: [RouteRule], cost: Double)? = nil
            for single in [BackendKind.swift, .blas] {
                let c = cost { _ in single }
                if best == nil || c < best!.cost - 1e-9 { best = ([RouteRule(minTokens: start, backend: single)], c) }
            }
            for (a, b) in [(BackendKind.swift, BackendKind.blas), (.blas, .swift)] {
                for p in batch.dropFirst() {
                    let c = cost { $0 < p.t ? a : b }
                    if c < best!.cost - 1e-9 {
                        best = ([RouteRule(minTokens: start, backend: a), RouteRule(minTokens: p.t, backend: b)], c)
                    }
                }
            }
            for r in best?.rules ?? [] where rules.last?.backend != r.backend { rules.append(r) }
        }
        return rules
    }

    /// Markdown table of the measurements and the resulting rules.
    public static func markdown(_ measurements: [Measurement], profile: TuningProfile) -> String {
        var out = [
            "| cell | T | threads | swift (best rep) | blas (best rep) | faster |", "|---|---:|---:|---:|---:|---|",
        ]
        for m in measurements {
            out.append(
                "| \(m.key) | \(m.tokens) | \(m.threads) | \(Figures.duration(ns: m.bestNs["swift"] ?? 0)) | "
                    + "\(Figures.duration(ns: m.bestNs["blas"] ?? 0)) | \(m.winner) |")
        }
        out.append("")
        out.append("Routing at \(profile.threads) threads (first T → backend):")
        for key in profile.routes.keys.sorted() {
            out.append(
                "- \(key): "
                    + (profile.routes[key] ?? []).map { "T≥\($0.minTokens) \($0.backend.rawValue)" }.joined(
                        separator: ", "))
        }
        if let paths = profile.gemmPaths, !paths.isEmpty {
            out.append("")
            out.append(
                "GEMM path per dtype (T past the GEMV kernels): "
                    + paths.keys.sorted().map { "\($0) \(paths[$0]!.rawValue)" }.joined(separator: ", "))
        }
        out.append("")
        out.append(
            "Best threads per op class: "
                + profile.bestThreads.keys.sorted().map { "\($0) \(profile.bestThreads[$0]!)" }.joined(separator: ", "))
        if let p = profile.prefillThreads, let d = profile.decodeThreads {
            out.append("")
            out.append(
                "Model commands: prefill \(p) threads, decode \(d) threads "
                    + "(measured on \(profile.threadsMeasuredOn ?? "ops"))")
        }
        return out.joined(separator: "\n") + "\n"
    }
}
