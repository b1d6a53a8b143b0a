import Foundation

/// `summary.md`: machine block, measured ceilings, ops table and e2e table; every throughput figure carries the
/// fraction of its roofline ceiling (FMA peak when compute-bound, DRAM read bandwidth when memory-bound).
public enum MarkdownReporter {
    public static func render(_ run: BenchRun) -> String {
        let h = run.header
        let m = h.machine
        var out: [String] = []
        out.append("# SwiftOSS benchmark: \(m.cpuModel), \(m.date), \(m.gitCommit)")
        out.append("")
        out.append(
            "- CPU: \(m.cpuModel), \(m.cores) logical cores, L3 \(m.l3Bytes > 0 ? Figures.bytes(Double(m.l3Bytes)) : "unknown"), flags: \(m.flags.joined(separator: " "))"
        )
        out.append("- OpenBLAS: \(m.openblasConfig) (core \(m.openblasCore)); OpenMP: \(m.openmpRuntime)")
        if let k = m.ckernels { out.append("- C kernels: \(k)") }
        let env = m.environment.keys.sorted().map { "\($0)=\(m.environment[$0] ?? "")" }
        out.append(
            "- Environment: \(env.isEmpty ? "none of the BLAS/OpenMP variables set" : env.joined(separator: " "))")
        out.append("- Swift: \(m.swiftVersion); OS: \(m.os); command: `\(h.command.joined(separator: " "))`")
        out.append("")
        out += ceilingsSection(h.roofline, machine: m)
        let warnings = overCeiling(run.results)
        if !warnings.isEmpty {
            out.append("")
            out.append("## Warnings: figures above 105% of their ceiling")
            out.append("")
            out.append(
                "A fraction above 105% means a wrong ceiling or a wrong count (or a ceiling probe that ran while "
                    + "something else loaded the machine). Cells:")
            out.append("")
            for w in warnings { out.append("- \(w)") }
        }

        let ops = run.results.filter { $0.suite == .ops }
        if !ops.isEmpty {
            out.append("")
            out.append("## Ops (gpt-oss-20b shapes)")
            out.append("")
            out.append(
                "Roofline column: achieved ÷ the cell's own ceiling, named — an instruction class for compute-bound "
                    + "cells (GFLOP/s ÷ the class's peak in counted FLOPs), a read tier for memory-bound cells (GB/s ÷ "
                    + "that tier's read bandwidth; in L2 and L3, whose reads and write-backs travel opposite ways at "
                    + "once, the GB/s of the larger of the bytes read and the bytes written). `vs cblas`: direct OpenBLAS time ÷ this time on the same shape and threads. "
                    + "`vs read`: for T = 1 linear, the time of a plain streaming read of exactly the weight bytes one "
                    + "call reads (MXFP4 scales included, another copy of the same weights, same thread count), run "
                    + "right before each rep, ÷ that rep's time, median over the reps — 90% means the kernel streams "
                    + "its weights at 90% of the speed a pure read of the same buffers reaches at that moment, a ratio "
                    + "far less exposed than % DRAM to this machine's bandwidth drift. The `read` rows give that "
                    + "read's own speed; reference rows (`cblas`, `read`) carry no ratio of their own, except `cblas` "
                    + "vs `read` (from the row medians).")
            out.append("")
            out.append(
                "| test | dtype | shape | backend | thr | median | p10 | p90 | p99 | GFLOP/s | GB/s | roofline | vs cblas | vs read |"
            )
            out.append("|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
            let direct = referenceIndex(ops, backend: OpReference.cblasName)
            let read = referenceIndex(ops, backend: OpReference.readName)
            for r in ops {
                let key = cellIdentity(r)
                let vsDirect =
                    r.isReference ? "" : direct[key].map { Figures.percent($0.stats.median / r.stats.median) } ?? ""
                let vsRead =
                    r.backend == OpReference.readName
                    ? ""
                    : r.readRatio.map(Figures.percent) ?? read[key].map {
                        Figures.percent($0.stats.median / r.stats.median)
                    } ?? ""
                out.append(
                    "| \(r.test) | \(r.dtype) | \(r.shape) | \(r.backend) | \(r.threads) | "
                        + "\(Figures.duration(ns: r.stats.median)) | \(Figures.duration(ns: r.stats.p10)) | "
                        + "\(Figures.duration(ns: r.stats.p90)) | \(Figures.duration(ns: r.stats.p99)) | "
                        + "\(Figures.number(r.gflops)) | \(Figures.number(r.gbps)) | \(rooflineCell(r, machine: m)) | "
                        + "\(vsDirect) | \(vsRead) |")
            }
        }

        let e2e = run.results.filter { $0.suite == .e2e }
        if !e2e.isEmpty {
            out.append("")
            out.append("## End to end")
            out.append("")
            out.append(
                "pp: prompt processing (prefill) of n tokens, tokens/s = n ÷ median time, TTFT = that time. "
                    + "tg: decode, one sample per generated token; tokens/s = 1 ÷ median per-token latency. Roofline: "
                    + "prefill vs the compute ceiling of the kernels that ran its FLOPs (counted model FLOPs; each share at its own "
                    + "class's peak), decode vs the read bandwidth of the weights' tier (active weight bytes per "
                    + "token ÷ bandwidth).")
            out.append("")
            out.append(
                "`vs read` (decode): the weight bytes' GB/s as a share of a "
                    + "\(Figures.bytes(Double(run.header.roofline.dramProbeBytes))) DRAM read (huge pages, same "
                    + "threads) taken just before each rep, median over reps, and that read's median GB/s; for "
                    + "llama.cpp, reads just before and after its decode run (one llama-bench run per thread count, "
                    + "right after our cells, the most threads first; its prefill after). "
                    + "Paired so the machine's drift cancels.")
            out.append("")
            out.append(
                "`resident`: share of the weight files in memory when the timed reps began (load rows: right after "
                    + "loading; cold rows: before the first prompt), with the share of them mapped through 2 MiB "
                    + "pages (`huge`) where the kernel reports it. `attention`: attention's share of one profiled "
                    + "rep's time (per-op timing of an extra untimed rep). `vs llama.cpp`: our mean tokens/s ÷ the "
                    + "peer's (llama-bench `avg_ts`) for the same test, threads, depth and round; for decode, "
                    + "then `at equal read`: our `vs read` ÷ the peer's, the ratio had both halves of the round met "
                    + "the same DRAM bandwidth (this VM's moves by up to 2× within minutes). The peer's prefill "
                    + "`roofline` uses the classes its CPU backend was compiled for (its libggml-cpu.so's "
                    + "`ggml_cpu_has_*`: the FMA width for float matrices and attention, its 8-bit dot product for "
                    + "quantised ones), or the CPU's widest FMA where that cannot be read (`fp32-fma (widest)`).")
            out.append("")
            out.append(
                "| test | model | dtype | backend | thr | tokens/s | TTFT | median | p10 | p90 | p99 | GFLOP/s | GB/s "
                    + "| roofline | vs read | resident | attention | vs llama.cpp |")
            out.append("|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
            let ratios = peerRatios(e2e)
            let readRatios = peerRatios(e2e, atEqualRead: true)
            for (i, r) in e2e.enumerated() {
                let vsPeer =
                    (ratios[i].map { Figures.number($0) + "×" } ?? "")
                    + (readRatios[i].map { " (at equal read \(Figures.number($0))×)" } ?? "")
                out.append(
                    "| \(r.test) | \(r.shape) | \(r.dtype) | \(r.backend) | \(r.threads) | "
                        + "\(r.tokensPerSecond.map(Figures.number) ?? "-") | \(r.ttftNs.map { Figures.duration(ns: $0) } ?? "-") | "
                        + "\(Figures.duration(ns: r.stats.median)) | \(Figures.duration(ns: r.stats.p10)) | "
                        + "\(Figures.duration(ns: r.stats.p90)) | \(Figures.duration(ns: r.stats.p99)) | "
                        + "\(Figures.number(r.gflops)) | \(Figures.number(r.gbps)) | \(rooflineCell(r, machine: m)) | "
                        + "\(pairedReadCell(r)) | \(residentCell(r)) | "
                        + "\(r.opShares?["attention"].map(Figures.percent) ?? "") | \(vsPeer) |")
            }
            out += decodeProfileSection(e2e)
        }

        out += serveSection(run)

        let autoRows = run.results.filter { $0.backend == "auto" }
        if !autoRows.isEmpty {
            out.append("")
            out.append("## auto vs the better of swift and blas")
            out.append("")
            out.append("| test | dtype | shape | thr | auto | best other | auto ÷ best (time) |")
            out.append("|---|---|---|---:|---:|---:|---:|")
            for a in autoRows {
                let others = run.results.filter {
                    ($0.backend == "swift" || $0.backend == "blas") && $0.suite == a.suite && $0.test == a.test
                        && $0.threads == a.threads && $0.dtype == a.dtype && $0.shape == a.shape
                }
                guard let best = others.min(by: { $0.stats.median < $1.stats.median }) else { continue }
                out.append(
                    "| \(a.test) | \(a.dtype) | \(a.shape) | \(a.threads) | \(Figures.duration(ns: a.stats.median)) | "
                        + "\(best.backend) \(Figures.duration(ns: best.stats.median)) | \(Figures.number(a.stats.median / best.stats.median)) |"
                )
            }
        }
        return out.joined(separator: "\n") + "\n"
    }

    /// The ceilings table: one row per thread count, one column per instruction class (peak GOP/s) and per memory
    /// tier (read GB/s), each column naming its instruction and width, so a probe narrower than the CPU shows.
    static func ceilingsSection(_ roofline: Roofline, machine m: MachineBlock) -> [String] {
        var out = ["## Roofline ceilings (measured by this run)", ""]
        let classes = roofline.instructionClasses
        let tiers = roofline.memoryTiers
        guard !classes.isEmpty else {  // an older record: FP32 FMA and DRAM only
            out.append("| threads | FP32 FMA peak GFLOP/s | DRAM read GB/s | ridge FLOP/byte |")
            out.append("|---:|---:|---:|---:|")
            for c in roofline.ceilings {
                out.append(
                    "| \(c.threads) | \(Figures.number(c.fmaGFLOPS)) | \(Figures.number(c.dramGBps)) | "
                        + "\(Figures.number(c.ridgeIntensity)) |")
            }
            return out
        }
        let classHeads = classes.map { "\($0.rawValue) (\($0.instruction), \($0.bits)-bit) GOP/s" }
        let tierHeads = tiers.map { "\($0.rawValue) read GB/s" }
        out.append("| threads | " + (classHeads + tierHeads).joined(separator: " | ") + " |")
        out.append("|---:|" + String(repeating: "---:|", count: classes.count + tiers.count))
        for c in roofline.ceilings {
            let peaks = classes.map { c.peak($0).map(Figures.number) ?? "—" }
            let reads = tiers.map { t in
                c.bandwidth(t).map { "\(Figures.number($0))\(c.readKernels?[t.rawValue].map { " (\($0))" } ?? "")" }
                    ?? "—"
            }
            out.append("| \(c.threads) | " + (peaks + reads).joined(separator: " | ") + " |")
        }
        let widest = classes.map(\.bits).max() ?? 0
        let cpu512 = m.flags.contains("avx512f")
        out.append("")
        out.append(
            "Compute probes: 12 independent accumulator chains per thread of one instruction each, best of 3; "
                + "GOP/s count multiplies and adds apart (an FP32 FMA lane is 2, a vpdpbusd lane 8, a vdpbf16ps lane 4). "
                + "Read probes: the best of every read kernel (256-bit; 512-bit; 512-bit with 4 streams per thread) "
                + "and of 5 runs, over \(Figures.bytes(Double(roofline.dramProbeBytes))) (DRAM, huge pages; in one "
                + "pass, or as the median of \(Figures.bytes(Double(RooflineProbe.dramBurstBytes))) reads walking it, "
                + "whichever is faster)"
                + (roofline.cacheProbeBytes.map { b in
                    b.keys.sorted().map { ", \(Figures.bytes(Double(b[$0] ?? 0))) per thread (\($0))" }.joined()
                } ?? "") + "; the DRAM figure is raised to the best DRAM read the run took itself (e2e paired "
                + "reads, read rows whose working set lies beyond L3) where that is higher, and then names it"
                + ". Widest probe: \(widest)-bit; the CPU \(cpu512 ? "has" : "lacks") AVX-512"
                + (cpu512 && widest < 512 ? " — **the probes are narrower than the CPU**." : "."))
        out.append(
            "Each cell is scored against the ceiling of the kernel class it ran (`ceiling` column: a class, "
                + "÷2 where one counted multiply-add costs two of the class's byte products) or of the memory tier "
                + "of its working set (`dram`/`l3`/`l2` read), whichever its arithmetic intensity hits first.")
        return out
    }

    /// e2e startup ops (`load`, `prefault`): they move file pages through the page cache, from disk or not, so
    /// their bytes per second say nothing about a read kernel's ceiling; shown, never warned about.
    static let startupOps: Set<String> = ["load", "prefault"]

    /// One line per result above 105% of its ceiling (startup ops aside).
    static func overCeiling(_ results: [BenchResult]) -> [String] {
        results.filter { $0.rooflineFraction > 1.05 && !startupOps.contains($0.op) }.map { r in
            "\(r.test) \(r.dtype) \(r.shape) \(r.backend) \(r.threads)t: \(Figures.percent(r.rooflineFraction)) of "
                + "\(r.ceilingName ?? (r.bound == .compute ? "FMA" : "DRAM")) (\(Figures.number(r.ceiling)) "
                + "\(r.bound == .compute ? "GFLOP/s" : "GB/s"))"
        }
    }

    /// e2e identity of a row for pairing with the peer's: test (depth included), threads, round.
    static func peerKey(_ r: BenchResult) -> String { "\(r.test)|\(r.threads)|\(r.round ?? 1)" }

    /// For each of `rows`: our mean tokens/s ÷ the peer's row of the same test, threads, depth and round (nil for
    /// the peer's own rows and rows without one). `atEqualRead`: our paired `readRatio` ÷ the peer's instead (the
    /// same weight bytes per token on both sides, so this is the ratio of tokens/s at equal DRAM bandwidth; nil where
    /// either side lacks a paired read).
    static func peerRatios(_ rows: [BenchResult], atEqualRead: Bool = false) -> [Double?] {
        let peers = Dictionary(
            rows.filter { $0.backend == PeerBenchmark.llamaCppName }.map { (peerKey($0), $0) },
            uniquingKeysWith: { a, _ in a })
        return rows.map { r in
            guard r.backend != PeerBenchmark.llamaCppName, let p = peers[peerKey(r)] else { return nil }
            if atEqualRead {
                guard let ours = r.readRatio, let theirs = p.readRatio, theirs > 0 else { return nil }
                return ours / theirs
            }
            guard let ours = meanTokensPerSecond(r), let theirs = meanTokensPerSecond(p), theirs > 0 else { return nil }
            return ours / theirs
        }
    }

    /// Mean tokens per second over every sample (tokens per rep × samples ÷ total time): the statistic llama-bench
    /// reports (`avg_ts` over reps), so ratios against the peer compare like with like.
    static func meanTokensPerSecond(_ r: BenchResult) -> Double? {
        guard let perRep = r.tokensPerSecond.map({ $0 * r.stats.median / 1e9 }), r.stats.mean > 0 else { return nil }
        return perRep / (r.stats.mean / 1e9)
    }

    /// Cell identity within one run, backend aside: the rows a reference row stands next to.
    static func cellIdentity(_ r: BenchResult) -> String { "\(r.test)|\(r.threads)|\(r.dtype)|\(r.shape)" }

    /// The `backend` reference rows of `rows` by cell identity (first one wins).
    static func referenceIndex(_ rows: [BenchResult], backend: String) -> [String: BenchResult] {
        Dictionary(
            rows.filter { $0.backend == backend }.map { (cellIdentity($0), $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// Where a decoded token's time goes, from each decode row's profiled rep: the share spent inside backend ops, the
    /// time per token between them, and the GB/s at which the weight-streaming kinds ran, each beside the row's
    /// paired read. Empty when no decode row was profiled.
    static func decodeProfileSection(_ e2e: [BenchResult]) -> [String] {
        let rows = e2e.filter { $0.op == "decode" && $0.opCoverage != nil }
        guard !rows.isEmpty else { return [] }
        var out = [
            "", "### Where a decoded token's time goes", "",
            "From the untimed profiled rep after each decode row: `in ops` is the share of its wall time spent "
                + "inside backend calls; `between ops` that time's remainder per token at the row's median; linear "
                + "and moe GB/s are the weight bytes each kind streamed (a linear's whole matrix, the router and the "
                + "k selected experts) ÷ its time inside those calls, then as a share of the row's paired read.",
            "",
            "| model | test | backend | thr | round | in ops | between ops / token | linear GB/s | moe GB/s |",
            "|---|---|---|---:|---:|---:|---:|---:|---:|",
        ]
        func kind(_ r: BenchResult, _ key: String) -> String {
            guard let g = r.opWeightGBps?[key] else { return "" }
            return Figures.number(g) + (r.pairedReadGBps.map { " (\(Figures.percent(g / $0)) of read)" } ?? "")
        }
        for r in rows {
            let coverage = r.opCoverage ?? 1
            out.append(
                "| \(r.shape) | \(r.test) | \(r.backend) | \(r.threads) | \(r.round ?? 1) | "
                    + "\(Figures.percent(coverage)) | \(Figures.duration(ns: (1 - coverage) * r.stats.median)) | "
                    + "\(kind(r, "linear")) | \(kind(r, "moe")) |")
        }
        // the same rows, linear split by weight shape
        let shapes = Set(rows.flatMap { $0.opWeightGBps?.keys.filter { $0.hasPrefix("linear ") } ?? [] }).sorted()
        guard !shapes.isEmpty else { return out }
        out += [
            "", "Linear GB/s by weight shape (dtype in→out), same profiled reps:", "",
            "| model | test | thr | round | " + shapes.map { $0.dropFirst("linear ".count) }.joined(separator: " | ")
                + " |",
            "|---|---|---:|---:|" + String(repeating: "---:|", count: shapes.count),
        ]
        for r in rows {
            out.append(
                "| \(r.shape) | \(r.test) | \(r.threads) | \(r.round ?? 1) | "
                    + shapes.map { kind(r, $0) }.joined(separator: " | ") + " |")
        }
        return out
    }

    /// "86% of 58.2 GB/s": a decode row's paired share of the DRAM read and that read's median; empty elsewhere.
    static func pairedReadCell(_ r: BenchResult) -> String {
        guard let ratio = r.readRatio, let read = r.pairedReadGBps else { return "" }
        return "\(Figures.percent(ratio)) of \(Figures.number(read)) GB/s"
    }

    /// "100%, huge 97%": resident share, then the share on 2 MiB pages where recorded; empty for rows without either.
    static func residentCell(_ r: BenchResult) -> String {
        guard let resident = r.residentFraction else { return "" }
        return Figures.percent(resident) + (r.hugePageFraction.map { ", huge " + Figures.percent($0) } ?? "")
    }

    /// "85% dram read", "61% int8-vnni512÷2"; an older record without a named ceiling: "85% DRAM" / "61% FMA", with †
    /// when the working set fits in L3.
    static func rooflineCell(_ r: BenchResult, machine: MachineBlock) -> String {
        if let name = r.ceilingName { return "\(Figures.percent(r.rooflineFraction)) \(name)" }
        let inCache = r.bound == .memory && machine.l3Bytes > 0 && r.workingSetBytes < Double(machine.l3Bytes)
        return "\(Figures.percent(r.rooflineFraction)) \(r.bound == .compute ? "FMA" : "DRAM")\(inCache ? " †" : "")"
    }

    /// `oss bench serve`: one row per level, then the sampler's time per token per setting.
    static func serveSection(_ run: BenchRun) -> [String] {
        let levels = run.results.filter { $0.suite == .serve && $0.serve != nil }
        let sampler = run.results.filter { $0.suite == .serve && $0.op == "sample" }
        var out: [String] = []
        if !levels.isEmpty {
            out += [
                "", "## Serving (continuous batching)", "",
                "c requests of p prompt + g generated tokens submitted at once. Aggregate: all generated tokens ÷ "
                    + "wall time (first submission to last token). Decode: c ÷ median inter-token latency (ITL). "
                    + "TTFT: submission to first token, so it includes queueing behind other prompts.", "",
                "| model | backend | thr | c | p | g | aggregate tok/s | decode tok/s | TTFT p50 | TTFT p99 | ITL p50 | ITL p99 |",
                "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
            ]
            for r in levels {
                guard let f = r.serve else { continue }
                out.append(
                    "| \(r.dtype) | \(r.backend) | \(r.threads) | \(f.concurrency) | \(f.promptTokens) | \(f.genTokens) | "
                        + "\(Figures.number(f.aggregateTokensPerSecond)) | \(Figures.number(f.decodeTokensPerSecond)) | "
                        + "\(Figures.duration(ns: f.ttftP50Ns)) | \(Figures.duration(ns: f.ttftP99Ns)) | "
                        + "\(Figures.duration(ns: f.itlP50Ns)) | \(Figures.duration(ns: f.itlP99Ns)) |")
            }
        }
        if !sampler.isEmpty {
            out += [
                "", "## Sampler (one stream, per token)", "", "| setting | vocab | median | p10 | p90 | p99 |",
                "|---|---:|---:|---:|---:|---:|",
            ]
            for r in sampler {
                out.append(
                    "| \(r.test) | \(r.n) | \(Figures.duration(ns: r.stats.median)) | \(Figures.duration(ns: r.stats.p10)) | "
                        + "\(Figures.duration(ns: r.stats.p90)) | \(Figures.duration(ns: r.stats.p99)) |")
            }
        }
        return out
    }
}
