import Foundation
import OSSCore
import OSSModel

/// The end-to-end suite: prefill (pp) and decode (tg) of a whole model, llama-bench style.
public enum E2ESuite {
    /// Where built-in presets are generated once: `$SWIFTOSS_MODELS/<preset>` or `~/.cache/swiftoss/models/<preset>`.
    public static func cacheDirectory(for preset: SyntheticPreset) -> URL {
        let env = ProcessInfo.processInfo.environment["SWIFTOSS_MODELS"]
        let root = env.map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/swiftoss/models")
        return root.appendingPathComponent(preset.rawValue)
    }

    /// Resolves `--model`: a preset name (`tiny`, `mini`, `20b`; generated into the cache directory on first use,
    /// logging to `log`), a checkpoint directory or a GGUF file.
    public static func resolveModel(_ name: String, log: (String) -> Void) throws -> (url: URL, label: String) {
        if let preset = SyntheticPreset(rawValue: name.lowercased()) {
            let dir = cacheDirectory(for: preset)
            if !FileManager.default.fileExists(atPath: dir.appendingPathComponent("config.json").path) {
                let tmp = dir.deletingLastPathComponent().appendingPathComponent(".\(preset.rawValue).partial-\(getpid())")
                log("generating the '\(preset.rawValue)' preset into \(dir.path) (once)…")
                do {
                    try? FileManager.default.removeItem(at: tmp)
                    try SyntheticModel.write(preset, to: tmp)
                    try? FileManager.default.removeItem(at: dir)
                    try FileManager.default.moveItem(at: tmp, to: dir)
                } catch {
                    try? FileManager.default.removeItem(at: tmp)
                    throw BenchError.model("cannot generate preset '\(preset.rawValue)' in \(dir.path): \(error)")
                }
            }
            return (dir, preset.rawValue)
        }
        guard FileManager.default.fileExists(atPath: name) else {
            throw BenchError.model("'\(name)' is neither a preset (\(SyntheticPreset.allCases.map(\.rawValue).joined(separator: ", "))) nor a model directory or GGUF file")
        }
        return (URL(fileURLWithPath: name), URL(fileURLWithPath: name).lastPathComponent)
    }

    /// Deterministic token ids (no tokenizer or sampler in the timed loop: those are timed apart).
    static func tokens(_ n: Int, vocab: Int, salt: Int) -> [Int32] {
        (0..<n).map { Int32((($0 + salt) &* 7919 &+ 13) % max(vocab, 1)) }
    }

    /// pp`n` for every n in `prompts`: prefill from an empty cache; one sample per rep.
    static func prefill(loaded: LoadedModel, prompts: [Int], label: String, backend: String, threads: Int,
                        reps: Int, warmup: Int, ceiling: Ceiling, tier: MemoryTier, budget: Double) throws -> [BenchResult] {
        let model = loaded.model, cost = loaded.footprint
        var out: [BenchResult] = []
        for n in prompts {
            let ids = tokens(n, vocab: model.vocabSize, salt: n)
            let samples = try Timing.measure(warmup: warmup, reps: reps, budgetSeconds: budget) { _ in
                model.reset()
                _ = try model.prefill(ids)
            }
            let attention = (0..<n).reduce(0.0) { $0 + cost.attentionFLOPs(position: $1) }
            let c = OpCost(flops: Double(n) * cost.layerFLOPsPerToken + attention + cost.unembedFLOPs,
                           bytes: cost.totalWeightBytes)
            let s = SampleStatistics(samples)
            out.append(BenchResult(suite: .e2e, test: "pp\(n)", op: "prefill", backend: backend, threads: threads,
                                   dtype: cost.dtypes, shape: "\(label) p=\(n)", m: n, n: 0, k: 0, reps: samples.count,
                                   warmup: warmup, samplesNs: samples, cost: c, ceiling: ceiling,
                                   workingSetBytes: cost.totalWeightBytes, tokensPerRep: n, ttftNs: s.median, bound: .compute,
                                   kernels: cost.shares(on: loaded.backend, rows: min(n, loaded.prefillChunk), tokens: n,
                                                        attention: attention),
                                   memoryTier: tier))
        }
        return out
    }

    /// tg`n` for every n in `gens`: decode n tokens from an empty cache; one sample per generated token.
    static func decode(loaded: LoadedModel, gens: [Int], label: String, backend: String, threads: Int,
                       reps: Int, warmup: Int, ceiling: Ceiling, tier: MemoryTier, budget: Double) throws -> [BenchResult] {
        let model = loaded.model, cost = loaded.footprint
        var out: [BenchResult] = []
        for n in gens {
            let ids = tokens(n, vocab: model.vocabSize, salt: 7)
            var samples: [Double] = []
            samples.reserveCapacity(n * reps)
            let start = Timing.nowNs()
            for rep in 0..<(warmup + reps) {
                model.reset()
                for id in ids {
                    let t0 = Timing.nowNs()
                    _ = try model.decode(id)
                    if rep >= warmup { samples.append(Double(Timing.nowNs() - t0)) }
                }
                if rep >= warmup, Double(Timing.nowNs() - start) / 1e9 > budget { break }
            }
            let attention = (0..<n).reduce(0.0) { $0 + cost.attentionFLOPs(position: $1) } / Double(n)
            let c = OpCost(flops: cost.layerFLOPsPerToken + cost.unembedFLOPs + attention, bytes: cost.decodeBytesPerToken)
            out.append(BenchResult(suite: .e2e, test: "tg\(n)", op: "decode", backend: backend, threads: threads,
                                   dtype: cost.dtypes, shape: "\(label) g=\(n)", m: n, n: 0, k: 0, reps: samples.count / max(n, 1),
                                   warmup: warmup, samplesNs: samples, cost: c, ceiling: ceiling,
                                   workingSetBytes: cost.totalWeightBytes, tokensPerRep: 1, bound: .memory,
                                   kernels: cost.shares(on: loaded.decodeBackend, rows: 1, tokens: 1, attention: attention),
                                   memoryTier: tier))
        }
        return out
    }
}

extension ModelFootprint {
    /// The kernels of a step of `rows` tokens (prefill chunks; 1 for decode) on `backend`, with the FLOPs each
    /// runs for `tokens` tokens in such steps plus `attention` FLOPs and one unembedding (the last position's).
    func shares(on backend: any Backend, rows: Int, tokens: Int, attention: Double) -> [KernelShare]? {
        guard let r = backend as? any InstructionClassReporting else { return nil }
        let n = Double(tokens), expertRows = max(1, rows * expertsPerToken / max(experts, 1))
        var out: [KernelShare] = []
        for (d, f) in denseFLOPsPerToken.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            out.append(KernelShare(r.kernelClass(for: OpDescriptor(.linear, dtype: d), rows: rows), flops: f * n))
        }
        for (d, f) in expertFLOPsPerToken.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            out.append(KernelShare(r.kernelClass(for: OpDescriptor(.moe, dtype: d), rows: expertRows), flops: f * n))
        }
        out.append(KernelShare(r.kernelClass(for: OpDescriptor(.attention), rows: rows), flops: attention))
        out.append(KernelShare(r.kernelClass(for: OpDescriptor(.linear, dtype: unembedDType), rows: 1), flops: unembedFLOPs))
        return out
    }
}
