import Foundation
import OSSBackends
import OSSCore
import OSSModel

/// `oss tune --model`: one model's prefill and decode speed at each thread count, measured end to end. The fastest
/// counts become the tuning profile's `prefillThreads` / `decodeThreads`, which the model commands use by default.
///
/// The model is loaded once per thread count (mapped weights share one page cache) and the counts are interleaved
/// rep by rep, so drift in this machine's bandwidth touches every count alike; each figure is the best rep.
public struct ModelThreadSweep {
    /// Tokens/s of one thread count: prefill of `promptTokens`, decode of `decodeTokens` after them.
    public struct Point: Codable, Sendable, Equatable {
        public var threads: Int
        public var prefillTokensPerSecond: Double
        public var decodeTokensPerSecond: Double
    }

    public var threads: [Int]
    public var backend: BackendKind
    public var promptTokens: Int
    public var decodeTokens: Int
    public var reps: Int

    public init(
        threads: [Int], backend: BackendKind = .blas, promptTokens: Int = 128, decodeTokens: Int = 16,
        reps: Int = 3
    ) {
        self.threads = threads
        self.backend = backend
        self.promptTokens = promptTokens
        self.decodeTokens = decodeTokens
        self.reps = reps
    }

    /// Measures `model` (a preset name, a checkpoint directory or a GGUF file); returns the points in `threads`
    /// order and the model's label.
    public func measure(model: String, log: (String) -> Void) throws -> (label: String, points: [Point]) {
        guard promptTokens >= 1, decodeTokens >= 1, reps >= 1, !threads.isEmpty, threads.allSatisfy({ $0 >= 1 }) else {
            throw BenchError.invalidParameter(
                name: "model sweep", value: "\(threads) p=\(promptTokens) g=\(decodeTokens)",
                reason: "thread counts, tokens and reps must be ≥ 1")
        }
        let (path, label): (String, String)
        if SyntheticPreset(rawValue: model.lowercased()) != nil {
            let resolved = try E2ESuite.resolveModel(model, log: log)
            (path, label) = (resolved.url.path, resolved.label)
        } else {
            (path, label) = (model, URL(fileURLWithPath: model).lastPathComponent)
        }
        let context = promptTokens + decodeTokens + 1
        var models: [LanguageModel] = []
        for t in threads {
            let options = ModelLoadOptions(backend: try backend.make(threads: t), contextLength: context)
            do { models.append(try ModelLoader.load(path: path, options: options).model) } catch {
                throw BenchError.model("cannot load \(path) at \(t) threads: \(error)")
            }
        }
        let prompt = E2ESuite.tokens(promptTokens, vocab: models[0].vocabSize, salt: promptTokens)
        let generated = E2ESuite.tokens(decodeTokens, vocab: models[0].vocabSize, salt: 7)
        var prefillNs = [Double](repeating: .infinity, count: threads.count)
        var decodeNs = prefillNs
        for rep in 0...reps {  // rep 0 warms every model (page faults, first-touch of the KV cache)
            for (i, m) in models.enumerated() {
                m.reset()
                let t0 = Timing.nowNs()
                _ = try m.prefill(prompt)
                let t1 = Timing.nowNs()
                for id in generated { _ = try m.decode(id) }
                let t2 = Timing.nowNs()
                if rep > 0 {
                    prefillNs[i] = min(prefillNs[i], Double(t1 - t0))
                    decodeNs[i] = min(decodeNs[i], Double(t2 - t1))
                }
            }
        }
        let points = threads.indices.map { i in
            Point(
                threads: threads[i], prefillTokensPerSecond: Double(promptTokens) / prefillNs[i] * 1e9,
                decodeTokensPerSecond: Double(decodeTokens) / decodeNs[i] * 1e9)
        }
        for p in points {
            log(
                "\(label) \(p.threads)t: pp\(promptTokens) \(Figures.number(p.prefillTokensPerSecond)) tok/s, "
                    + "tg\(decodeTokens) \(Figures.number(p.decodeTokensPerSecond)) tok/s")
        }
        return (label, points)
    }

    /// The thread counts with the most prefill and the most decode tokens/s (ties: fewer threads).
    public static func fastest(_ points: [Point]) -> (prefill: Int, decode: Int)? {
        func best(_ rate: (Point) -> Double) -> Int? {
            points.max { rate($0) < rate($1) || (rate($0) == rate($1) && $0.threads > $1.threads) }?.threads
        }
        guard let p = best(\.prefillTokensPerSecond), let d = best(\.decodeTokensPerSecond) else { return nil }
        return (p, d)
    }

    /// Markdown table of the sweep.
    public static func markdown(_ points: [Point], label: String, promptTokens: Int, decodeTokens: Int) -> String {
        var out =
            "\n## Threads on \(label)\n\n| threads | pp\(promptTokens) tok/s | tg\(decodeTokens) tok/s |\n|---|---|---|\n"
        for p in points {
            out +=
                "| \(p.threads) | \(Figures.number(p.prefillTokensPerSecond)) | \(Figures.number(p.decodeTokensPerSecond)) |\n"
        }
        return out
    }
}
