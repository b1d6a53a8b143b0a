import ArgumentParser
import Foundation
import Logging
import OSSBench
import OSSCore
import OSSModel
import OSSServer
import OSSTokenizer

/// `oss bench serve`: the serving benchmark (continuous batching) into `results/`.
struct BenchServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serving benchmark: concurrent requests through the batching engine (tokens/s, TTFT, ITL) "
            + "and the sampler.")

    @Option(name: .long, help: "Model: preset tiny-o200k|mini|20b, a checkpoint directory or a GGUF file.")
    var model = "mini"
    @OptionGroup var engine: BackendOptions
    @Option(name: .long, help: "Concurrency levels (slots = the largest).") var concurrency = "1,2,4,8,16"
    @Option(name: .long, help: "Prompt lengths.") var prompt = "128"
    @Option(name: .long, help: "Generated tokens per request.") var gen = "64"
    @Option(name: .long, help: "Prompt rows per step.") var prefillChunk = 128
    @Option(name: .long, help: "Timed samples per sampler setting.") var samplerReps = 200
    @Option(name: .long, help: "Results root directory.") var out = "results"
    @Flag(name: .long, help: "Do not write a results directory.") var noSave = false

    func run() async throws {
        do {
            let levelsC = try VectorParameter.integers(concurrency, name: "concurrency")
            let prompts = try VectorParameter.integers(prompt, name: "prompt")
            let gens = try VectorParameter.integers(gen, name: "gen")
            guard let slots = levelsC.max(), slots >= 1, prompts.allSatisfy({ $0 >= 1 }),
                gens.allSatisfy({ $0 >= 1 })
            else {
                throw ValidationError("concurrency, prompt and gen must be ≥ 1")
            }
            let log = { (s: String) in FileHandle.standardError.write(Data("oss bench serve: \(s)\n".utf8)) }
            var isDirectory: ObjCBool = false
            let (url, label) =
                FileManager.default.fileExists(atPath: model, isDirectory: &isDirectory)
                    && !isDirectory.boolValue
                ? (URL(fileURLWithPath: model), URL(fileURLWithPath: model).deletingPathExtension().lastPathComponent)
                : try E2ESuite.resolveModel(model, log: log)
            let context = (prompts.max() ?? 1) + (gens.max() ?? 1) + 8
            let backend = try engine.makeBackend()
            let loaded = try ModelLoader.load(
                path: url.path, options: ModelLoadOptions(backend: backend, contextLength: context, prefillChunk: 1))
            let batch = try ModelBatch(model: loaded.model, slots: slots, maxStepRows: slots + prefillChunk)
            let tokenizer = loaded.tokenizer
            let limit = min(loaded.model.vocabSize, tokenizer.sampleableLimit)
            let banned = (0..<Int32(limit)).filter { !tokenizer.hasToken($0) }
            let engine = try Engine(
                model: batch,
                configuration: .init(queueCapacity: slots, prefillChunk: prefillChunk),
                sampleableLimit: limit, bannedIDs: banned, metrics: nil,
                logger: Logger(label: "oss.bench.serve"))
            engine.start()
            defer { engine.shutdown() }
            // warm-up: one short request
            _ = try await ServeBenchmark.run(
                levels: [.init(concurrency: 1, prompt: 8, gen: 4)], engine: engine,
                vocabLimit: limit, backend: backend.name, threads: backend.threads,
                modelLabel: label, log: { _ in })
            let levels = prompts.flatMap { p in
                gens.flatMap { g in levelsC.map { ServeBenchmark.Level(concurrency: $0, prompt: p, gen: g) } }
            }
            var results = try await ServeBenchmark.run(
                levels: levels, engine: engine, vocabLimit: limit,
                backend: backend.name, threads: backend.threads,
                modelLabel: label, log: log)
            // the sampler on real logits of this model: after the start of a user message (harmony's
            // <|start|>user<|message|>), or after a one-word chat prompt
            let start =
                (try? loaded.chatFormat()) == .harmony
                ? tokenizer.encode("<|start|>user<|message|>", allowSpecial: true)
                : ((try? loaded.chatRenderer().prompt([.user("Hello")]))
                    ?? tokenizer.encode("Hello", allowSpecial: false, addSpecial: true))
            let logits = try loaded.model.prefill(start).toArray()
            results += try ServeBenchmark.samplerResults(
                logits: logits, sampleableLimit: limit, bannedIDs: banned,
                reps: samplerReps, backend: backend.name)
            var machine = MachineBlock.collect()
            machine.date = ISO8601DateFormatter().string(from: Date())
            let header = RunHeader(
                runID: ResultsDirectory.runID(machine: machine), machine: machine,
                roofline: Roofline(ceilings: [], dramProbeBytes: 0, fmaIterations: 0),
                command: CommandLine.arguments)
            let run = BenchRun(header: header, results: results)
            print(MarkdownReporter.render(run))
            if !noSave {
                let dir = try ResultsDirectory.write(run, root: URL(fileURLWithPath: out))
                log("results in \(dir.path)")
            }
        } catch let error as ValidationError {
            throw error
        } catch {
            FileHandle.standardError.write(Data("oss bench serve: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}
