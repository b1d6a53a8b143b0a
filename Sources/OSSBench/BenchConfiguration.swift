import Foundation
import OSSBackends
import OSSCore
import OSSFormats

/// Everything one `oss bench` run measures: the expanded matrix and how each cell is timed.
public struct BenchConfiguration: Sendable {
    public var backends: [BackendKind]
    public var threads: [Int]
    public var suites: [BenchSuite]
    /// Ops-suite cells (before backend × threads).
    public var opSpecs: [OpSpec]
    /// e2e prompt lengths (pp) and generation lengths (tg).
    public var prompts: [Int]
    public var gens: [Int]
    /// `--model`: preset name or checkpoint directory.
    public var model: String
    /// Timed reps per op cell (e2e: per prompt / generation) and untimed warm-up reps before them.
    public var reps: Int
    public var e2eReps: Int
    public var warmup: Int
    /// A cell stops early once it has 3 samples and this many seconds of timed work (bounds slow cells).
    public var cellBudgetSeconds: Double
    /// Adds the reference rows: direct `cblas_sgemm` / `cblas_sgemv` (`cblas`) for f32 linear cells and the
    /// streaming read of the weight bytes (`read`) for T = 1 linear cells (`--no-direct` turns both off).
    public var includeDirect: Bool
    /// Bytes of the DRAM bandwidth probe array.
    public var dramProbeBytes: Int
    /// Profile for the `auto` backend (nil: `TuningProfile.loadDefault()`).
    public var profile: TuningProfile?
    /// e2e: how the weights reach memory before anything is timed (default `prefault`: every page resident first).
    public var residency: WeightResidency = .prefault
    /// e2e: context depths (tokens already cached, llama-bench's `-d`) each pp/tg test runs at.
    public var depths: [Int] = [0]
    /// e2e: measure the cold start once first (page cache of the model's files dropped; load, first prompt, prefault
    /// timed as rows of their own).
    public var coldStart: Bool = true
    /// e2e: rounds of the whole e2e block; with a peer, ours and the peer's alternate round by round.
    public var rounds: Int = 1
    /// e2e: the peer measured on the same weights after each round of ours (nil: none).
    public var peer: PeerBenchmark?
    /// e2e: dense float matrices converted to this dtype at load (`--requant`), nil to keep stored dtypes.
    public var requantize: DType?
    /// e2e: element type of our KV cache (`--kv-cache`; llama.cpp's default is F16).
    public var kvCache: KVCacheType = .f32

    public init(
        backends: [BackendKind], threads: [Int], suites: [BenchSuite], opSpecs: [OpSpec], prompts: [Int],
        gens: [Int], model: String, reps: Int, e2eReps: Int, warmup: Int, cellBudgetSeconds: Double = 3,
        includeDirect: Bool = true, dramProbeBytes: Int = RooflineProbe.defaultDRAMBytes, profile: TuningProfile? = nil
    ) {
        self.backends = backends
        self.threads = threads
        self.suites = suites
        self.opSpecs = opSpecs
        self.prompts = prompts
        self.gens = gens
        self.model = model
        self.reps = reps
        self.e2eReps = e2eReps
        self.warmup = warmup
        self.cellBudgetSeconds = cellBudgetSeconds
        self.includeDirect = includeDirect
        self.dramProbeBytes = dramProbeBytes
        self.profile = profile
    }

    /// The `make bench` matrix: swift and blas, threads 1…cores, `OpsSuite.defaultSpecs()` with cblas and read
    /// reference rows, e2e pp512 and tg128 on the `mini` preset; 10 reps per op cell, 3 per e2e test, 1 warm-up.
    public static func defaultMatrix(cores: Int = ProcessInfo.processInfo.activeProcessorCount) -> BenchConfiguration {
        BenchConfiguration(
            backends: [.swift, .blas], threads: Array(1...max(1, cores)), suites: [.ops, .e2e],
            opSpecs: OpsSuite.defaultSpecs(), prompts: [512], gens: [128], model: "mini",
            reps: 10, e2eReps: 3, warmup: 1)
    }

    /// Number of cells the run will measure (for progress and ETA).
    public var cellCount: Int {
        var n = 0
        if suites.contains(.ops) {
            n += opSpecs.count * backends.count * threads.count
            if includeDirect {
                let linear = opSpecs.filter { $0.family.linearShape != nil }
                n += linear.filter { $0.dtype == .f32 }.count * threads.count  // cblas
                n += linear.filter { $0.tokens == 1 }.count * threads.count  // read
            }
        }
        if suites.contains(.e2e) { n += rounds * (backends.count * threads.count + (peer == nil ? 0 : 1)) }
        return n
    }
}
