import ArgumentParser
import Foundation
import OSSBackends
import OSSBench
import OSSCore

/// `oss tune`: measures this machine and writes the tuning profile the `auto` backend routes by.
struct TuneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tune",
        abstract:
            "Measure best thread counts and swift/blas crossovers per op and dtype; write a tuning profile (JSON).")

    @Option(name: .long, help: "Thread counts to measure (default 1…cores).") var threads: String?
    @Option(name: .long, help: "Linear/MoE weight dtypes (default f32,f16,bf16,q8_0,mxfp4).") var dtype: String?
    @Option(name: .long, help: "T ladder for linear crossovers (default 1,2,4,8,16,32,64,128,512).") var tokens: String?
    @Option(name: .long, help: "Timed reps per cell (default 3).") var reps: Int = 3
    @Option(name: .long, help: "Profile path (default $SWIFTOSS_TUNING or ~/.config/swiftoss/tuning.json).") var out:
        String?
    @Option(
        name: .long,
        help: ArgumentHelp(
            "Also time prefill and decode of this model (preset, directory or GGUF) at each thread count.",
            discussion: "The fastest counts become the profile's prefill and decode threads, which `generate`, `chat`, "
                + "`logits` and `serve` use when --threads / --decode-threads are not given. Without --model they are "
                + "estimated from the op cells (T ≥ 64 for prefill, T = 1 for decode).")) var model: String?
    @Option(name: .long, help: "Backend of the --model sweep (default blas).") var modelBackend: String = "blas"
    @Flag(name: .long, help: "No per-cell lines on stderr.") var quiet = false

    func run() throws {
        let ts =
            try threads.map { try VectorParameter.integers($0, name: "threads") }
            ?? Array(1...ProcessInfo.processInfo.activeProcessorCount)
        let dtypes = try dtype.map { try VectorParameter.dtypes($0, name: "dtype") } ?? DType.allCases
        guard reps >= 1 else {
            throw BenchError.invalidParameter(name: "reps", value: "\(reps)", reason: "must be ≥ 1")
        }
        var tuner = Tuner(threads: ts, dtypes: dtypes, reps: reps)
        if let tokens { tuner.linearTokens = try VectorParameter.integers(tokens, name: "tokens") }
        let machine = MachineBlock.collect()
        let log: (String) -> Void = { line in if !quiet { FileHandle.standardError.write(Data((line + "\n").utf8)) } }
        let measurements = try tuner.measure(cacheBytes: machine.l3Bytes, log: log)
        var profile = tuner.profile(from: measurements, cpuModel: machine.cpuModel, date: machine.date)
        var sweepReport = ""
        if let model {
            let sweep = ModelThreadSweep(threads: ts, backend: try BackendKind.parse(modelBackend), reps: reps)
            let (label, points) = try sweep.measure(model: model, log: log)
            if let best = ModelThreadSweep.fastest(points) {
                profile.prefillThreads = best.prefill
                profile.decodeThreads = best.decode
                profile.threadsMeasuredOn = label
            }
            sweepReport = ModelThreadSweep.markdown(
                points, label: label, promptTokens: sweep.promptTokens,
                decodeTokens: sweep.decodeTokens)
        }
        let url = out.map { URL(fileURLWithPath: $0) } ?? TuningProfile.defaultURL
        do { try profile.write(to: url) } catch { throw BenchError.io(path: url.path, reason: "\(error)") }
        print(Tuner.markdown(measurements, profile: profile) + sweepReport, terminator: "")
        print("tuning profile written to \(url.path)")
    }
}
