import Foundation
import OSSCore

/// The charts of a run directory, drawn by our own code (no Python): each returns a standalone SVG document,
/// or nil when the run has no results of that kind.
public enum SVGCharts {
    /// Series colours per backend.
    static func color(_ backend: String) -> String {
        switch backend {
        case "swift": return "#e4572e"
        case "blas": return "#1f77b4"
        case "auto": return "#2ca02c"
        case "cblas": return "#7f7f7f"
        case "read": return "#bcbd22"
        case "llama.cpp": return "#8c564b"
        default: return "#9467bd"
        }
    }

    static let backendOrder = ["swift", "blas", "auto", "cblas", "read", "llama.cpp"]

    private static func sortedBackends(_ names: Set<String>) -> [String] {
        names.sorted { (backendOrder.firstIndex(of: $0) ?? 99, $0) < (backendOrder.firstIndex(of: $1) ?? 99, $1) }
    }

    /// Fraction of each cell's own ceiling vs threads: one panel per op cell (test, dtype, shape), one line per
    /// backend, every panel in the same unit (% of the ceiling that cell was scored against at that thread count —
    /// its kernel class's peak when compute-bound, its memory tier's read when memory-bound), so a cell that crosses
    /// the ridge between thread counts cannot switch units. The dashed line is 100%; hovering a point shows the
    /// throughput, the time per call and the ceiling's name.
    public static func threadScaling(_ run: BenchRun) -> String? {
        let ops = run.results.filter { $0.suite == .ops }
        guard !ops.isEmpty else { return nil }
        var panels: [String] = []
        var byPanel: [String: [BenchResult]] = [:]
        for r in ops {
            let key = "\(r.test) \(r.dtype) \(r.shape)"
            if byPanel[key] == nil { panels.append(key) }
            byPanel[key, default: []].append(r)
        }
        let cols = min(3, panels.count)
        let pw = 330.0
        let ph = 230.0
        let top = 62.0
        let rows = (panels.count + cols - 1) / cols
        var svg = SVGCanvas(width: Double(cols) * pw + 20, height: top + Double(rows) * ph + 10)
        svg.text(
            "Share of each cell's own roofline ceiling vs threads (dashed: 100%)", x: 10, y: 22, size: 15,
            weight: "bold")
        svg.text(
            "ceiling per point: its kernel class's peak (compute-bound) or its memory tier's read (memory-bound)",
            x: 10, y: 38, size: 10, fill: "#555")
        let backends = sortedBackends(Set(ops.map(\.backend)))
        legend(&svg, backends: backends, x: 10, y: 54)
        for (i, key) in panels.enumerated() {
            let cells = byPanel[key] ?? []
            let ox = 10 + Double(i % cols) * pw
            let oy = top + Double(i / cols) * ph
            let threads = Array(Set(cells.map(\.threads))).sorted()
            let ymax = max(1.1, (cells.map(\.rooflineFraction).max() ?? 1) * 1.1)
            let x = ChartAxis(
                lo: Double(threads.first ?? 1) - 0.5, hi: Double(threads.last ?? 1) + 0.5,
                pixelLo: ox + 50, pixelHi: ox + pw - 15, log: false)
            let y = ChartAxis(lo: 0, hi: ymax * 100, pixelLo: oy + ph - 40, pixelHi: oy + 25, log: false)
            svg.text(key, x: ox + pw / 2, y: oy + 14, size: 11, anchor: "middle", weight: "bold")
            frame(&svg, x: x, y: y)
            for t in threads {
                svg.text(String(t), x: x.pixel(Double(t)), y: y.pixelLo + 14, size: 10, anchor: "middle")
            }
            for v in y.ticks {
                svg.text(ChartAxis.label(v), x: x.pixelLo - 4, y: y.pixel(v) + 3, size: 9, anchor: "end")
            }
            svg.text("threads", x: (x.pixelLo + x.pixelHi) / 2, y: y.pixelLo + 28, size: 10, anchor: "middle")
            svg.text(
                "% of own ceiling", x: ox + 12, y: (y.pixelLo + y.pixelHi) / 2, size: 10, anchor: "middle",
                rotate: -90)
            svg.line(x1: x.pixelLo, y1: y.pixel(100), x2: x.pixelHi, y2: y.pixel(100), stroke: "#999", dash: "5,3")
            for b in backends {
                let pts = cells.filter { $0.backend == b }.sorted { $0.threads < $1.threads }
                svg.polyline(
                    pts.map { (x.pixel(Double($0.threads)), y.pixel(100 * $0.rooflineFraction)) }, stroke: color(b))
                for p in pts {
                    let unit = p.bound == .compute ? "GFLOP/s" : "GB/s"
                    svg.circle(
                        cx: x.pixel(Double(p.threads)), cy: y.pixel(100 * p.rooflineFraction), r: 3,
                        fill: color(b),
                        title: "\(b) t\(p.threads): \(Figures.percent(p.rooflineFraction)) of "
                            + "\(p.ceilingName ?? (p.bound == .compute ? "FMA" : "DRAM")) "
                            + "(\(Figures.number(p.boundThroughput)) of \(Figures.number(p.ceiling)) \(unit)), "
                            + "\(Figures.duration(ns: p.stats.median)) per call")
                }
            }
        }
        return svg.render()
    }

    /// Colours of the ceiling lines: compute classes (horizontal) and memory tiers (diagonal).
    static func ceilingColor(_ name: String) -> String {
        switch name {
        case InstructionClass.fma256.rawValue: return "#444"
        case InstructionClass.fma512.rawValue: return "#000"
        case InstructionClass.int8Maddubs256.rawValue: return "#8c564b"
        case InstructionClass.int8VNNI256.rawValue: return "#e377c2"
        case InstructionClass.int8VNNI512.rawValue: return "#d62728"
        case InstructionClass.bf16Dot512.rawValue: return "#17becf"
        case InstructionClass.int16VNNI512.rawValue: return "#6b3fa0"
        case MemoryTier.l2.rawValue: return "#2ca02c"
        case MemoryTier.l3.rawValue: return "#ff7f0e"
        default: return "#1f77b4"
        }
    }

    /// Log-log rooflines, one panel per thread count: arithmetic intensity (counted FLOPs per byte the cell is scored
    /// on: in L2 and L3 the larger of its bytes read and written, from DRAM all) vs achieved GFLOP/s of
    /// every op cell at that thread count, under every measured ceiling: a horizontal line per instruction class (its
    /// peak in GOP/s; a kernel needing two byte products per multiply-add reaches half of it in counted FLOP/s) and
    /// a diagonal per memory tier (intensity × read bandwidth). Each point's tooltip names the ceiling it was scored
    /// against.
    public static func roofline(_ run: BenchRun) -> String? {
        let ops = run.results.filter { $0.suite == .ops && $0.cost.flops > 0 && $0.cost.bytes > 0 && $0.gflops > 0 }
        let ceilings = run.header.roofline.ceilings.filter { c in ops.contains { $0.threads == c.threads } }
        guard !ops.isEmpty, !ceilings.isEmpty else { return nil }
        let classes = run.header.roofline.instructionClasses
        let tiers = run.header.roofline.memoryTiers
        let pw = 620.0
        let ph = 440.0
        let top = 66.0
        var svg = SVGCanvas(width: pw + 200, height: top + Double(ceilings.count) * (ph + 20))
        svg.text(
            "Roofline: achieved GFLOP/s vs arithmetic intensity, every measured ceiling", x: 10, y: 22, size: 15,
            weight: "bold")
        svg.text(
            "horizontal: instruction-class peaks; diagonal: read bandwidth per memory tier; filled dot: scored "
                + "compute-bound, ring: memory-bound", x: 10, y: 38, size: 10, fill: "#555")
        let backends = sortedBackends(Set(ops.map(\.backend)))
        legend(&svg, backends: backends, x: 10, y: 56)
        // One scale for every panel: the points and every ceiling of every thread count.
        let peakValues = ceilings.flatMap { c in
            classes.compactMap { c.peak($0) } + (classes.isEmpty ? [c.fmaGFLOPS] : [])
        }
        // A cell sits at the intensity it is scored on (BenchResult.scoredIntensity: in L2/L3 the larger of its
        // bytes read and written, from DRAM all), so a point on a diagonal is at 100%.
        let intensities = ops.map(\.scoredIntensity)
        let perf = ops.map(\.gflops) + peakValues
        let x = ChartAxis(
            lo: (intensities.min() ?? 0.1) / 4, hi: (intensities.max() ?? 100) * 4,
            pixelLo: 70, pixelHi: pw - 20, log: true)
        for (pi, c) in ceilings.enumerated() {
            let oy = top + Double(pi) * (ph + 20)
            let y = ChartAxis(
                lo: (perf.min() ?? 0.1) / 2, hi: (perf.max() ?? 100) * 1.5, pixelLo: oy + ph - 40,
                pixelHi: oy + 24, log: true)
            svg.text("\(c.threads) thread\(c.threads == 1 ? "" : "s")", x: 10, y: oy + 14, size: 13, weight: "bold")
            frame(&svg, x: x, y: y)
            for v in x.ticks {
                svg.line(x1: x.pixel(v), y1: y.pixelLo, x2: x.pixel(v), y2: y.pixelHi, stroke: "#eee")
                svg.text(ChartAxis.label(v), x: x.pixel(v), y: y.pixelLo + 14, size: 10, anchor: "middle")
            }
            for v in y.ticks {
                svg.line(x1: x.pixelLo, y1: y.pixel(v), x2: x.pixelHi, y2: y.pixel(v), stroke: "#eee")
                svg.text(ChartAxis.label(v), x: x.pixelLo - 5, y: y.pixel(v) + 3, size: 10, anchor: "end")
            }
            svg.text(
                "arithmetic intensity (FLOP/byte: counted FLOPs ÷ the bytes the cell is scored on)",
                x: (x.pixelLo + x.pixelHi) / 2,
                y: y.pixelLo + 30, size: 11, anchor: "middle")
            svg.text("GFLOP/s", x: 18, y: (y.pixelLo + y.pixelHi) / 2, size: 11, anchor: "middle", rotate: -90)
            var labelY = oy + 30
            func key(_ text: String, _ colour: String, dash: String?) {
                svg.line(x1: pw, y1: labelY - 4, x2: pw + 22, y2: labelY - 4, stroke: colour, width: 1.5, dash: dash)
                svg.text(text, x: pw + 26, y: labelY, size: 9, fill: colour)
                labelY += 14
            }
            let peaks: [(String, Double)] =
                classes.isEmpty
                ? [("fp32 FMA", c.fmaGFLOPS)]
                : classes.compactMap { cl in c.peak(cl).map { (cl.rawValue, $0) } }
            for (name, p) in peaks where p >= y.lo && p <= y.hi {
                svg.line(
                    x1: x.pixelLo, y1: y.pixel(p), x2: x.pixelHi, y2: y.pixel(p), stroke: ceilingColor(name),
                    width: 1.2)
                key("\(name) \(Figures.number(p))", ceilingColor(name), dash: nil)
            }
            let reads: [(String, Double)] =
                tiers.isEmpty
                ? [("dram", c.dramGBps)]
                : tiers.compactMap { t in c.bandwidth(t).map { (t.rawValue, $0) } }
            for (name, bw) in reads where bw > 0 {
                // intensity × bandwidth, clipped to the plot
                let i0 = max(x.lo, y.lo / bw)
                let i1 = min(x.hi, y.hi / bw)
                guard i1 > i0 else { continue }
                svg.polyline(
                    [(x.pixel(i0), y.pixel(i0 * bw)), (x.pixel(i1), y.pixel(i1 * bw))],
                    stroke: ceilingColor(name), width: 1.2, dash: "6,3")
                key("\(name) read \(Figures.number(bw)) GB/s", ceilingColor(name), dash: "6,3")
            }
            for r in ops where r.threads == c.threads {
                let filled = r.bound == .compute
                svg.circle(
                    cx: x.pixel(r.scoredIntensity), cy: y.pixel(r.gflops), r: 4,
                    fill: filled ? color(r.backend) : "none", stroke: color(r.backend),
                    title: "\(r.test) \(r.dtype) \(r.shape) \(r.backend) t\(r.threads): "
                        + "\(Figures.number(r.gflops)) GFLOP/s, \(Figures.number(r.gbps)) GB/s, "
                        + "\(Figures.percent(r.rooflineFraction)) of "
                        + "\(r.ceilingName ?? (r.bound == .compute ? "FMA" : "DRAM"))")
            }
        }
        return svg.render()
    }

    /// End-to-end tokens/s per backend and thread count, one panel per test (pp…, tg…); the grey tick on each bar
    /// is the roofline limit (tokens/s at 100% of the applicable ceiling; for decode rows with a paired read, at 100%
    /// of that read, the share the label gives). Each bar's figures stand in a column of
    /// their own right of the bars (never under a tick): tokens/s, the share of the ceiling (decode: of the paired
    /// read where measured) and our ratio to the peer's row of the same test, threads and round.
    public static func endToEnd(_ run: BenchRun) -> String? {
        let e2e = run.results.filter { $0.suite == .e2e && ($0.tokensPerSecond ?? 0) > 0 }
        guard !e2e.isEmpty else { return nil }
        let ratios = MarkdownReporter.peerRatios(e2e)
        var tests: [String] = []
        for r in e2e where !tests.contains("\(r.test) \(r.shape)") { tests.append("\(r.test) \(r.shape)") }
        let barH = 18.0
        let panelGap = 40.0
        let w = 900.0
        let barsEnd = 560.0
        let rowsPerTest = tests.map { t in e2e.filter { "\($0.test) \($0.shape)" == t }.count }
        let height = 60 + rowsPerTest.reduce(0) { $0 + Double($1) * (barH + 6) + panelGap }
        var svg = SVGCanvas(width: w, height: height)
        svg.text(
            "End-to-end tokens/s (grey tick: 100% of the ceiling; decode: of its paired read)", x: 10, y: 22,
            size: 15, weight: "bold")
        legend(&svg, backends: sortedBackends(Set(e2e.map(\.backend))), x: 10, y: 40)
        var oy = 60.0
        for t in tests {
            let indices = e2e.indices.filter { "\(e2e[$0].test) \(e2e[$0].shape)" == t }
            let cells = indices.map { e2e[$0] }
            let limits = cells.map { r in
                let share = r.readRatio ?? r.rooflineFraction
                return share > 0 ? (r.tokensPerSecond ?? 0) / share : 0
            }
            let xmax = max(cells.compactMap(\.tokensPerSecond).max() ?? 1, limits.max() ?? 1) * 1.05
            let x = ChartAxis(lo: 0, hi: xmax, pixelLo: 150, pixelHi: barsEnd, log: false)
            svg.text(t, x: 10, y: oy + 12, size: 12, weight: "bold")
            oy += 20
            for (i, r) in cells.enumerated() {
                let tps = r.tokensPerSecond ?? 0
                svg.text("\(r.backend) \(r.threads)t", x: x.pixelLo - 6, y: oy + barH - 5, size: 11, anchor: "end")
                svg.rect(x: x.pixelLo, y: oy, width: x.pixel(tps) - x.pixelLo, height: barH, fill: color(r.backend))
                if limits[i] > 0 {
                    svg.line(
                        x1: x.pixel(limits[i]), y1: oy - 2, x2: x.pixel(limits[i]), y2: oy + barH + 2, stroke: "#777",
                        width: 2)
                }
                svg.text(endToEndLabel(r, vsPeer: ratios[indices[i]]), x: barsEnd + 12, y: oy + barH - 5, size: 10)
                oy += barH + 6
            }
            oy += panelGap - 20
        }
        return svg.render()
    }

    /// "286.2 t/s · 86% of paired read · 1.62× llama.cpp": the figures printed beside one e2e bar.
    static func endToEndLabel(_ r: BenchResult, vsPeer: Double?) -> String {
        let share: String
        if let paired = r.readRatio {
            share = "\(Figures.percent(paired)) of paired read"
        } else if r.bound == .compute {
            share = "\(Figures.percent(r.rooflineFraction)) of compute peak"
        } else {
            share = "\(Figures.percent(r.rooflineFraction)) of \(r.ceilingName ?? "DRAM")"
        }
        let peer = vsPeer.map { " · \(Figures.number($0))× \(PeerBenchmark.llamaCppName)" } ?? ""
        return "\(Figures.number(r.tokensPerSecond ?? 0)) t/s · \(share)\(peer)"
    }

    /// Serving: aggregate tokens/s (left) and TTFT p99 (right) against concurrency, one line per prompt/gen shape.
    public static func serving(_ run: BenchRun) -> String? {
        let levels = run.results.compactMap { r in r.serve.map { (r, $0) } }
        guard !levels.isEmpty else { return nil }
        var shapes: [String] = []
        for (_, f) in levels where !shapes.contains("p\(f.promptTokens) g\(f.genTokens)") {
            shapes.append("p\(f.promptTokens) g\(f.genTokens)")
        }
        let palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]
        let w = 820.0
        let h = 340.0
        let panel = (w - 60) / 2
        var svg = SVGCanvas(width: w, height: h)
        svg.text(
            "Serving: aggregate tokens/s and TTFT p99 vs concurrent requests", x: 10, y: 22, size: 15, weight: "bold")
        let cmax = Double(levels.map(\.1.concurrency).max() ?? 1)
        let panels: [(String, (ServeFigures) -> Double)] = [
            ("aggregate tokens/s", { $0.aggregateTokensPerSecond }), ("TTFT p99 (s)", { $0.ttftP99Ns / 1e9 }),
        ]
        for (pi, (title, value)) in panels.enumerated() {
            let ox = 50 + Double(pi) * (panel + 20)
            let ymax = (levels.map { value($0.1) }.max() ?? 1) * 1.15
            let x = ChartAxis(lo: 1, hi: max(cmax, 2), pixelLo: ox, pixelHi: ox + panel - 20, log: true)
            let y = ChartAxis(lo: 0, hi: max(ymax, 1e-9), pixelLo: h - 40, pixelHi: 60, log: false)
            frame(&svg, x: x, y: y)
            svg.text(title, x: ox, y: 50, size: 12, weight: "bold")
            for v in [0, ymax / 1.15] {
                svg.text(Figures.number(v), x: ox - 4, y: y.pixel(v) + 4, size: 10, anchor: "end")
            }
            for c in Set(levels.map(\.1.concurrency)).sorted() {
                svg.text("\(c)", x: x.pixel(Double(c)), y: h - 24, size: 10, anchor: "middle")
            }
            for (si, shape) in shapes.enumerated() {
                let points = levels.filter { "p\($0.1.promptTokens) g\($0.1.genTokens)" == shape }
                    .sorted { $0.1.concurrency < $1.1.concurrency }
                    .map { (x.pixel(Double($0.1.concurrency)), y.pixel(value($0.1))) }
                let colour = palette[si % palette.count]
                svg.polyline(points, stroke: colour)
                for (px, py) in points { svg.circle(cx: px, cy: py, r: 3, fill: colour) }
                if pi == 0 { svg.text(shape, x: ox + 8, y: 76 + Double(si) * 14, size: 10, fill: colour) }
            }
        }
        svg.text("concurrent requests", x: w / 2, y: h - 6, size: 11, anchor: "middle")
        return svg.render()
    }

    private static func legend(_ svg: inout SVGCanvas, backends: [String], x: Double, y: Double) {
        var ox = x
        for b in backends {
            svg.rect(x: ox, y: y - 9, width: 12, height: 10, fill: color(b))
            svg.text(b, x: ox + 16, y: y, size: 11)
            ox += 24 + Double(b.count) * 7
        }
    }

    private static func frame(_ svg: inout SVGCanvas, x: ChartAxis, y: ChartAxis) {
        svg.line(x1: x.pixelLo, y1: y.pixelLo, x2: x.pixelHi, y2: y.pixelLo, stroke: "#333")
        svg.line(x1: x.pixelLo, y1: y.pixelLo, x2: x.pixelLo, y2: y.pixelHi, stroke: "#333")
    }
}
