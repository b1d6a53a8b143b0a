import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Progress of a benchmark run on stderr: a redrawn bar with the current cell and ETA on a terminal, plain lines
/// otherwise (logs, CI). stdout is never touched.
public final class BenchProgress: @unchecked Sendable {
    private let total: Int
    private var done = 0
    private let start = Date()
    private let isTTY: Bool
    private let quiet: Bool
    private var lastWidth = 0

    /// `total` cells; `quiet` silences everything; `tty` overrides `isatty(2)` (tests).
    public init(total: Int, quiet: Bool = false, tty: Bool? = nil) {
        self.total = max(total, 1)
        self.quiet = quiet
        isTTY = tty ?? (isatty(2) != 0)
    }

    /// Announces the cell about to run.
    public func begin(_ cell: String) {
        guard !quiet else { return }
        if isTTY {
            let width = 24
            let filled = width * done / total
            let bar =
                String(repeating: "=", count: filled) + (filled < width ? ">" : "")
                + String(repeating: " ", count: max(0, width - filled - 1))
            var line = "[\(bar)] \(done)/\(total) \(cell)  ETA \(eta())"
            if line.count > 118 { line = String(line.prefix(118)) }
            let pad = String(repeating: " ", count: max(0, lastWidth - line.count))
            lastWidth = line.count
            write("\r" + line + pad)
        } else {
            write("[\(done + 1)/\(total)] \(cell)\n")
        }
    }

    /// Marks the current cell finished.
    public func end() { done += 1 }

    /// A message on its own line (keeps the bar intact on a terminal).
    public func log(_ message: String) {
        guard !quiet else { return }
        write((isTTY && lastWidth > 0 ? "\r" + String(repeating: " ", count: lastWidth) + "\r" : "") + message + "\n")
        lastWidth = 0
    }

    /// Clears the bar at the end of a run.
    public func finish() {
        guard !quiet else { return }
        let secs = Date().timeIntervalSince(start)
        if isTTY { write("\r" + String(repeating: " ", count: lastWidth) + "\r") }
        write(String(format: "done: %d cells in %.0f s\n", done, secs))
    }

    private func eta() -> String {
        guard done > 0 else { return "--" }
        let per = Date().timeIntervalSince(start) / Double(done)
        let s = Int(per * Double(total - done))
        return s >= 60 ? "\(s / 60)m\(String(format: "%02d", s % 60))s" : "\(s)s"
    }

    private func write(_ s: String) { FileHandle.standardError.write(Data(s.utf8)) }
}
