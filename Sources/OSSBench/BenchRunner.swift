import BLASBackend
import Foundation
import OSSBackends
import OSSCore
import OSSFormats
import OSSModel

/// Runs a `BenchConfiguration`: roofline probes first, then the ops suite (each cell prepared once and timed on every
/// backend × thread count, plus the reference rows: the direct OpenBLAS call for f32 linear, the streaming read of the
/// weight bytes for T = 1 linear), then the e2e suite. Progress goes to stderr.
public final class BenchRunner {
    public let configuration: BenchConfiguration
    private let progress: BenchProgress
    private let machine: MachineBlock

    public init(configuration: BenchConfiguration, quiet: Bool = false) {
        self.configuration = configuration
        progress = BenchProgress(total: configuration.cellCount, quiet: quiet)
        machine = MachineBlock.collect()
    }

    /// Measures everything and returns the run (nothing is written here; see `ResultsDirectory`).
    public func run(command: [String]) throws -> BenchRun {
        let c = configuration
        progress.log(
            "roofline probes: instruction-class peaks and DRAM/L3/L2 read bandwidth (\(Figures.bytes(Double(c.dramProbeBytes)))) at threads \(c.threads.map(String.init).joined(separator: ","))…"
        )
        var roofline = try RooflineProbe.shared.measure(threads: c.threads, dramBytes: c.dramProbeBytes)
        logCeilings(roofline)
        var backends: [String: any Backend] = [:]
        func backend(_ kind: BackendKind, _ t: Int) throws -> any Backend {
            let key = "\(kind.rawValue)/\(t)"
            if let b = backends[key] { return b }
            let b = try kind.make(threads: t, profile: c.profile)
            backends[key] = b
            return b
        }
        // Idle libomp workers spin for KMP_BLOCKTIME (200 ms by default) after a BLAS-backend call (and after the
        // roofline probes, which just ran on the same team) and would take a core from the next cell if it runs on
        // another runtime: put them to sleep whenever the runtime changes from ours; other runtimes' workers (OpenBLAS
        // threads of the cblas rows) get time to go to sleep.
        let quietThreads = c.threads.max() ?? 1
        var lastRuntime = BackendKind.blas.rawValue
        func settle(_ runtime: String) {
            guard runtime != lastRuntime else { return }
            if lastRuntime == BackendKind.blas.rawValue {
                BLASBackend.quietIdleWorkers(threads: quietThreads)
            } else {
                usleep(250_000)
            }
            lastRuntime = runtime
        }
        var results: [BenchResult] = []
        if c.suites.contains(.ops) {
            for spec in c.opSpecs {
                let prepared = try OpsSuite.prepare(spec, cacheBytes: machine.l3Bytes)
                for kind in c.backends {
                    for t in c.threads {
                        guard let ceiling = roofline.ceiling(threads: t) else { continue }
                        let b = try backend(kind, t)
                        settle(kind.rawValue)
                        progress.begin("\(spec) \(kind.rawValue) \(t)t")
                        // T = 1 linear: a streaming read of another weight copy right before each rep, timed on
                        // its own, gives the paired `readRatio` (half the cycle away, so neither warms the other).
                        let read = c.includeDirect ? prepared.reference(OpReference.readName) : nil
                        var readNs: [Double] = []
                        readNs.reserveCapacity(c.reps)
                        let prelude: ((Int) throws -> Void)? = read.map { read in
                            { i in
                                let t0 = Timing.nowNs()
                                try read.run(t, i + read.copies / 2)
                                readNs.append(Double(Timing.nowNs() - t0))
                                // the read ran on our libomp team: a cell on another runtime needs the cores now
                                if kind != .blas { BLASBackend.quietIdleWorkers(threads: quietThreads) }
                            }
                        }
                        let samples = try measure(spec, backend: kind.rawValue, prelude: prelude) { i in
                            try prepared.body(b, i)
                        }
                        var cell = result(
                            prepared, backend: kind.rawValue, threads: t, samples: samples,
                            cost: prepared.cost, ceiling: ceiling,
                            kernels: (b as? any InstructionClassReporting).map(prepared.shares))
                        if read != nil { cell.readRatio = Self.pairedRatio(readNs, samples) }
                        results.append(cell)
                        progress.end()
                    }
                }
                // Reference rows (`--no-direct` leaves them out) right after the cells of the same spec, once per
                // thread count: same weights, same copy per rep, same `measure` and settle logic as the cells. The
                // `read` row is the same-run, seconds-apart yardstick of the T = 1 linear cells (`vs read` in the
                // markdown), so the ratio holds even when the machine's bandwidth drifts between the roofline probe
                // and the cell; cells and their read rows are at most one spec's timing apart.
                for reference in c.includeDirect ? prepared.references : [] {
                    for t in c.threads {
                        guard let ceiling = roofline.ceiling(threads: t) else { continue }
                        settle(reference.runtime)
                        progress.begin("\(spec) \(reference.name) \(t)t")
                        let samples = try measure(spec, backend: reference.name) { i in try reference.run(t, i) }
                        results.append(
                            result(
                                prepared, backend: reference.name, threads: t, samples: samples,
                                cost: reference.cost, ceiling: ceiling, workingSet: reference.workingSet,
                                kernels: reference.kernel.map { [KernelShare($0, flops: reference.cost.flops)] }))
                        progress.end()
                    }
                }
            }
        }
        if c.suites.contains(.e2e) {
            results += try runE2E(roofline: roofline, backend: backend, settle: settle)
        }
        // Probe again and keep the better figures: load from other processes during the first probe would otherwise
        // understate the ceilings. Results are re-derived against the final ceilings.
        progress.log("roofline probes again (the better of the two is kept)…")
        roofline = try RooflineProbe.shared.measure(threads: c.threads, dramBytes: c.dramProbeBytes, refresh: true)
        roofline = RooflineProbe.raisingDRAM(roofline, toReadsIn: results)
        logCeilings(roofline)
        results = results.map { r in
            guard let ceiling = roofline.ceiling(threads: r.threads) else { return r }
            return r.rescored(under: ceiling)
        }
        for line in MarkdownReporter.overCeiling(results) {
            progress.log("warning: above 105% of its ceiling (a wrong ceiling or count?): \(line)")
        }
        progress.finish()
        let header = RunHeader(
            runID: ResultsDirectory.runID(machine: machine), machine: machine, roofline: roofline,
            command: command)
        return BenchRun(header: header, results: results)
    }

    /// The e2e block: the cold start once (if asked), then per round every backend × thread count at every depth,
    /// then the peer on the same weights.
    private func runE2E(
        roofline: Roofline, backend: (BackendKind, Int) throws -> any Backend,
        settle: (String) -> Void
    ) throws -> [BenchResult] {
        let c = configuration
        let (url, label) = try E2ESuite.resolveModel(c.model) { self.progress.log($0) }
        let longest = max(c.prompts.max() ?? 1, c.gens.max() ?? 1)
        let context = (c.depths.max() ?? 0) + longest + 1
        // Rewinding to the depth after each rep needs sliding layers to keep `longest` more ring rows.
        // Prompts run in one step each; a depth is filled in steps of at least 512 rows (not of a short prompt's).
        let chunk = min(max(c.prompts.max() ?? 512, (c.depths.max() ?? 0) > 0 ? 512 : 1), 2048)
        func load(_ b: any Backend, residency: WeightResidency, stored: Bool = false) throws -> LoadedModel {
            let options = ModelLoadOptions(
                backend: b, contextLength: context,
                prefillChunk: chunk,
                rewindRows: longest, residency: residency,
                requantize: stored ? nil : c.requantize, kvCache: c.kvCache)
            do { return try ModelLoader.load(path: url.path, options: options) } catch let e as BenchError {
                throw e
            } catch {
                throw BenchError.model("cannot load \(url.path): \(error)")
            }
        }
        var results: [BenchResult] = []
        var storedFootprint: ModelFootprint?  // the peer's, with --requant
        var cold = c.coldStart
        for round in 1...max(1, c.rounds) {
            var lastCost: ModelFootprint?
            // held through our cells only: a peer loads its own copy of the weights
            var pairedRead: PairedRead? = c.gens.isEmpty ? nil : try PairedRead(bytes: c.dramProbeBytes)
            if let share = pairedRead?.hugePageFraction {
                progress.log(
                    "paired read: \(Figures.percent(share)) of its \(Figures.bytes(Double(c.dramProbeBytes))) on 2 MiB pages"
                )
            }
            for kind in c.backends {
                for t in c.threads {
                    guard let ceiling = roofline.ceiling(threads: t) else { continue }
                    settle(kind.rawValue)
                    progress.begin(
                        "e2e \(label) pp\(c.prompts.map(String.init).joined(separator: ",")) "
                            + "tg\(c.gens.map(String.init).joined(separator: ","))"
                            + (c.depths == [0] ? "" : " d\(c.depths.map(String.init).joined(separator: ","))")
                            + " \(kind.rawValue) \(t)t" + (c.rounds > 1 ? " round \(round)" : ""))
                    let profiler = ProfilingBackend(try backend(kind, t))
                    var startup: [BenchResult] = []
                    var model: LoadedModel
                    if cold {
                        cold = false
                        (model, startup) = try coldStart(
                            load: { try load(profiler, residency: .mmap) }, url: url,
                            label: label, backend: kind.rawValue, threads: t,
                            ceiling: ceiling)
                        if c.residency.copies || c.residency == .mlock {
                            model = try timedLoad(
                                into: &startup, residency: c.residency, label: label,
                                backend: kind.rawValue, threads: t, ceiling: ceiling
                            ) {
                                try load(profiler, residency: c.residency)
                            }
                        }
                    } else {
                        model = try load(profiler, residency: c.residency)
                    }
                    let cost = model.footprint
                    lastCost = cost
                    let weightTier = tier(cost.totalWeightBytes, t)
                    var rows = startup
                    for depth in c.depths {
                        rows += try E2ESuite.prefill(
                            loaded: model, profiler: profiler, prompts: c.prompts,
                            depth: depth, label: label, backend: kind.rawValue, threads: t,
                            reps: c.e2eReps, warmup: c.warmup, ceiling: ceiling,
                            tier: weightTier, budget: 4 * c.cellBudgetSeconds)
                        rows += try E2ESuite.decode(
                            loaded: model, profiler: profiler, gens: c.gens,
                            depth: depth, label: label, backend: kind.rawValue, threads: t,
                            reps: c.e2eReps, warmup: c.warmup, ceiling: ceiling,
                            tier: weightTier, budget: 4 * c.cellBudgetSeconds,
                            pairedRead: pairedRead)
                    }
                    if c.rounds > 1 { for i in rows.indices { rows[i].round = round } }
                    results += rows
                    progress.end()
                }
            }
            pairedRead = nil
            if let peer = c.peer, var cost = lastCost {
                // The peer reads the weights as stored (its GGUF form): with --requant our footprint is not its own
                // (measured once: a mapped load of the stored weights).
                if c.requantize != nil, let kind = c.backends.first {
                    if storedFootprint == nil {
                        storedFootprint = try load(try backend(kind, 1), residency: .mmap, stored: true).footprint
                    }
                    cost = storedFootprint ?? cost
                }
                settle("peer")
                progress.begin(
                    "e2e \(label) peer \(PeerBenchmark.llamaCppName)" + (c.rounds > 1 ? " round \(round)" : ""))
                func peerRows(prompts: [Int], gens: [Int], threads: [Int]) throws -> [BenchResult] {
                    try peer.run(
                        prompts: prompts, gens: gens, depths: c.depths, threads: threads, reps: c.e2eReps,
                        label: label, cost: cost, tier: tier(cost.totalWeightBytes, c.threads.max() ?? 1),
                        ceiling: { roofline.ceiling(threads: $0) }, round: round
                    ) { self.progress.log($0) }
                }
                // The round's first peer run starts from a dropped page cache too when ours did.
                if round == 1 && c.coldStart { WeightResidency.evictFromPageCache([peer.model]) }
                // Decode first, in a run per thread count (-p 0) from the most threads down, so each stands as near
                // in time to our decode at that count as the order allows (this VM's bandwidth moves within
                // minutes; a 20b pp512 takes the peer minutes), between two paired reads; then prefill in one
                // llama-bench run (-n 0).
                var decodeRows: [BenchResult] = []
                for t in c.gens.isEmpty ? [] : c.threads.sorted(by: >) {
                    let before = try readsAround(threads: [t])
                    var rows = try peerRows(prompts: [0], gens: c.gens, threads: [t])
                    let after = try readsAround(threads: [t])
                    for i in rows.indices where rows[i].op == "decode" {
                        guard let b = before[t], let a = after[t] else { continue }
                        let read = (a + b) / 2
                        rows[i].pairedReadGBps = read
                        rows[i].readRatio = rows[i].gbps / read
                    }
                    decodeRows = rows + decodeRows
                }
                if !c.prompts.isEmpty { results += try peerRows(prompts: c.prompts, gens: [0], threads: c.threads) }
                results += decodeRows  // recorded as ours are: prefill, then decode by thread count
                progress.end()
            }
        }
        return results
    }

    /// The cold start: drops the model's files from the page cache, then times the load (mapped), the first prompt
    /// on the cold mapping (its page faults included) and the prefault of every remaining page, as rows of their own.
    private func coldStart(
        load: () throws -> LoadedModel, url: URL, label: String, backend: String, threads: Int,
        ceiling: Ceiling
    ) throws -> (LoadedModel, [BenchResult]) {
        let c = configuration
        let files =
            url.hasDirectoryPath || (try? url.resourceValues(forKeys: [.isDirectoryKey]).isDirectory) == true
            ? ((try? FileManager.default.contentsOfDirectory(at: url, includingPropertiesForKeys: nil)) ?? [])
                .filter { $0.pathExtension == "safetensors" }
            : [url]
        WeightResidency.evictFromPageCache(files)
        var rows: [BenchResult] = []
        let loaded = try timedLoad(
            into: &rows, residency: .mmap, label: label, backend: backend, threads: threads,
            ceiling: ceiling, load)
        // every shard of a split GGUF model, now that the loader found them
        WeightResidency.evictFromPageCache((loaded.weightFiles?.weightFiles ?? []).filter { !files.contains($0) })
        let model = loaded.model
        let cost = loaded.footprint
        let before = loaded.weightFiles?.residentWeightFraction
        let hugeBefore = loaded.weightFiles?.hugePageWeightFraction
        let n = c.prompts.first ?? 1
        let ids = E2ESuite.tokens(n, vocab: model.vocabSize, salt: n)
        let t0 = Timing.nowNs()
        _ = try model.prefill(ids)
        let first = Double(Timing.nowNs() - t0)
        var coldRow = E2ESuite.startupRow(
            test: "cold-pp\(n)", op: "prefill", ns: first, label: label,
            detail: "p=\(n) cold", backend: backend, threads: threads, cost: cost,
            ceiling: ceiling, tokens: n)
        coldRow.residentFraction = before
        coldRow.hugePageFraction = hugeBefore
        rows.append(coldRow)
        let residentBefore = loaded.weightFiles?.residentWeightFraction ?? 0
        let t1 = Timing.nowNs()
        loaded.weightFiles?.prefaultWeights()
        let ns = Double(Timing.nowNs() - t1)
        let residentAfter = loaded.weightFiles?.residentWeightFraction
        // the pages it brought in (mapping the resident ones moves no bytes)
        let brought = max(0, (residentAfter ?? residentBefore) - residentBefore) * cost.totalWeightBytes
        var prefault = E2ESuite.startupRow(
            test: "prefault", op: "prefault", ns: ns, label: label,
            detail: "after the cold prompt", backend: backend, threads: threads,
            cost: cost, ceiling: ceiling, bytes: brought)
        prefault.residentFraction = residentAfter
        prefault.hugePageFraction = loaded.weightFiles?.hugePageWeightFraction
        rows.append(prefault)
        progress.log(
            "cold start: load \(Figures.duration(ns: rows[0].stats.median)), first pp\(n) "
                + "\(Figures.duration(ns: first)) with \(before.map(Figures.percent) ?? "?") of the weights "
                + "resident, prefault \(Figures.duration(ns: prefault.stats.median))")
        return (loaded, rows)
    }

    /// The median of three paired reads at each thread count (for a peer's decode rows: taken just before and just
    /// after its run, the buffer freed in between so the peer has the memory).
    private func readsAround(threads: [Int]) throws -> [Int: Double] {
        guard !configuration.gens.isEmpty else { return [:] }
        let read = try PairedRead(bytes: configuration.dramProbeBytes)
        if let share = read.hugePageFraction, share < 1 {
            progress.log("peer's paired read: \(Figures.percent(share)) of its buffer on 2 MiB pages")
        }
        var out: [Int: Double] = [:]
        for t in threads { out[t] = try read.medianGBps(threads: t, count: 3) }
        BLASBackend.quietIdleWorkers(threads: threads.max() ?? 1)  // the peer runs next, or ours after a settle
        return out
    }

    /// Times `load` and appends a `load` row naming the residency.
    private func timedLoad(
        into rows: inout [BenchResult], residency: WeightResidency, label: String, backend: String,
        threads: Int, ceiling: Ceiling, _ load: () throws -> LoadedModel
    ) throws -> LoadedModel {
        let t0 = Timing.nowNs()
        let model = try load()
        let ns = Double(Timing.nowNs() - t0)
        // a copy moves every weight byte; a mapping moves none itself (pages it faults in come from the page cache or
        // the disk, not as a read stream)
        var row = E2ESuite.startupRow(
            test: "load", op: "load", ns: ns, label: label, detail: residency.rawValue,
            backend: backend, threads: threads, cost: model.footprint, ceiling: ceiling,
            bytes: residency.copies ? model.footprint.totalWeightBytes : 0)
        row.residentFraction = model.weightFiles?.residentWeightFraction
        row.hugePageFraction = model.weightFiles?.hugePageWeightFraction
        rows.append(row)
        return model
    }

    private func logCeilings(_ roofline: Roofline) {
        for ce in roofline.ceilings {
            let peaks = roofline.instructionClasses.compactMap { c in ce.peak(c).map { "\(c) \(Figures.number($0))" } }
            let reads = roofline.memoryTiers.compactMap { t in
                ce.bandwidth(t).map { "\(t.rawValue) \(Figures.number($0))" }
            }
            progress.log(
                "  \(ce.threads) thread(s): GOP/s \(peaks.joined(separator: ", ")); read GB/s "
                    + reads.joined(separator: ", "))
        }
    }

    /// Median of `reference[i] / samples[i]` over the reps both have (nil when none).
    static func pairedRatio(_ reference: [Double], _ samples: [Double]) -> Double? {
        let ratios = zip(reference, samples).filter { $0.1 > 0 }.map { $0.0 / $0.1 }
        return ratios.isEmpty ? nil : SampleStatistics(ratios).median
    }

    private func measure(
        _ spec: OpSpec, backend: String, prelude: ((Int) throws -> Void)? = nil,
        _ body: (Int) throws -> Void
    ) throws -> [Double] {
        do {
            return try Timing.measure(
                warmup: configuration.warmup, reps: configuration.reps,
                budgetSeconds: configuration.cellBudgetSeconds, prelude: prelude, body)
        } catch let e as BenchError { throw e } catch {
            throw BenchError.measurement(cell: "\(spec) on \(backend)", reason: "\(error)")
        }
    }

    private func result(
        _ p: OpCase, backend: String, threads: Int, samples: [Double], cost: OpCost, ceiling: Ceiling,
        workingSet: Double? = nil, kernels: [KernelShare]?
    ) -> BenchResult {
        let ws = workingSet ?? p.workingSet
        return BenchResult(
            suite: .ops, test: p.spec.test, op: p.op.rawValue, backend: backend, threads: threads,
            dtype: p.spec.dtype?.rawValue ?? "-", shape: p.shape, m: p.m, n: p.n, k: p.k,
            reps: samples.count, warmup: configuration.warmup, samplesNs: samples, cost: cost,
            ceiling: ceiling, workingSetBytes: ws, kernels: kernels, memoryTier: tier(ws, threads))
    }

    /// The memory tier of a working set at `threads` threads on this machine.
    func tier(_ workingSet: Double, _ threads: Int) -> MemoryTier {
        MemoryTier.of(workingSet: workingSet, threads: threads, l2Bytes: machine.l2Bytes ?? 0, l3Bytes: machine.l3Bytes)
    }
}
