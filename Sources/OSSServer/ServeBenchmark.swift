import Foundation
import Logging
import OSSBench
import OSSCore
import OSSModel

/// `oss bench serve`: concurrency levels × prompt and generation lengths through the continuous-batching engine
/// (in process: the HTTP layer adds microseconds per token, the model milliseconds), as vLLM's serving benchmark and
/// llama-batched-bench report them; plus the sampler's time per token for every setting at the model's vocabulary.
public enum ServeBenchmark {
    /// One level: `concurrency` requests of `prompt` random tokens, each generating exactly `gen` tokens.
    public struct Level: Sendable {
        public var concurrency: Int, prompt: Int, gen: Int
        public init(concurrency: Int, prompt: Int, gen: Int) {
            self.concurrency = concurrency
            self.prompt = prompt
            self.gen = gen
        }
    }

    /// Runs every level on `engine` (started, with at least max concurrency slots and queue room) and returns one
    /// record per level. Prompts are random ids (below `vocabLimit`, seeded per request) so no cache prefix is
    /// shared; sampling is temperature 1, top-p 0.9, and stop tokens are off so each request generates `gen`.
    public static func run(
        levels: [Level], engine: Engine, vocabLimit: Int, backend: String, threads: Int,
        modelLabel: String, log: (String) -> Void
    ) async throws -> [BenchResult] {
        var results: [BenchResult] = []
        var seed: UInt64 = 1
        for level in levels {
            log("serve c=\(level.concurrency) p=\(level.prompt) g=\(level.gen)…")
            let start = DispatchTime.now().uptimeNanoseconds
            let traces = try await withThrowingTaskGroup(of: [UInt64].self) { group in
                for _ in 0..<level.concurrency {
                    var rng = Xoshiro256StarStar(seed: seed)
                    seed += 1
                    let prompt = (0..<level.prompt).map { _ in Int32(rng.next() % UInt64(vocabLimit)) }
                    let sampling = SamplingParameters(temperature: 1, topP: 0.9, seed: seed)
                    let job = EngineJob(
                        prompt: prompt, sampling: sampling, maxTokens: level.gen, stopTokens: [],
                        timeout: 24 * 3600)
                    let ticket = try engine.submit(job)
                    let submitted = DispatchTime.now().uptimeNanoseconds
                    group.addTask {
                        var times = [submitted]
                        for await event in ticket.events {
                            if case .token = event { times.append(DispatchTime.now().uptimeNanoseconds) }
                            if case .finished(let reason) = event, reason != .length {
                                throw BenchError.model("a serving request ended with \(reason)")
                            }
                        }
                        return times
                    }
                }
                var all: [[UInt64]] = []
                for try await t in group { all.append(t) }
                return all
            }
            let end = traces.compactMap(\.last).max() ?? start
            let ttft = traces.map { Double($0[1] - $0[0]) }
            let itl = traces.flatMap { t in t.count > 2 ? (2..<t.count).map { Double(t[$0] - t[$0 - 1]) } : [] }
            let generated = traces.reduce(0) { $0 + $1.count - 1 }
            let wall = Double(end - start) * 1e-9
            let ttftStats = SampleStatistics(ttft)
            let itlStats = SampleStatistics(itl.isEmpty ? [0] : itl)
            let figures = ServeFigures(
                concurrency: level.concurrency, promptTokens: level.prompt, genTokens: level.gen,
                aggregateTokensPerSecond: wall > 0 ? Double(generated) / wall : 0,
                decodeTokensPerSecond: itlStats.median > 0 ? Double(level.concurrency) / (itlStats.median * 1e-9) : 0,
                ttftP50Ns: ttftStats.median, ttftP99Ns: ttftStats.p99,
                itlP50Ns: itlStats.median, itlP99Ns: itlStats.p99)
            var r = BenchResult(
                suite: .serve, test: "c\(level.concurrency) p\(level.prompt) g\(level.gen)", op: "serve",
                backend: backend,
                threads: threads, dtype: modelLabel, shape: "c=\(level.concurrency) p=\(level.prompt) g=\(level.gen)",
                m: level.concurrency, n: level.prompt, k: level.gen, reps: 1, warmup: 0,
                samplesNs: itl.isEmpty ? [0] : itl,
                cost: OpCost(flops: 0, bytes: 0), ceiling: Ceiling(threads: threads, fmaGFLOPS: 0, dramGBps: 0),
                workingSetBytes: 0, tokensPerRep: nil, ttftNs: ttftStats.median, bound: .memory)
            r.tokensPerSecond = figures.aggregateTokensPerSecond
            r.serve = figures
            results.append(r)
            log(
                String(
                    format: "  %.1f tok/s aggregate, %.1f decode, TTFT p50 %.3f s p99 %.3f s, "
                        + "ITL p50 %.1f ms p99 %.1f ms",
                    figures.aggregateTokensPerSecond, figures.decodeTokensPerSecond, ttftStats.median * 1e-9,
                    ttftStats.p99 * 1e-9, itlStats.median * 1e-6, itlStats.p99 * 1e-6))
        }
        return results
    }

    /// The sampler settings timed by `samplerResults`.
    public static let samplerSettings: [(String, SamplingParameters)] = [
        ("greedy", .greedy), ("temperature 0.8", SamplingParameters(temperature: 0.8)),
        ("top-k 40", SamplingParameters(temperature: 0.8, topK: 40)),
        ("top-p 0.9", SamplingParameters(temperature: 1, topP: 0.9)),
        ("top-k 40 + top-p 0.95", SamplingParameters(temperature: 0.8, topK: 40, topP: 0.95)),
        ("min-p 0.05", SamplingParameters(temperature: 1, minP: 0.05)),
        ("top-p 0.9 + min-p 0.05", SamplingParameters(temperature: 1, topP: 0.9, minP: 0.05)),
    ]

    /// Time per token of every sampler setting on `logits` (one row of the model's output), `reps` samples each.
    public static func samplerResults(
        logits: [Float], sampleableLimit: Int, bannedIDs: [Int32], reps: Int,
        backend: String
    ) throws -> [BenchResult] {
        let tensor = Tensor(logits, shape: [logits.count])
        return try samplerSettings.map { name, parameters in
            let sampler = try Sampler(parameters: parameters, sampleableLimit: sampleableLimit, bannedIDs: bannedIDs)
            for _ in 0..<3 { _ = try sampler.sample(tensor) }
            var samples: [Double] = []
            for _ in 0..<reps {
                let t0 = DispatchTime.now().uptimeNanoseconds
                _ = try sampler.sample(tensor)
                samples.append(Double(DispatchTime.now().uptimeNanoseconds - t0))
            }
            return BenchResult(
                suite: .serve, test: name, op: "sample", backend: backend, threads: 1, dtype: "-",
                shape: "V=\(logits.count)", m: 1, n: logits.count, k: 0, reps: reps, warmup: 3,
                samplesNs: samples, cost: OpCost(flops: 0, bytes: Double(logits.count * 4)),
                ceiling: Ceiling(threads: 1, fmaGFLOPS: 0, dramGBps: 0), workingSetBytes: 0,
                bound: .memory)
        }
    }
}
