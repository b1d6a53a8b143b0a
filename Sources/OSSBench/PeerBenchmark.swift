import Foundation
import OSSCore
import OSSModel

/// A peer engine measured on the same weights and thread counts as our e2e suite, its rows recorded next to ours
/// (`backend` = its name): llama.cpp's `llama-bench` on a GGUF file of the same model.
public struct PeerBenchmark: Sendable {
    /// Backend name of the peer's rows.
    public static let llamaCppName = "llama.cpp"

    /// The `llama-bench` executable.
    public var executable: URL
    /// The GGUF file holding the same weights as our model.
    public var model: URL
    /// Extra arguments passed as they are (e.g. `-fa on`).
    public var extraArguments: [String]
    /// The instruction classes the peer's CPU backend was compiled for, the compute ceilings of its prefill rows;
    /// nil when they cannot be read (then the widest FP32 FMA peak of the CPU, as before).
    public var build: PeerBuild?

    public init(executable: URL, model: URL, extraArguments: [String] = [], build: PeerBuild? = nil) {
        self.executable = executable
        self.model = model
        self.extraArguments = extraArguments
        self.build = build
    }

    /// Parses `--peer llama-bench=PATH`.
    public static func parse(_ spec: String, model: URL?) throws -> PeerBenchmark {
        let parts = spec.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2, parts[0] == "llama-bench", !parts[1].isEmpty else {
            throw BenchError.invalidParameter(name: "peer", value: spec, reason: "expected llama-bench=PATH")
        }
        let exe = URL(fileURLWithPath: parts[1])
        guard FileManager.default.isExecutableFile(atPath: exe.path) else {
            throw BenchError.invalidParameter(
                name: "peer", value: spec, reason: "\(exe.path) is not an executable file")
        }
        guard let model else {
            throw BenchError.invalidParameter(
                name: "peer-model", value: "",
                reason:
                    "the peer needs a GGUF file of the same weights (--peer-model FILE.gguf, or a preset whose GGUF form can be written)"
            )
        }
        return PeerBenchmark(executable: exe, model: model, build: PeerBuild.read(executable: exe))
    }

    /// The `llama-bench` command line for these tests: each prompt length as a pp test and each generation length as
    /// a tg test, at every thread count and depth, `reps` repetitions, JSON lines on stdout.
    func arguments(prompts: [Int], gens: [Int], depths: [Int], threads: [Int], reps: Int) -> [String] {
        func list(_ v: [Int]) -> String { v.map(String.init).joined(separator: ",") }
        return [
            "-m", model.path, "-p", list(prompts), "-n", list(gens), "-d", list(depths), "-t", list(threads),
            "-r", String(reps), "-o", "jsonl",
        ] + extraArguments
    }

    /// Runs the peer and returns its rows: pp rows with one sample per rep (ns for the whole prompt), tg rows with
    /// one sample per rep divided by the tokens generated (ns per token), so both read like ours. `cost` and
    /// `ceiling(threads)` score them against the same ceilings as our rows.
    func run(
        prompts: [Int], gens: [Int], depths: [Int], threads: [Int], reps: Int, label: String,
        cost: ModelFootprint, tier: MemoryTier, ceiling: (Int) -> Ceiling?, round: Int,
        log: (String) -> Void
    ) throws -> [BenchResult] {
        let args = arguments(prompts: prompts, gens: gens, depths: depths, threads: threads, reps: reps)
        log("peer: \(executable.lastPathComponent) \(args.joined(separator: " "))")
        let process = Process()
        process.executableURL = executable
        process.arguments = args
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        do { try process.run() } catch {
            throw BenchError.measurement(cell: "peer", reason: "cannot start \(executable.path): \(error)")
        }
        // Drain stderr on its own thread so a chatty peer cannot fill the pipe and stall.
        let errData = ErrorCollector(err.fileHandleForReading)
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let tail = String(decoding: errData.wait().suffix(2000), as: UTF8.self)
            throw BenchError.measurement(
                cell: "peer", reason: "llama-bench exited \(process.terminationStatus): \(tail)")
        }
        _ = errData.wait()
        return try Self.rows(
            jsonl: String(decoding: data, as: UTF8.self), label: label, cost: cost, tier: tier,
            ceiling: ceiling, round: round, build: build)
    }

    /// Our rows from llama-bench's JSON lines (`n_prompt`, `n_gen`, `n_depth`, `n_threads`, `samples_ns`); prefill
    /// rows are scored against `build`'s classes when it is known.
    static func rows(
        jsonl: String, label: String, cost: ModelFootprint, tier: MemoryTier,
        ceiling: (Int) -> Ceiling?, round: Int, build: PeerBuild? = nil
    ) throws -> [BenchResult] {
        var out: [BenchResult] = []
        for line in jsonl.split(separator: "\n") where line.hasPrefix("{") {
            let value: JSONValue
            do { value = try JSONParser.parse(Array(line.utf8)) } catch {
                throw BenchError.measurement(
                    cell: "peer", reason: "llama-bench printed a line that is not JSON: \(error)")
            }
            guard case .object(let members) = value else { continue }
            var fields: [String: JSONValue] = [:]
            for m in members { fields[m.key] = m.value }
            func number(_ v: JSONValue?) -> Double? {
                switch v {
                case .integer(let i)?: return Double(i)
                case .number(let d)?: return d
                default: return nil
                }
            }
            func int(_ k: String) -> Int? { number(fields[k]).map { Int($0) } }
            guard let prompt = int("n_prompt"), let gen = int("n_gen"), let threads = int("n_threads"),
                case .array(let rawSamples)? = fields["samples_ns"]
            else {
                throw BenchError.measurement(
                    cell: "peer", reason: "llama-bench line without n_prompt/n_gen/n_threads/samples_ns")
            }
            let depth = int("n_depth") ?? 0
            let samples = rawSamples.compactMap { number($0) }
            guard let ce = ceiling(threads), !samples.isEmpty, (prompt > 0) != (gen > 0) else { continue }
            let isPrompt = prompt > 0
            let n = isPrompt ? prompt : gen
            let base = isPrompt ? "pp\(n)" : "tg\(n)"
            let perSample = isPrompt ? samples : samples.map { $0 / Double(n) }
            let opCost = isPrompt ? cost.prefillCost(tokens: n, depth: depth) : cost.decodeCost(tokens: n, depth: depth)
            var r = BenchResult(
                suite: .e2e, test: E2ESuite.testName(base, depth: depth), op: isPrompt ? "prefill" : "decode",
                backend: llamaCppName, threads: threads, dtype: cost.dtypes,
                shape: "\(label) \(isPrompt ? "p" : "g")=\(n)" + (depth > 0 ? " d=\(depth)" : ""), m: n, n: 0, k: 0,
                reps: samples.count, warmup: 1, samplesNs: perSample, cost: opCost,
                ceiling: ce, workingSetBytes: cost.totalWeightBytes, tokensPerRep: isPrompt ? n : 1,
                ttftNs: isPrompt ? SampleStatistics(perSample).median : nil, bound: isPrompt ? .compute : .memory,
                kernels: isPrompt ? build?.prefillShares(cost, tokens: n, flops: opCost.flops) : nil, memoryTier: tier)
            r.depth = depth > 0 ? depth : nil
            r.round = round
            out.append(r)
        }
        guard !out.isEmpty else { throw BenchError.measurement(cell: "peer", reason: "llama-bench printed no results") }
        return out
    }
}

/// What a peer's ggml CPU backend was compiled for (`GGML_NATIVE`, `GGML_AVX512`, `GGML_AVX_VNNI`, …), as the
/// instruction classes its prefill runs: FP32 FMAs for the float matrices and attention, 8-bit integer dot products
/// for the quantised matrices (ggml multiplies them against Q8 activations).
public struct PeerBuild: Codable, Sendable, Equatable {
    public var fma: KernelClass
    public var int8: KernelClass

    public init(fma: KernelClass, int8: KernelClass) {
        self.fma = fma
        self.int8 = int8
    }

    /// The build of the CPU backend that `executable` loads: the shared `libggml-cpu.so` beside it (llama.cpp's
    /// default CMake layout) answers `ggml_cpu_has_avx512()`, `_avx512_vnni()`, `_avx_vnni()`, `_avx2()` with the
    /// flags it was compiled with, not the CPU's. nil without that library (a static build, or one with a backend per
    /// CPU variant: then the variant depends on the CPU) or without AVX2.
    public static func read(executable: URL) -> PeerBuild? {
        let library = executable.resolvingSymlinksInPath().deletingLastPathComponent()
            .appendingPathComponent("libggml-cpu.so")
        guard FileManager.default.fileExists(atPath: library.path),
            let handle = dlopen(library.path, RTLD_LAZY | RTLD_LOCAL)
        else { return nil }
        defer { dlclose(handle) }
        typealias Flag = @convention(c) () -> Int32
        func has(_ feature: String) -> Bool? {
            dlsym(handle, "ggml_cpu_has_" + feature).map { unsafeBitCast($0, to: Flag.self)() != 0 }
        }
        guard let avx2 = has("avx2"), let avx512 = has("avx512") else { return nil }
        return of(
            avx2: avx2, avx512: avx512, avx512VNNI: has("avx512_vnni") ?? false, avxVNNI: has("avx_vnni") ?? false)
    }

    /// The classes of a build with these flags (nil without AVX2). An AVX-512 build without VNNI multiplies its
    /// integers in 512-bit `vpmaddubsw`, a class not probed: scored against the 512-bit FMA there.
    public static func of(avx2: Bool, avx512: Bool, avx512VNNI: Bool, avxVNNI: Bool) -> PeerBuild? {
        guard avx2 else { return nil }
        let fma = KernelClass(avx512 ? .fma512 : .fma256)
        let int8: KernelClass
        if avx512 && avx512VNNI {
            int8 = KernelClass(.int8VNNI512)
        } else if avx512 {
            int8 = fma
        } else {
            int8 = KernelClass(avxVNNI ? .int8VNNI256 : .int8Maddubs256)
        }
        return PeerBuild(fma: fma, int8: int8)
    }

    /// The prefill of n tokens (`flops` counted in all) by class: the quantised matrices' FLOPs (dense, experts,
    /// the unembedding of the last token) on `int8`, the rest (float matrices, attention) on `fma`.
    func prefillShares(_ cost: ModelFootprint, tokens n: Int, flops: Double) -> [KernelShare] {
        let quantised = { (d: DType) in d != .f32 && d != .f16 && d != .bf16 }
        var integer =
            Double(n)
            * (cost.denseFLOPsPerToken.merging(cost.expertFLOPsPerToken, uniquingKeysWith: +))
            .filter { quantised($0.key) }.values.reduce(0, +)
        if quantised(cost.unembedDType) { integer += cost.unembedFLOPs }
        integer = min(integer, flops)
        return [KernelShare(fma, flops: flops - integer), KernelShare(int8, flops: integer)].filter { $0.flops > 0 }
    }
}

/// Reads a pipe to its end on a background thread.
private final class ErrorCollector: @unchecked Sendable {
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        Thread.detachNewThread { [self] in
            data = handle.readDataToEndOfFile()
            done.signal()
        }
    }

    func wait() -> Data {
        done.wait()
        done.signal()
        return data
    }
}
