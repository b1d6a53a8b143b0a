import Foundation

/// Schema version of the records below (bumped when a field changes meaning).
public let benchSchemaVersion = 1

/// Which suite a result belongs to.
public enum BenchSuite: String, Codable, Sendable, CaseIterable {
    /// Single ops at gpt-oss-20b shapes.
    case ops
    /// The whole model: prefill (pp) and decode (tg).
    case e2e
    /// Serving: concurrent requests through the continuous-batching engine (`oss bench serve`), and the sampler.
    case serve
}

/// Figures of one serving level (`oss bench serve`): `concurrency` requests of `promptTokens` + `genTokens` each,
/// submitted at once. Latencies in ns.
public struct ServeFigures: Codable, Sendable, Equatable {
    public var concurrency: Int
    public var promptTokens: Int
    public var genTokens: Int
    /// Generated tokens of all requests ÷ wall time from the first submission to the last token.
    public var aggregateTokensPerSecond: Double
    /// Decode tokens/s over all streams: concurrency ÷ median inter-token latency.
    public var decodeTokensPerSecond: Double
    public var ttftP50Ns: Double, ttftP99Ns: Double
    public var itlP50Ns: Double, itlP99Ns: Double
    public init(
        concurrency: Int, promptTokens: Int, genTokens: Int, aggregateTokensPerSecond: Double,
        decodeTokensPerSecond: Double, ttftP50Ns: Double, ttftP99Ns: Double, itlP50Ns: Double, itlP99Ns: Double
    ) {
        self.concurrency = concurrency
        self.promptTokens = promptTokens
        self.genTokens = genTokens
        self.aggregateTokensPerSecond = aggregateTokensPerSecond
        self.decodeTokensPerSecond = decodeTokensPerSecond
        self.ttftP50Ns = ttftP50Ns
        self.ttftP99Ns = ttftP99Ns
        self.itlP50Ns = itlP50Ns
        self.itlP99Ns = itlP99Ns
    }
}

/// The machine and build a run was measured on (stored once per run, referenced by every result row).
public struct MachineBlock: Codable, Sendable, Equatable {
    public var cpuModel: String
    /// Logical CPUs the OS offers this process.
    public var cores: Int
    /// CPU feature flags relevant to the kernels (avx2, fma, f16c, avx512f, …).
    public var flags: [String]
    /// Last-level cache size in bytes (0 when unknown).
    public var l3Bytes: Int
    /// L2 cache size of one core in bytes (0 when unknown; nil in older records).
    public var l2Bytes: Int?
    /// `openblas_get_config()`.
    public var openblasConfig: String
    /// `openblas_get_corename()`: the kernel set OpenBLAS chose.
    public var openblasCore: String
    /// OpenMP runtime the C kernels use (spec and library).
    public var openmpRuntime: String
    /// Instruction paths the C kernels took, e.g. "AVX2+FMA+F16C; MXFP4 GEMV AVX512-VNNI+VBMI; Q8_0 GEMV AVX512-VNNI" (nil in older runs).
    public var ckernels: String?
    /// Environment variables that change BLAS/OpenMP behaviour, as set for this run (absent = unset).
    public var environment: [String: String]
    public var swiftVersion: String
    public var os: String
    /// `git rev-parse --short HEAD` of the working directory ("unknown" outside a checkout), "+dirty" when modified.
    public var gitCommit: String
    /// ISO 8601 UTC time the run started.
    public var date: String

    public init(
        cpuModel: String, cores: Int, flags: [String], l3Bytes: Int, openblasConfig: String, openblasCore: String,
        openmpRuntime: String, environment: [String: String], swiftVersion: String, os: String,
        gitCommit: String, date: String, ckernels: String? = nil, l2Bytes: Int? = nil
    ) {
        self.cpuModel = cpuModel
        self.cores = cores
        self.flags = flags
        self.l3Bytes = l3Bytes
        self.openblasConfig = openblasConfig
        self.openblasCore = openblasCore
        self.openmpRuntime = openmpRuntime
        self.environment = environment
        self.swiftVersion = swiftVersion
        self.os = os
        self.gitCommit = gitCommit
        self.date = date
        self.ckernels = ckernels
        self.l2Bytes = l2Bytes
    }

    /// File-system-safe name of the CPU ("amd-epyc"), the first level of `results/`.
    public var cpuSlug: String { Self.slug(cpuModel) }

    /// Lower-case letters and digits joined by single dashes.
    public static func slug(_ text: String) -> String {
        var out = ""
        for ch in text.lowercased() {
            if ch.isASCII, ch.isLetter || ch.isNumber { out.append(ch) } else if !out.hasSuffix("-") { out.append("-") }
        }
        let trimmed = out.trimmingCharacters(in: CharacterSet(charactersIn: "-"))
        return trimmed.isEmpty ? "unknown-cpu" : trimmed
    }
}

/// One run: what was measured, where, under which ceilings. The first line of `results.jsonl`.
public struct RunHeader: Codable, Sendable, Equatable {
    public var schema: Int
    /// `<date>-<commit>`, the run directory's name.
    public var runID: String
    public var machine: MachineBlock
    public var roofline: Roofline
    /// The command line that produced the run.
    public var command: [String]

    public init(
        schema: Int = benchSchemaVersion, runID: String, machine: MachineBlock, roofline: Roofline, command: [String]
    ) {
        self.schema = schema
        self.runID = runID
        self.machine = machine
        self.roofline = roofline
        self.command = command
    }
}

/// One measured cell: a row of every output format.
public struct BenchResult: Codable, Sendable, Equatable {
    public var suite: BenchSuite
    /// Case name: `linear.qkv`, `attention.full`, `moe`, … for ops; `pp512`, `tg128` for e2e.
    public var test: String
    /// The op kind (`linear`, `rmsNorm`, …) or `prefill` / `decode` for e2e.
    public var op: String
    /// `swift`, `blas`, `auto`, or a reference row: `cblas` (direct OpenBLAS call, f32 linear) or `read` (streaming
    /// read of the weight bytes one call reads, T = 1 linear).
    public var backend: String
    public var threads: Int
    /// Weight dtype (`f32`, `bf16`, …) or `-` for ops without weights; the model's dtypes for e2e.
    public var dtype: String
    /// Human-readable shape, e.g. `T=512 2880→5120`, `T=1 kv=4096 w=128`, `p=512`.
    public var shape: String
    /// Rows / tokens (T for ops, n_prompt or n_gen for e2e).
    public var m: Int
    /// Output features (ops) or 0.
    public var n: Int
    /// Input features / reduction length (ops) or 0.
    public var k: Int
    public var reps: Int
    public var warmup: Int
    /// Latency statistics of one rep in ns (e2e tg: one decoded token).
    public var stats: SampleStatistics
    /// FLOPs and fewest bytes of one rep (e2e tg: one token).
    public var cost: OpCost
    /// At the median: cost.flops / median, cost.bytes / median.
    public var gflops: Double
    public var gbps: Double
    /// e2e: tokens per second at the median (n tokens / median time of the whole prompt or generation).
    public var tokensPerSecond: Double?
    /// e2e pp: time to first token (prefill of the prompt incl. its logits), ns, median.
    public var ttftNs: Double?
    /// Which ceiling applies and its value (GFLOP/s for compute, GB/s for memory) at this thread count.
    public var bound: BoundKind
    public var ceiling: Double
    /// The kernels that ran the counted FLOPs (instruction class, products per multiply-add, FLOPs each): the compute
    /// ceiling is theirs. nil in older records and for reference rows without one (then the widest FP32 FMA peak).
    public var kernels: [KernelShare]?
    /// The memory tier of the working set: the bandwidth ceiling is that tier's read. nil in older records (DRAM).
    public var memoryTier: MemoryTier?
    /// The applied ceiling, named: "int8-vnni512÷2", "fp32-fma512", "dram read", "l3 read".
    public var ceilingName: String?
    /// Achieved / ceiling in the bound's unit (GFLOP/s or GB/s).
    public var rooflineFraction: Double
    /// Distinct bytes the timed loop cycles through (weights × copies + activations): < L3 means cache-resident.
    public var workingSetBytes: Double
    /// e2e: context depth the test ran at (tokens already in the KV cache, llama-bench's `-d`); nil = 0.
    public var depth: Int?
    /// e2e: round of an interleaved run (`--rounds`, ours and the peer alternating), 1-based; nil = 1.
    public var round: Int?
    /// e2e: each op kind's share of the time of one untimed profiling rep after the timed ones (keys `OpKind` raw
    /// values, e.g. `attention`); nil when not profiled.
    public var opShares: [String: Double]?
    /// e2e: share of that profiled rep's wall time spent inside backend ops (the rest ran between them: the model's
    /// own code, cache bookkeeping, sampling); nil when not profiled.
    public var opCoverage: Double?
    /// e2e: GB/s at which each op kind with known weight bytes streamed them in that rep (`linear`; `moe` at one
    /// token: router and selected experts), to set beside the paired read; nil when not profiled.
    public var opWeightGBps: [String: Double]?
    /// e2e: share of the weight files resident in memory when the timed reps began (1 for copies); nil elsewhere.
    public var residentFraction: Double?
    /// e2e: share of the weight files' bytes mapped through 2 MiB pages at the same moment (page-cache folios mapped
    /// whole, or a copy's transparent huge pages); nil elsewhere and where the kernel does not report it.
    public var hugePageFraction: Double?
    /// T = 1 linear cells: the median over reps of (time of a streaming read of another copy of the same weights,
    /// run just before the rep on the same threads) ÷ (the rep's time) — the kernel's share of pure-read speed,
    /// paired rep by rep so machine drift cancels. e2e decode rows: the median over reps of (the rep's weight GB/s ÷
    /// the GB/s of a DRAM read just before it), a peer's rows against reads around its run. nil elsewhere and in
    /// older records.
    public var readRatio: Double?
    /// e2e decode rows: the median GB/s of the paired reads behind `readRatio` (a 1 GiB read on huge pages just
    /// before each rep, on the row's threads; for a peer's rows, reads just before and after its decode run). nil elsewhere.
    public var pairedReadGBps: Double?
    /// Serving levels (suite `serve`, op `serve`): throughput and latency percentiles; nil elsewhere.
    public var serve: ServeFigures?
    /// Every timed sample, ns, in run order (warm-up excluded).
    public var samplesNs: [Double]

    public init(
        suite: BenchSuite, test: String, op: String, backend: String, threads: Int, dtype: String, shape: String,
        m: Int, n: Int, k: Int, reps: Int, warmup: Int, samplesNs: [Double], cost: OpCost, ceiling: Ceiling,
        workingSetBytes: Double, tokensPerRep: Int? = nil, ttftNs: Double? = nil, bound: BoundKind? = nil,
        kernels: [KernelShare]? = nil, memoryTier: MemoryTier? = nil
    ) {
        self.suite = suite
        self.test = test
        self.op = op
        self.backend = backend
        self.threads = threads
        self.dtype = dtype
        self.shape = shape
        self.m = m
        self.n = n
        self.k = k
        self.reps = reps
        self.warmup = warmup
        self.samplesNs = samplesNs
        self.cost = cost
        self.workingSetBytes = workingSetBytes
        self.ttftNs = ttftNs
        let s = SampleStatistics(samplesNs)
        stats = s
        let seconds = s.median / 1e9
        gflops = seconds > 0 ? cost.flops / seconds / 1e9 : 0
        gbps = seconds > 0 ? cost.bytes / seconds / 1e9 : 0
        tokensPerSecond = tokensPerRep.map { seconds > 0 ? Double($0) / seconds : 0 }
        self.kernels = kernels
        self.memoryTier = memoryTier
        self.bound = bound ?? .memory
        self.ceiling = 0
        rooflineFraction = 0
        if bound == nil { self.bound = boundUnder(ceiling) }
        score(under: ceiling)
    }

    /// Compute ceiling (counted GFLOP/s of this cell's kernels) and bandwidth ceiling (GB/s of its memory tier).
    func ceilings(under c: Ceiling) -> (compute: Double, memory: Double) {
        let tier = memoryTier ?? .dram
        return (kernels.map { c.computeCeiling($0) } ?? c.fmaGFLOPS, c.bandwidth(tier) ?? c.dramGBps)
    }

    /// Bytes that bound this cell in its memory tier (`OpCost.limitingBytes`).
    var limitingBytes: Double { cost.limitingBytes(in: memoryTier ?? .dram) }

    /// The intensity the cell is scored on: counted FLOPs per limiting byte (the roofline chart's x axis).
    var scoredIntensity: Double { limitingBytes > 0 ? cost.flops / limitingBytes : .infinity }

    /// Compute-bound when the scored intensity reaches the ridge point of this cell's own ceilings, memory-bound
    /// otherwise.
    func boundUnder(_ c: Ceiling) -> BoundKind {
        let (compute, memory) = ceilings(under: c)
        return memory > 0 && scoredIntensity >= compute / memory ? .compute : .memory
    }

    /// Sets `ceiling`, `ceilingName` and `rooflineFraction` from the bound's ceiling.
    private mutating func score(under c: Ceiling) {
        let (compute, memory) = ceilings(under: c)
        switch bound {
        case .compute:
            ceiling = compute
            rooflineFraction = compute > 0 ? gflops / compute : 0
            let names = (kernels ?? []).map(\.kernel.description)
            ceilingName = names.isEmpty ? "fp32-fma (widest)" : Array(Set(names)).sorted().joined(separator: "+")
        case .memory:
            ceiling = memory
            // the limiting bytes' rate (all bytes from DRAM; the larger direction in a cache) against the tier's read
            rooflineFraction = memory > 0 && cost.bytes > 0 ? gbps * (limitingBytes / cost.bytes) / memory : 0
            ceilingName = "\((memoryTier ?? .dram).rawValue) read"
        }
    }

    /// The same result scored against another ceiling (ops re-derive their bound from the new ridge point; e2e
    /// bounds are fixed by the suite: prefill compute, decode memory).
    public func rescored(under ceiling: Ceiling) -> BenchResult {
        var r = self
        if suite == .ops { r.bound = r.boundUnder(ceiling) }
        r.score(under: ceiling)
        return r
    }

    /// Identity of the cell across runs (for `compare`): everything but the measurements.
    public var cellKey: String {
        "\(suite.rawValue)|\(test)|\(backend)|t\(threads)|\(dtype)|\(shape)" + ((round ?? 1) > 1 ? "|r\(round!)" : "")
    }

    /// Backend names of reference rows: measured next to the cells for side-by-side ratios, never routed to.
    public static let referenceBackends: Set<String> = ["cblas", "read"]

    /// True for a reference row (`cblas`, `read`) rather than a backend's cell.
    public var isReference: Bool { Self.referenceBackends.contains(backend) }

    /// The figure the roofline fraction is about: GFLOP/s when compute-bound, GB/s when memory-bound.
    public var boundThroughput: Double { bound == .compute ? gflops : gbps }
}

/// A whole run: header plus results (the `json` format, and what `compare` loads).
public struct BenchRun: Codable, Sendable, Equatable {
    public var header: RunHeader
    public var results: [BenchResult]
    public init(header: RunHeader, results: [BenchResult]) {
        self.header = header
        self.results = results
    }
}
