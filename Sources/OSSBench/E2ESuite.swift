import Foundation
import OSSCore
import OSSModel

/// The end-to-end suite: prefill (pp) and decode (tg) of a whole gpt-oss model, llama-bench style.
public enum E2ESuite {
    /// Where built-in presets are generated once: `$SWIFTOSS_MODELS/<preset>` or `~/.cache/swiftoss/models/<preset>`.
    public static func cacheDirectory(for preset: SyntheticPreset) -> URL {
        let env = ProcessInfo.processInfo.environment["SWIFTOSS_MODELS"]
        let root = env.map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/swiftoss/models")
        return root.appendingPathComponent(preset.rawValue)
    }

    /// Resolves `--model`: a preset name (`tiny`, `mini`, `20b`; generated into the cache directory on first use,
    /// logging to `log`) or a checkpoint directory.
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
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: name, isDirectory: &isDir), isDir.boolValue else {
            throw BenchError.model("'\(name)' is neither a preset (\(SyntheticPreset.allCases.map(\.rawValue).joined(separator: ", "))) nor a directory")
        }
        return (URL(fileURLWithPath: name), URL(fileURLWithPath: name).lastPathComponent)
    }

    /// The model's cost figures for the rooflines.
    struct ModelCost {
        /// Weight bytes one decoded token must read (attention, router, top-k experts, unembedding, norms, biases,
        /// one embedding row).
        var decodeBytesPerToken: Double
        /// Matrix FLOPs per token through the layers (2 per weight of every matrix a token meets, top-k experts).
        var layerFLOPsPerToken: Double
        /// FLOPs of the unembedding of one token (2·H·V).
        var unembedFLOPs: Double
        /// Every stored weight byte (what a prefill must read at least once).
        var totalWeightBytes: Double
        /// Label of the weight dtypes ("bf16+mxfp4").
        var dtypes: String
        /// Matrix FLOPs per token through the layers by weight dtype: the dense matrices (attention, router) and the
        /// top-k experts (which run at about T·k/E rows per expert in a prefill of T tokens).
        var denseFLOPsPerToken: [DType: Double] = [:], expertFLOPsPerToken: [DType: Double] = [:]
        /// Dtype of the unembedding.
        var unembedDType: DType
        let config: ModelConfig

        init(model: GPTOSSModel) {
            let c = model.config, w = model.weights
            config = c
            let k = c.expertsPerToken
            var small = 4.0 * Double(c.hiddenSize)  // final norm
            var flops = 0.0, total = Double(w.embedding.storedBytes + w.unembedding.storedBytes) + small
            for l in w.layers {
                let a = l.attention, m = l.moe
                let biases = [a.qBias, a.kBias, a.vBias, a.outBias, m.routerBias].compactMap { $0 }.reduce(0) { $0 + $1.count }
                let expertBias = (m.gateUpBias.map { $0.count } ?? 0) + (m.downBias.map { $0.count } ?? 0)
                small += 4 * Double(a.norm.count + l.mlpNorm.count + a.sinks.count + biases)
                small += 4 * Double(k * expertBias / max(m.experts, 1))
                for mat in [a.q, a.k, a.v, a.out, m.router] {
                    flops += 2 * Double(mat.shape.count)
                    denseFLOPsPerToken[mat.dtype, default: 0] += 2 * Double(mat.shape.count)
                }
                for mat in [m.gateUp, m.down] {
                    let f = 2 * Double(k) * Double(mat.shape.count) / Double(max(m.experts, 1))
                    flops += f
                    expertFLOPsPerToken[mat.dtype, default: 0] += f
                }
                total += Double(a.q.storedBytes + a.k.storedBytes + a.v.storedBytes + a.out.storedBytes + m.router.storedBytes
                                + m.gateUp.storedBytes + m.down.storedBytes)
                total += 4 * Double(a.norm.count + l.mlpNorm.count + a.sinks.count + biases + expertBias)
            }
            decodeBytesPerToken = Double(w.activeBytesPerToken(expertsPerToken: k)) + small
            layerFLOPsPerToken = flops
            unembedFLOPs = 2 * Double(w.unembedding.shape.count)
            unembedDType = w.unembedding.dtype
            totalWeightBytes = total
            let names = Set([w.layers.first?.attention.q.dtype, w.layers.first?.moe.gateUp.dtype, w.unembedding.dtype]
                .compactMap { $0?.rawValue })
            dtypes = names.sorted().joined(separator: "+")
        }

        /// The kernels of a step of `rows` tokens (prefill chunks; 1 for decode) on `backend`, with the FLOPs each
        /// runs for `tokens` tokens in such steps plus `attention` FLOPs and one unembedding (the last position's).
        func shares(on backend: any Backend, rows: Int, tokens: Int, attention: Double) -> [KernelShare]? {
            guard let r = backend as? any InstructionClassReporting else { return nil }
            let n = Double(tokens), expertRows = max(1, rows * config.expertsPerToken / max(config.experts, 1))
            var out: [KernelShare] = []
            for (d, f) in denseFLOPsPerToken.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
                out.append(KernelShare(r.kernelClass(for: OpDescriptor(.linear, dtype: d), rows: rows), flops: f * n))
            }
            for (d, f) in expertFLOPsPerToken.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
                out.append(KernelShare(r.kernelClass(for: OpDescriptor(.moe, dtype: d), rows: expertRows), flops: f * n))
            }
            out.append(KernelShare(r.kernelClass(for: OpDescriptor(.attention), rows: rows), flops: attention))
            out.append(KernelShare(r.kernelClass(for: OpDescriptor(.linear, dtype: unembedDType), rows: 1),
                                   flops: unembedFLOPs))
            return out
        }

        /// Attention FLOPs of the token at position p summed over layers: heads × visible keys × (4·d + 5).
        func attentionFLOPs(position p: Int) -> Double {
            var s = 0.0
            for l in 0..<config.layers {
                let w = config.window(layer: l)
                let visible = w > 0 ? min(p + 1, w) : p + 1
                s += Double(config.heads * visible * (4 * config.headDim + 5))
            }
            return s
        }
    }

    /// Deterministic token ids (no tokenizer or sampler in the timed loop: those are timed apart).
    static func tokens(_ n: Int, vocab: Int, salt: Int) -> [Int32] {
        (0..<n).map { Int32((($0 + salt) &* 7919 &+ 13) % max(vocab, 1)) }
    }

    /// pp`n` for every n in `prompts`: prefill from an empty cache; one sample per rep.
    static func prefill(model: GPTOSSModel, cost: ModelCost, prompts: [Int], label: String, backend: String, threads: Int,
                        reps: Int, warmup: Int, ceiling: Ceiling, tier: MemoryTier, budget: Double) throws -> [BenchResult] {
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
                                   kernels: cost.shares(on: model.backend, rows: min(n, model.prefillChunk), tokens: n,
                                                        attention: attention),
                                   memoryTier: tier))
        }
        return out
    }

    /// tg`n` for every n in `gens`: decode n tokens from an empty cache; one sample per generated token.
    static func decode(model: GPTOSSModel, cost: ModelCost, gens: [Int], label: String, backend: String, threads: Int,
                       reps: Int, warmup: Int, ceiling: Ceiling, tier: MemoryTier, budget: Double) throws -> [BenchResult] {
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
                                   kernels: cost.shares(on: model.decodeBackend, rows: 1, tokens: 1, attention: attention),
                                   memoryTier: tier))
        }
        return out
    }
}
