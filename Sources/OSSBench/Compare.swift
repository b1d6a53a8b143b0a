/// `oss bench compare A B`: per-cell speed ratios of run B against run A, flagging regressions.
public struct RunComparison: Sendable {
    /// One cell present in both runs.
    public struct Row: Sendable, Equatable {
        public var key: String
        public var test: String
        public var backend: String
        public var threads: Int
        public var dtype: String
        public var shape: String
        /// Median latency in A and B (ns).
        public var medianA: Double
        public var medianB: Double
        /// Speed of B relative to A: medianA ÷ medianB (> 1: B faster, < 1: B slower).
        public var ratio: Double
        /// B slower than A beyond the threshold (never for a `read` row: it measures the machine, not our code).
        public var regressed: Bool
        /// A `read` reference row: the machine's streaming-read speed on that cell's bytes, shown for context.
        public var machineReference: Bool
    }

    public var rows: [Row]
    /// Cells only in A / only in B (reported, never a regression by themselves).
    public var onlyInA: [String]
    public var onlyInB: [String]
    /// Allowed slowdown before a cell counts as regressed (0.05 = 5%).
    public var threshold: Double

    /// Compares by `BenchResult.cellKey`. A cell regresses when `ratio < 1 − threshold`. `read` rows are compared
    /// too but never regress: a slower pure read is the machine (other load, bandwidth drift), not a change of ours;
    /// it tells how much of a T = 1 linear cell's change the machine explains. `cblas` rows are flagged like cells
    /// (a linked-library change shows there).
    public init(a: BenchRun, b: BenchRun, threshold: Double = 0.05) {
        self.threshold = threshold
        let indexA = Dictionary(a.results.map { ($0.cellKey, $0) }, uniquingKeysWith: { x, _ in x })
        let keysB = Set(b.results.map(\.cellKey))
        var rows: [Row] = []
        var seen = Set<String>()
        for rb in b.results where seen.insert(rb.cellKey).inserted {
            guard let ra = indexA[rb.cellKey] else { continue }
            let ratio = rb.stats.median > 0 ? ra.stats.median / rb.stats.median : 0
            let machine = rb.backend == OpReference.readName
            rows.append(
                Row(
                    key: rb.cellKey, test: rb.test, backend: rb.backend, threads: rb.threads, dtype: rb.dtype,
                    shape: rb.shape, medianA: ra.stats.median, medianB: rb.stats.median, ratio: ratio,
                    regressed: !machine && ratio < 1 - threshold, machineReference: machine))
        }
        self.rows = rows
        onlyInA = a.results.map(\.cellKey).filter { !keysB.contains($0) }
        onlyInB = b.results.map(\.cellKey).filter { indexA[$0] == nil }
    }

    /// Rows slower than the threshold.
    public var regressions: [Row] { rows.filter(\.regressed) }
    /// True when any cell regressed (the CLI exits non-zero).
    public var hasRegression: Bool { !regressions.isEmpty }

    /// Markdown table of every common cell, regressions marked.
    public func markdown(nameA: String, nameB: String) -> String {
        var out = [
            "# Compare: B = \(nameB) vs A = \(nameA)", "",
            "ratio = median A ÷ median B (> 1: B faster). Flagged: B slower by more than \(Figures.percent(threshold)). "
                + "`read` rows (a pure read of a T = 1 linear cell's weight bytes) measure the machine: never flagged.",
            "",
            "| test | backend | thr | dtype | shape | median A | median B | B/A speed | |",
            "|---|---|---:|---|---|---:|---:|---:|---|",
        ]
        for r in rows {
            let flag = r.regressed ? "**REGRESSION**" : r.machineReference ? "machine" : ""
            out.append(
                "| \(r.test) | \(r.backend) | \(r.threads) | \(r.dtype) | \(r.shape) | \(Figures.duration(ns: r.medianA)) | "
                    + "\(Figures.duration(ns: r.medianB)) | \(Figures.number(r.ratio)) | \(flag) |")
        }
        out.append("")
        out.append(
            "\(rows.count) common cells, \(regressions.count) regressed, \(onlyInA.count) only in A, \(onlyInB.count) only in B."
        )
        return out.joined(separator: "\n") + "\n"
    }
}
