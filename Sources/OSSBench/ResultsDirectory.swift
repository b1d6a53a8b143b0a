import Foundation

/// The `results/` layout: `results/<cpu-slug>/<date>-<commit>/{results.jsonl,results.csv,summary.md,*.svg}` and
/// `results/latest.md` pointing to the newest run.
public enum ResultsDirectory {
    /// Chart files of a run directory.
    public static let charts = ["threads.svg", "roofline.svg", "e2e.svg", "serve.svg"]

    /// `<yyyy-MM-dd-HHmmss>-<commit>` from the machine block's date (UTC).
    public static func runID(machine: MachineBlock) -> String {
        let iso = ISO8601DateFormatter()
        iso.formatOptions = [.withInternetDateTime]
        let date = iso.date(from: machine.date) ?? Date()
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd-HHmmss"
        return "\(f.string(from: date))-\(MachineBlock.slug(machine.gitCommit))"
    }

    /// Writes every file of `run` under `root` and updates `root/latest.md`. Returns the run directory.
    @discardableResult
    public static func write(_ run: BenchRun, root: URL) throws -> URL {
        let dir = root.appendingPathComponent(run.header.machine.cpuSlug).appendingPathComponent(run.header.runID)
        let files: [(String, String?)] = [
            ("results.jsonl", try JSONReporter.renderLines(run)),
            ("results.csv", CSVReporter.render(run)),
            ("summary.md", MarkdownReporter.render(run) + chartLinks(run, prefix: "")),
            ("threads.svg", SVGCharts.threadScaling(run)),
            ("roofline.svg", SVGCharts.roofline(run)),
            ("e2e.svg", SVGCharts.endToEnd(run)),
            ("serve.svg", SVGCharts.serving(run)),
        ]
        do {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            for (name, text) in files {
                guard let text else { continue }
                try text.write(to: dir.appendingPathComponent(name), atomically: true, encoding: .utf8)
            }
            let rel = "\(run.header.machine.cpuSlug)/\(run.header.runID)"
            let latest =
                "# Latest benchmark run\n\n[\(rel)](\(rel)/summary.md) — \(run.header.machine.cpuModel), "
                + "\(run.header.machine.date), commit \(run.header.machine.gitCommit). Files: "
                + ["results.jsonl", "results.csv", "summary.md"].map { "[\($0)](\(rel)/\($0))" }.joined(separator: ", ")
                + "\n\n"
                + MarkdownReporter.render(run).split(separator: "\n", omittingEmptySubsequences: false)
                .dropFirst().joined(separator: "\n")
                + chartLinks(run, prefix: rel + "/")
            try latest.write(to: root.appendingPathComponent("latest.md"), atomically: true, encoding: .utf8)
        } catch {
            throw BenchError.io(path: dir.path, reason: "\(error)")
        }
        return dir
    }

    private static func chartLinks(_ run: BenchRun, prefix: String) -> String {
        var out = "\n## Charts\n\n"
        if SVGCharts.threadScaling(run) != nil { out += "![throughput vs threads](\(prefix)threads.svg)\n\n" }
        if SVGCharts.roofline(run) != nil { out += "![roofline](\(prefix)roofline.svg)\n\n" }
        if SVGCharts.endToEnd(run) != nil { out += "![end-to-end tokens/s](\(prefix)e2e.svg)\n" }
        if SVGCharts.serving(run) != nil {
            out += "![serving: tokens/s and TTFT p99 vs concurrency](\(prefix)serve.svg)\n"
        }
        return out
    }
}
