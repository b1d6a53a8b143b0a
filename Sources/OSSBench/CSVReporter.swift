import Foundation

/// `results.csv`: one row per cell, RFC 4180 quoting, machine identity repeated on every row.
public enum CSVReporter {
    /// Column names, in order.
    public static let columns = [
        "suite", "test", "op", "backend", "threads", "dtype", "shape", "m", "n", "k", "reps", "warmup",
        "median_ns", "p10_ns", "p90_ns", "p99_ns", "min_ns", "mean_ns", "flops", "bytes", "gflops", "gbps",
        "tokens_per_s", "ttft_ns", "bound", "ceiling", "roofline_fraction", "working_set_bytes", "read_ratio",
        "cpu", "commit", "date",
    ]

    public static func render(_ run: BenchRun) -> String {
        var lines = [columns.joined(separator: ",")]
        let m = run.header.machine
        for r in run.results {
            let fields: [String] = [
                r.suite.rawValue, r.test, r.op, r.backend, String(r.threads), r.dtype, r.shape,
                String(r.m), String(r.n), String(r.k), String(r.reps), String(r.warmup),
                num(r.stats.median), num(r.stats.p10), num(r.stats.p90), num(r.stats.p99), num(r.stats.min),
                num(r.stats.mean),
                num(r.cost.flops), num(r.cost.bytes), num(r.gflops), num(r.gbps),
                r.tokensPerSecond.map(num) ?? "", r.ttftNs.map(num) ?? "",
                r.bound.rawValue, num(r.ceiling), num(r.rooflineFraction), num(r.workingSetBytes),
                r.readRatio.map(num) ?? "",
                m.cpuModel, m.gitCommit, m.date,
            ]
            lines.append(fields.map(quote).joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func num(_ x: Double) -> String { x.isFinite ? String(format: "%.6g", x) : "" }

    /// Quotes a field when it holds a comma, quote or line break.
    static func quote(_ s: String) -> String {
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// Splits CSV text into rows of fields (RFC 4180: quoted fields, doubled quotes). Used by tests and `compare`.
    public static func parse(_ text: String) -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var field = ""
        var inQuotes = false
        var atFieldStart = true
        var it = Array(text).makeIterator()
        var pending: Character? = nil
        while let ch = pending ?? it.next() {
            pending = nil
            if inQuotes {
                if ch == "\"" {
                    if let next = it.next() {
                        if next == "\"" {
                            field.append("\"")
                        } else {
                            inQuotes = false
                            pending = next
                        }
                    } else {
                        inQuotes = false
                    }
                } else {
                    field.append(ch)
                }
                continue
            }
            switch ch {
            case "\"" where atFieldStart:
                inQuotes = true
                atFieldStart = false
            case ",":
                row.append(field)
                field = ""
                atFieldStart = true
            case "\n":
                row.append(field)
                rows.append(row)
                row = []
                field = ""
                atFieldStart = true
            case "\r": break
            default:
                field.append(ch)
                atFieldStart = false
            }
        }
        if !field.isEmpty || !row.isEmpty {
            row.append(field)
            rows.append(row)
        }
        return rows
    }
}
