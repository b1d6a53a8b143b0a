import Foundation
import OSSBackends
import OSSCore
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
        progress.log("roofline probes: instruction-class peaks and DRAM/L3/L2 read bandwidth (\(Figures.bytes(Double(c.dramProbeBytes)))) at threads \(c.threads.map(String.init).joined(separator: ","))…")
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
        // Idle libomp workers spin for KMP_BLOCKTIME (200 ms by default) after a BLAS-backend call and would take a
        // core from the next cell if it runs on another runtime; let them go to sleep whenever the runtime changes.
        var lastRuntime: String?
        func settle(_ runtime: String) {
            if let last = lastRuntime, last != runtime { usleep(250_000) }
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
                            }
                        }
                        let samples = try measure(spec, backend: kind.rawValue, prelude: prelude) { i in
                            try prepared.body(b, i)
                        }
                        var cell = result(prepared, backend: kind.rawValue, threads: t, samples: samples,
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
                        results.append(result(prepared, backend: reference.name, threads: t, samples: samples,
                                              cost: reference.cost, ceiling: ceiling, workingSet: reference.workingSet,
                                              kernels: reference.kernel.map { [KernelShare($0, flops: reference.cost.flops)] }))
                        progress.end()
                    }
                }
            }
        }
        if c.suites.contains(.e2e) {
            let (url, label) = try E2ESuite.resolveModel(c.model) { self.progress.log($0) }
            let context = max(c.prompts.max() ?? 1, c.gens.max() ?? 1) + 1
            for kind in c.backends {
                for t in c.threads {
                    guard let ceiling = roofline.ceiling(threads: t) else { continue }
                    settle(kind.rawValue)
                    progress.begin("e2e \(label) pp\(c.prompts.map(String.init).joined(separator: ",")) "
                                   + "tg\(c.gens.map(String.init).joined(separator: ",")) \(kind.rawValue) \(t)t")
                    let model: GPTOSSModel
                    do {
                        model = try GPTOSSModel.load(directory: url, backend: try backend(kind, t), contextLength: context,
                                                     prefillChunk: min(max(c.prompts.max() ?? 512, 1), 2048))
                    } catch let e as BenchError { throw e } catch {
                        throw BenchError.model("cannot load \(url.path): \(error)")
                    }
                    let cost = E2ESuite.ModelCost(model: model)
                    let weightTier = tier(cost.totalWeightBytes, t)
                    results += try E2ESuite.prefill(model: model, cost: cost, prompts: c.prompts, label: label,
                                                    backend: kind.rawValue, threads: t, reps: c.e2eReps, warmup: c.warmup,
                                                    ceiling: ceiling, tier: weightTier, budget: 4 * c.cellBudgetSeconds)
                    results += try E2ESuite.decode(model: model, cost: cost, gens: c.gens, label: label,
                                                   backend: kind.rawValue, threads: t, reps: c.e2eReps, warmup: c.warmup,
                                                   ceiling: ceiling, tier: weightTier, budget: 4 * c.cellBudgetSeconds)
                    progress.end()
                }
            }
        }
        // Probe again and keep the better figures: load from other processes during the first probe would otherwise
        // understate the ceilings. Results are re-derived against the final ceilings.
        progress.log("roofline probes again (the better of the two is kept)…")
        roofline = try RooflineProbe.shared.measure(threads: c.threads, dramBytes: c.dramProbeBytes, refresh: true)
        logCeilings(roofline)
        results = results.map { r in
            guard let ceiling = roofline.ceiling(threads: r.threads) else { return r }
            return r.rescored(under: ceiling)
        }
        for line in MarkdownReporter.overCeiling(results) {
            progress.log("warning: above 105% of its ceiling (a wrong ceiling or count?): \(line)")
        }
        progress.finish()
        let header = RunHeader(runID: ResultsDirectory.runID(machine: machine), machine: machine, roofline: roofline,
                               command: command)
        return BenchRun(header: header, results: results)
    }

    private func logCeilings(_ roofline: Roofline) {
        for ce in roofline.ceilings {
            let peaks = roofline.instructionClasses.compactMap { c in ce.peak(c).map { "\(c) \(Figures.number($0))" } }
            let reads = roofline.memoryTiers.compactMap { t in ce.bandwidth(t).map { "\(t.rawValue) \(Figures.number($0))" } }
            progress.log("  \(ce.threads) thread(s): GOP/s \(peaks.joined(separator: ", ")); read GB/s "
                         + reads.joined(separator: ", "))
        }
    }

    /// Median of `reference[i] / samples[i]` over the reps both have (nil when none).
    static func pairedRatio(_ reference: [Double], _ samples: [Double]) -> Double? {
        let ratios = zip(reference, samples).filter { $0.1 > 0 }.map { $0.0 / $0.1 }
        return ratios.isEmpty ? nil : SampleStatistics(ratios).median
    }

    private func measure(_ spec: OpSpec, backend: String, prelude: ((Int) throws -> Void)? = nil,
                         _ body: (Int) throws -> Void) throws -> [Double] {
        do {
            return try Timing.measure(warmup: configuration.warmup, reps: configuration.reps,
                                      budgetSeconds: configuration.cellBudgetSeconds, prelude: prelude, body)
        } catch let e as BenchError { throw e } catch {
            throw BenchError.measurement(cell: "\(spec) on \(backend)", reason: "\(error)")
        }
    }

    private func result(_ p: OpCase, backend: String, threads: Int, samples: [Double], cost: OpCost, ceiling: Ceiling,
                        workingSet: Double? = nil, kernels: [KernelShare]?) -> BenchResult {
        let ws = workingSet ?? p.workingSet
        return BenchResult(suite: .ops, test: p.spec.test, op: p.op.rawValue, backend: backend, threads: threads,
                           dtype: p.spec.dtype?.rawValue ?? "-", shape: p.shape, m: p.m, n: p.n, k: p.k,
                           reps: samples.count, warmup: configuration.warmup, samplesNs: samples, cost: cost,
                           ceiling: ceiling, workingSetBytes: ws, kernels: kernels, memoryTier: tier(ws, threads))
    }

    /// The memory tier of a working set at `threads` threads on this machine.
    func tier(_ workingSet: Double, _ threads: Int) -> MemoryTier {
        MemoryTier.of(workingSet: workingSet, threads: threads, l2Bytes: machine.l2Bytes ?? 0, l3Bytes: machine.l3Bytes)
    }
}
