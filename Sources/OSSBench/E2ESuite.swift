import BLASBackend
import Foundation
import OSSBackends
import OSSCore
import OSSModel

/// The end-to-end suite: prefill (pp) and decode (tg) of a whole model, llama-bench style.
public enum E2ESuite {
    /// Where built-in presets are generated once: `$SWIFTOSS_MODELS/<preset>` or `~/.cache/swiftoss/models/<preset>`.
    public static func cacheDirectory(for preset: SyntheticPreset) -> URL {
        let env = ProcessInfo.processInfo.environment["SWIFTOSS_MODELS"]
        let root =
            env.map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/swiftoss/models")
        return root.appendingPathComponent(preset.rawValue)
    }

    /// Resolves `--model`: a preset name (`tiny`, `mini`, `20b`; generated into the cache directory on first use,
    /// logging to `log`), a checkpoint directory or a GGUF file.
    public static func resolveModel(_ name: String, log: (String) -> Void) throws -> (url: URL, label: String) {
        if let preset = SyntheticPreset(rawValue: name.lowercased()) {
            let dir = cacheDirectory(for: preset)
            if !FileManager.default.fileExists(atPath: dir.appendingPathComponent("config.json").path) {
                let tmp = dir.deletingLastPathComponent().appendingPathComponent(
                    ".\(preset.rawValue).partial-\(getpid())")
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
        guard FileManager.default.fileExists(atPath: name, isDirectory: &isDir) else {
            throw BenchError.model(
                "'\(name)' is neither a preset (\(SyntheticPreset.allCases.map(\.rawValue).joined(separator: ", "))), a checkpoint directory nor a GGUF file"
            )
        }
        let url = URL(fileURLWithPath: name)
        // a GGUF file (a split model by any shard) is labelled by its name without the extension
        return (url, isDir.boolValue ? url.lastPathComponent : url.deletingPathExtension().lastPathComponent)
    }

    /// The GGUF form of `--model` for a peer: the file itself for a GGUF model; for a preset, `<preset>.gguf` next to
    /// its checkpoint, written once from the same seeded weights (`SyntheticModel.writeGGUF`); for a checkpoint
    /// directory, a `*.gguf` file inside it. nil when there is none.
    public static func ggufForm(of model: String, log: (String) -> Void) throws -> URL? {
        if let preset = SyntheticPreset(rawValue: model.lowercased()) {
            let url = cacheDirectory(for: preset).deletingLastPathComponent().appendingPathComponent(
                "\(preset.rawValue).gguf")
            if !FileManager.default.fileExists(atPath: url.path) {
                log("writing the GGUF form of the '\(preset.rawValue)' preset to \(url.path) (once)…")
                let tmp = url.deletingLastPathComponent().appendingPathComponent(
                    ".\(preset.rawValue).gguf.partial-\(getpid())")
                do {
                    try FileManager.default.createDirectory(
                        at: url.deletingLastPathComponent(),
                        withIntermediateDirectories: true)
                    try SyntheticModel.writeGGUF(preset, to: tmp)
                    try FileManager.default.moveItem(at: tmp, to: url)
                } catch {
                    try? FileManager.default.removeItem(at: tmp)
                    throw BenchError.model(
                        "cannot write the GGUF form of '\(preset.rawValue)' to \(url.path): \(error)")
                }
            }
            return url
        }
        let url = URL(fileURLWithPath: model)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: model, isDirectory: &isDirectory) else { return nil }
        guard isDirectory.boolValue else { return url }
        let files = (try? FileManager.default.contentsOfDirectory(at: url, includingPropertiesForKeys: nil)) ?? []
        return files.filter { $0.pathExtension == "gguf" }.sorted { $0.path < $1.path }.first
    }

    /// Deterministic token ids (no tokenizer or sampler in the timed loop: those are timed apart).
    static func tokens(_ n: Int, vocab: Int, salt: Int) -> [Int32] {
        (0..<n).map { Int32((($0 + salt) &* 7919 &+ 13) % max(vocab, 1)) }
    }

    /// Test name at a context depth: `pp512`, `tg128@d4096` (llama-bench writes `pp512 @ d4096`).
    static func testName(_ base: String, depth: Int) -> String { depth > 0 ? "\(base)@d\(depth)" : base }

    /// Brings the model to `depth` cached tokens once (untimed): reset, then a prefill of `depth` tokens. Each rep
    /// then rewinds to `depth` (`truncate(to:)`, exact), so the context is filled once per test, not per rep.
    static func fillContext(_ model: any LanguageModel, depth: Int) throws {
        model.reset()
        if depth > 0 { _ = try model.prefill(tokens(depth, vocab: model.vocabSize, salt: 3)) }
    }

    /// What one profiled rep shows: each op kind's share of the time inside ops, the share of the rep's wall time
    /// spent inside ops at all (the rest is the model's own code between them), and the GB/s at which each kind
    /// streamed its weights.
    struct OpProfile {
        var shares: [String: Double]
        var coverage: Double?
        var weightGBps: [String: Double]

        func apply(to r: inout BenchResult) {
            r.opShares = shares
            r.opCoverage = coverage
            r.opWeightGBps = weightGBps.isEmpty ? nil : weightGBps
        }
    }

    /// Runs `rep` once more with the profiler recording and returns what it recorded.
    static func profile(_ profiler: ProfilingBackend?, _ rep: () throws -> Void) rethrows -> OpProfile? {
        guard let profiler else { return nil }
        profiler.resetProfile()
        profiler.recording = true
        defer { profiler.recording = false }
        let t0 = Timing.nowNs()
        try rep()
        let wall = Double(Timing.nowNs() - t0)
        return OpProfile(
            shares: profiler.shares, coverage: wall > 0 ? min(1, profiler.opNanoseconds / wall) : nil,
            weightGBps: profiler.weightGBps)
    }

    /// pp`n`(@d`depth`) for every n in `prompts`: prefill of n tokens after `depth` cached ones; one sample per rep.
    static func prefill(
        loaded: LoadedModel, profiler: ProfilingBackend?, prompts: [Int], depth: Int,
        label: String, backend: String, threads: Int, reps: Int, warmup: Int, ceiling: Ceiling,
        tier: MemoryTier, budget: Double
    ) throws -> [BenchResult] {
        let model = loaded.model
        let cost = loaded.footprint
        var out: [BenchResult] = []
        try fillContext(model, depth: depth)
        let resident = loaded.weightFiles?.residentWeightFraction
        let huge = loaded.weightFiles?.hugePageWeightFraction
        for n in prompts {
            let ids = tokens(n, vocab: model.vocabSize, salt: n)
            let rep = {
                try model.truncate(to: depth)
                _ = try model.prefill(ids)
            }
            let samples = try Timing.measure(warmup: warmup, reps: reps, budgetSeconds: budget) { _ in try rep() }
            let shares = try profile(profiler, rep)
            let attention = cost.attentionFLOPs(from: depth, count: n)
            let c = cost.prefillCost(tokens: n, depth: depth)
            let s = SampleStatistics(samples)
            var r = BenchResult(
                suite: .e2e, test: testName("pp\(n)", depth: depth), op: "prefill", backend: backend,
                threads: threads, dtype: cost.dtypes,
                shape: "\(label) p=\(n)" + (depth > 0 ? " d=\(depth)" : ""), m: n, n: 0, k: 0,
                reps: samples.count, warmup: warmup, samplesNs: samples, cost: c, ceiling: ceiling,
                workingSetBytes: cost.totalWeightBytes, tokensPerRep: n, ttftNs: s.median,
                bound: .compute,
                kernels: cost.shares(
                    on: loaded.backend, rows: min(n, loaded.prefillChunk), tokens: n,
                    attention: attention),
                memoryTier: tier)
            r.depth = depth > 0 ? depth : nil
            shares?.apply(to: &r)
            r.residentFraction = resident
            r.hugePageFraction = huge
            out.append(r)
        }
        return out
    }

    /// tg`n`(@d`depth`) for every n in `gens`: decode n tokens after `depth` cached ones; one sample per generated
    /// token. With `pairedRead`, each timed rep follows one read of it on the same threads, and the row's `readRatio`
    /// is the median over reps of (the rep's weight GB/s ÷ that read's GB/s).
    static func decode(
        loaded: LoadedModel, profiler: ProfilingBackend?, gens: [Int], depth: Int,
        label: String, backend: String, threads: Int, reps: Int, warmup: Int, ceiling: Ceiling,
        tier: MemoryTier, budget: Double, pairedRead: PairedRead? = nil
    ) throws -> [BenchResult] {
        let model = loaded.model
        let cost = loaded.footprint
        var out: [BenchResult] = []
        try fillContext(model, depth: depth)
        let resident = loaded.weightFiles?.residentWeightFraction
        let huge = loaded.weightFiles?.hugePageWeightFraction
        for n in gens {
            let ids = tokens(n, vocab: model.vocabSize, salt: 7)
            var samples: [Double] = []
            samples.reserveCapacity(n * reps)
            var reads: [Double] = []
            let start = Timing.nowNs()
            for rep in 0..<(warmup + reps) {
                try model.truncate(to: depth)
                if rep >= warmup, let pairedRead {
                    reads.append(try pairedRead.gbps(threads: threads))
                    // the read ran on our libomp team: a backend on another runtime needs the cores now
                    if backend != BackendKind.blas.rawValue { BLASBackend.quietIdleWorkers(threads: threads) }
                }
                for id in ids {
                    let t0 = Timing.nowNs()
                    _ = try model.decode(id)
                    if rep >= warmup { samples.append(Double(Timing.nowNs() - t0)) }
                }
                if rep >= warmup, Double(Timing.nowNs() - start) / 1e9 > budget { break }
            }
            let shares = try profile(profiler) {
                try model.truncate(to: depth)
                for id in ids { _ = try model.decode(id) }
            }
            let attention = cost.attentionFLOPs(from: depth, count: n) / Double(n)
            let c = cost.decodeCost(tokens: n, depth: depth)
            var r = BenchResult(
                suite: .e2e, test: testName("tg\(n)", depth: depth), op: "decode", backend: backend,
                threads: threads, dtype: cost.dtypes,
                shape: "\(label) g=\(n)" + (depth > 0 ? " d=\(depth)" : ""), m: n, n: 0, k: 0,
                reps: samples.count / max(n, 1), warmup: warmup, samplesNs: samples, cost: c,
                ceiling: ceiling, workingSetBytes: cost.totalWeightBytes, tokensPerRep: 1,
                bound: .memory,
                kernels: cost.shares(on: loaded.decodeBackend, rows: 1, tokens: 1, attention: attention),
                memoryTier: tier)
            r.depth = depth > 0 ? depth : nil
            shares?.apply(to: &r)
            r.residentFraction = resident
            r.hugePageFraction = huge
            if !reads.isEmpty {
                // rep GB/s = bytes per token × n / rep time (its n samples); read GB/s as measured just before the rep
                let repBytes = c.bytes * Double(n)
                let repNs = stride(from: 0, to: samples.count, by: max(n, 1)).map {
                    samples[$0..<min($0 + max(n, 1), samples.count)].reduce(0, +)
                }
                var ratios: [Double] = []
                for (read, ns) in zip(reads, repNs) where read > 0 && ns > 0 { ratios.append(repBytes / ns / read) }
                r.readRatio = ratios.isEmpty ? nil : SampleStatistics(ratios).median
                r.pairedReadGBps = SampleStatistics(reads).median
            }
            out.append(r)
        }
        return out
    }

    /// A one-sample row of the load / cold-start block: `test` (`load`, `prefault`, `cold-pp512`) timed once.
    /// `bytes`: the weight bytes the step moves through memory (default all of them, as a prompt reads every weight);
    /// a load that maps the files moves none itself, a prefault only the pages it brings in.
    static func startupRow(
        test: String, op: String, ns: Double, label: String, detail: String, backend: String,
        threads: Int, cost: ModelFootprint, ceiling: Ceiling, tokens: Int? = nil,
        bytes: Double? = nil
    ) -> BenchResult {
        BenchResult(
            suite: .e2e, test: test, op: op, backend: backend, threads: threads, dtype: cost.dtypes,
            shape: "\(label) \(detail)", m: tokens ?? 0, n: 0, k: 0, reps: 1, warmup: 0, samplesNs: [ns],
            cost: OpCost(flops: 0, bytes: bytes ?? cost.totalWeightBytes), ceiling: ceiling,
            workingSetBytes: cost.totalWeightBytes, tokensPerRep: tokens, ttftNs: tokens.map { _ in ns },
            bound: .memory, memoryTier: .dram)
    }
}

extension ModelFootprint {
    /// The kernels of a step of `rows` tokens (prefill chunks; 1 for decode) on `backend`, with the FLOPs each
    /// runs for `tokens` tokens in such steps plus `attention` FLOPs and one unembedding (the last position's).
    func shares(on backend: any Backend, rows: Int, tokens: Int, attention: Double) -> [KernelShare]? {
        guard let r = backend as? any InstructionClassReporting else { return nil }
        let n = Double(tokens)
        let expertRows = max(1, rows * expertsPerToken / max(experts, 1))
        var out: [KernelShare] = []
        for (d, f) in denseFLOPsPerToken.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            out.append(KernelShare(r.kernelClass(for: OpDescriptor(.linear, dtype: d), rows: rows), flops: f * n))
        }
        for (d, f) in expertFLOPsPerToken.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            out.append(KernelShare(r.kernelClass(for: OpDescriptor(.moe, dtype: d), rows: expertRows), flops: f * n))
        }
        out.append(KernelShare(r.kernelClass(for: OpDescriptor(.attention), rows: rows), flops: attention))
        out.append(
            KernelShare(r.kernelClass(for: OpDescriptor(.linear, dtype: unembedDType), rows: 1), flops: unembedFLOPs))
        return out
    }

    /// Counted FLOPs and bytes of a prefill of n tokens after `depth` cached ones (every weight read once).
    func prefillCost(tokens n: Int, depth: Int) -> OpCost {
        OpCost(
            flops: Double(n) * layerFLOPsPerToken + attentionFLOPs(from: depth, count: n) + unembedFLOPs,
            bytes: totalWeightBytes)
    }

    /// Counted FLOPs and bytes of one decoded token, averaged over n tokens after `depth` cached ones.
    func decodeCost(tokens n: Int, depth: Int) -> OpCost {
        OpCost(
            flops: layerFLOPsPerToken + unembedFLOPs + attentionFLOPs(from: depth, count: n) / Double(max(n, 1)),
            bytes: decodeBytesPerToken)
    }

    /// Attention FLOPs of positions `from..<from+count`.
    func attentionFLOPs(from p0: Int, count: Int) -> Double {
        (p0..<(p0 + count)).reduce(0.0) { $0 + attentionFLOPs(position: $1) }
    }
}
