import Foundation

/// Output formats of `oss bench` (stdout, and the files in a run directory).
public enum OutputFormat: String, CaseIterable, Sendable {
    case md, csv, json, jsonl

    /// Renders a run in this format.
    public func render(_ run: BenchRun) throws -> String {
        switch self {
        case .md: return MarkdownReporter.render(run)
        case .csv: return CSVReporter.render(run)
        case .json: return try JSONReporter.renderDocument(run)
        case .jsonl: return try JSONReporter.renderLines(run)
        }
    }
}

/// Number formatting shared by the text reporters.
enum Figures {
    /// `1234.5` → "1234.5", 3 significant digits below 100 ("12.3", "0.123").
    static func number(_ x: Double) -> String {
        guard x.isFinite else { return "-" }
        let a = abs(x)
        if a >= 100 { return String(format: "%.1f", x) }
        if a >= 10 { return String(format: "%.2f", x) }
        if a >= 0.01 || a == 0 { return String(format: "%.3f", x) }
        return String(format: "%.2e", x)
    }

    /// Nanoseconds as a readable duration ("812 ns", "41.2 µs", "3.51 ms", "1.20 s").
    static func duration(ns: Double) -> String {
        if ns < 1e3 { return String(format: "%.0f ns", ns) }
        if ns < 1e6 { return String(format: "%.1f µs", ns / 1e3) }
        if ns < 1e9 { return String(format: "%.2f ms", ns / 1e6) }
        return String(format: "%.2f s", ns / 1e9)
    }

    /// A fraction as a percentage ("61%", "103%").
    static func percent(_ f: Double) -> String { f.isFinite ? String(format: "%.0f%%", f * 100) : "-" }

    /// Bytes as MiB/GiB.
    static func bytes(_ b: Double) -> String {
        b >= Double(1 << 30)
            ? String(format: "%.2f GiB", b / Double(1 << 30)) : String(format: "%.1f MiB", b / Double(1 << 20))
    }
}
