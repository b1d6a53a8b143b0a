import ArgumentParser
import Foundation
import OSSBackends
import OSSBench
import OSSCore
import OSSFormats

/// `oss bench`: the benchmark matrix (default subcommand `run`) and `oss bench compare A B`.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmark ops and the whole model per backend and thread count, against the measured roofline.",
        subcommands: [BenchRunCommand.self, BenchCompareCommand.self, BenchServeCommand.self],
        defaultSubcommand: BenchRunCommand.self)
}

/// `oss bench [run]`: llama-bench style vector parameters expand to the full matrix.
struct BenchRunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the benchmark matrix (lists: 1,2; ranges: 1-4, 1-16*2, 0-12+4).",
        discussion: """
            Every run measures the FP32 FMA peak and DRAM read bandwidth first and reports each figure as a fraction of
            the applicable ceiling. Results go to stdout in the chosen formats and to <out>/<cpu>/<date>-<commit>/
            (results.jsonl with raw samples, results.csv, summary.md, SVG charts); progress goes to stderr.
            """)

    @Flag(
        name: .long,
        help: "The make-bench matrix: swift,blas × threads 1…cores, key op shapes, e2e pp512/tg128 on mini.")
    var `default` = false
    @Option(name: .long, help: "Backends: swift, blas, auto.") var backend: String?
    @Option(name: .long, help: "Thread counts, e.g. 1,2 or 1-4 (default 1…cores).") var threads: String?
    @Option(name: .long, help: "Suites: ops, e2e.") var suite: String?
    @Option(
        name: .long,
        help: """
            Ops: linear (= qkv,attn_out,router,gate_up,down,unembed), llama_up, llama_down (Llama-3.2-1B FFN), attention, \
            moe, rmsnorm, rope, swiglu, softmax, add, embedding, argmax, topk.
            """)
    var ops: String?
    @Option(
        name: .long,
        help: """
            Weight dtypes for linear/moe/embedding: f32, bf16, f16, q8_0, mxfp4, q4_0, q4_1, q5_0, q5_1, q4_k, q5_k, q6_k \
            (default: gpt-oss's own per op; the K-quants need 256-multiple rows: attn_out, llama_up, llama_down);             for attention, the KV cache's: f32 (default) or f16.
            """)
    var dtype: String?
    @Option(name: .long, help: "Rows T for ops (default 1,512).") var tokens: String?
    @Option(name: .long, help: "KV lengths for attention (default 128,1024,4096).") var kv: String?
    @Option(name: .long, help: "e2e prompt lengths (default 512).") var prompt: String?
    @Option(name: .long, help: "e2e generation lengths (default 128).") var gen: String?
    @Option(name: .long, help: "e2e model: preset tiny|mini|20b, a checkpoint directory or a GGUF file (default mini).")
    var model: String?
    @Option(name: .long, help: "Timed reps per op cell (default 10).") var reps: Int?
    @Option(name: .long, help: "Timed reps per e2e test (default 3).") var e2eReps: Int?
    @Option(name: .long, help: "Untimed warm-up reps (default 1).") var warmup: Int?
    @Option(name: .long, help: "Stop a cell after this many seconds once it has 3 samples (default 3).") var cellBudget:
        Double?
    @Option(name: .long, help: "Stdout formats: md, csv, json, jsonl (default md).") var format: String = "md"
    @Option(name: .long, help: "Results root directory (default results).") var out: String = "results"
    @Flag(name: .long, help: "Do not write a results directory.") var noSave = false
    @Flag(
        name: .long,
        help: """
            Leave out the reference rows: cblas (direct cblas_sgemm/sgemv, f32 linear) and read (streaming read of the \
            weight bytes, T=1 linear).
            """)
    var noDirect = false
    @Option(name: .long, help: "Tuning profile for --backend auto (default ~/.config/swiftoss/tuning.json if present).")
    var profile: String?
    @Option(
        name: .long,
        help: "e2e context depths: tokens already cached before each pp/tg test, as llama-bench's -d (default 0).")
    var depth: String?
    @Option(
        name: .long,
        help: """
            e2e weight residency before timing: mmap, prefault (default: every page made resident first), mlock, no-mmap         (anonymous copy on huge pages), no-mmap-4k.
            """)
    var residency: String?
    @Flag(
        name: .long,
        help: """
            e2e: skip the cold start (rows load, first prompt with the page cache dropped, prefault; without this \
            flag the peer's first run also starts with its GGUF file dropped from the page cache).
            """)
    var noCold = false
    @Option(
        name: .long, help: "e2e: rounds of the whole e2e block; with --peer, ours and the peer's alternate (default 1)."
    )
    var rounds: Int?
    @Option(name: .long, help: "e2e peer on the same weights: llama-bench=PATH (its pp/tg rows get a vs-peer ratio).")
    var peer: String?
    @Option(
        name: .long, help: "GGUF file of the same weights for --peer (default: the preset's GGUF form, written once).")
    var peerModel: String?
    @Option(
        name: .long, help: "e2e: convert dense float matrices at load, e.g. q8_0 (gpt-oss: attention and unembedding).")
    var requant: String?
    @Option(name: .long, help: "e2e: our KV cache's element type, f32 (default) or f16 (llama.cpp's default).")
    var kvCache: KVCacheType?
    @Flag(name: .long, help: "No progress on stderr.") var quiet = false
    @OptionGroup var kernels: KernelOptions

    func configuration() throws -> BenchConfiguration {
        var c =
            `default`
            ? BenchConfiguration.defaultMatrix()
            : BenchConfiguration(
                backends: [.swift, .blas], threads: Array(1...ProcessInfo.processInfo.activeProcessorCount),
                suites: [.ops], opSpecs: [], prompts: [512], gens: [128], model: "mini",
                reps: 10, e2eReps: 3, warmup: 1)
        if let backend {
            c.backends = try VectorParameter.names(
                backend, name: "backend", allowed: BackendKind.allCases.map(\.rawValue)
            )
            .map(BackendKind.parse)
        }
        if let threads { c.threads = try VectorParameter.integers(threads, name: "threads") }
        if let suite {
            c.suites = try VectorParameter.names(suite, name: "suite", allowed: ["ops", "e2e"])
                .compactMap(BenchSuite.init(rawValue:))
        }
        let dtypes = try dtype.map { try VectorParameter.dtypes($0, name: "dtype") }
        if !`default` || ops != nil || dtype != nil || tokens != nil || kv != nil {
            let opNames = try VectorParameter.names(
                ops ?? "linear,attention,moe,rmsnorm,rope", name: "ops",
                allowed: OpsSuite.familyNames)
            c.opSpecs = try OpsSuite.specs(
                ops: opNames, dtypes: dtypes, tokens: try VectorParameter.integers(tokens ?? "1,512", name: "tokens"),
                kvLengths: try VectorParameter.integers(kv ?? "128,1024,4096", name: "kv"))
        }
        if let prompt { c.prompts = try VectorParameter.integers(prompt, name: "prompt") }
        if let gen { c.gens = try VectorParameter.integers(gen, name: "gen") }
        if let model { c.model = model }
        if let reps { c.reps = try positive(reps, "reps") }
        if let e2eReps { c.e2eReps = try positive(e2eReps, "e2e-reps") }
        if let warmup {
            guard warmup >= 0 else {
                throw BenchError.invalidParameter(name: "warmup", value: "\(warmup)", reason: "must be ≥ 0")
            }
            c.warmup = warmup
        }
        if let cellBudget { c.cellBudgetSeconds = cellBudget }
        if noDirect { c.includeDirect = false }
        if let profile { c.profile = try TuningProfile.load(from: URL(fileURLWithPath: profile)) }
        if let depth {
            c.depths = try VectorParameter.integers(depth, name: "depth", minimum: 0)
        }
        if let residency {
            guard let r = WeightResidency(rawValue: residency) else {
                throw BenchError.invalidParameter(
                    name: "residency", value: residency,
                    reason:
                        "choose from \(WeightResidency.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            c.residency = r
        }
        if noCold { c.coldStart = false }
        if let requant {
            guard let d = DType(name: requant), d.isQuantized else {
                throw BenchError.invalidParameter(
                    name: "requant", value: requant, reason: "not a quantised dtype (e.g. q8_0)")
            }
            c.requantize = d
        }
        if let kvCache { c.kvCache = kvCache }
        if let rounds { c.rounds = try positive(rounds, "rounds") }
        if let peer {
            c.peer = try PeerBenchmark.parse(peer, model: try peerModelURL(for: c.model))
        }
        return c
    }

    /// `--peer-model`, or the GGUF form of a preset (written next to its checkpoint on first use).
    private func peerModelURL(for model: String) throws -> URL? {
        if let peerModel { return URL(fileURLWithPath: peerModel) }
        return try E2ESuite.ggufForm(of: model) { FileHandle.standardError.write(Data("\($0)\n".utf8)) }
    }

    private func positive(_ v: Int, _ name: String) throws -> Int {
        guard v >= 1 else { throw BenchError.invalidParameter(name: name, value: "\(v)", reason: "must be ≥ 1") }
        return v
    }

    func run() throws {
        let formats = try VectorParameter.names(format, name: "format", allowed: OutputFormat.allCases.map(\.rawValue))
            .compactMap(OutputFormat.init(rawValue:))
        let c = try configuration()
        try kernels.apply()  // before the run: its machine block records the C kernel paths
        let run = try BenchRunner(configuration: c, quiet: quiet).run(command: CommandLine.arguments)
        for f in formats { print(try f.render(run), terminator: "") }
        if !noSave {
            let dir = try ResultsDirectory.write(run, root: URL(fileURLWithPath: out))
            if !quiet { FileHandle.standardError.write(Data("results written to \(dir.path)\n".utf8)) }
        }
    }
}

/// `oss bench compare A B`: speed ratio B/A per cell; exit code 1 when a cell is slower beyond the threshold.
struct BenchCompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare two runs (results.jsonl, a .json run, or a run directory); exits 1 on a regression.")

    @Argument(help: "Baseline run A.") var a: String
    @Argument(help: "New run B.") var b: String
    @Option(name: .long, help: "Allowed slowdown before a cell is flagged, as a fraction (default 0.05).")
    var threshold: Double = 0.05

    func run() throws {
        guard threshold >= 0, threshold < 1 else {
            throw BenchError.invalidParameter(name: "threshold", value: "\(threshold)", reason: "must be in [0, 1)")
        }
        let cmp = RunComparison(
            a: try JSONReporter.load(path: a), b: try JSONReporter.load(path: b), threshold: threshold)
        print(cmp.markdown(nameA: a, nameB: b), terminator: "")
        if cmp.hasRegression { throw ExitCode(1) }
    }
}
