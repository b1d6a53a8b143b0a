import XCTest

@testable import OSSBench

final class ReporterTests: XCTestCase {
    func testCSVIsRectangularAndEveryRowHasItsRooflineFraction() throws {
        let run = Fixtures.run()
        let rows = CSVReporter.parse(CSVReporter.render(run))
        XCTAssertEqual(rows.first, CSVReporter.columns)
        XCTAssertEqual(rows.count, run.results.count + 1)
        let fraction = try XCTUnwrap(CSVReporter.columns.firstIndex(of: "roofline_fraction"))
        let bound = try XCTUnwrap(CSVReporter.columns.firstIndex(of: "bound"))
        for (row, result) in zip(rows.dropFirst(), run.results) {
            XCTAssertEqual(row.count, CSVReporter.columns.count)
            XCTAssertEqual(
                try XCTUnwrap(Double(row[fraction])), result.rooflineFraction, accuracy: 1e-5 * result.rooflineFraction)
            XCTAssertTrue(["compute", "memory"].contains(row[bound]))
        }
        // The CPU name holds a comma: it must come back as one field.
        XCTAssertEqual(rows[1][CSVReporter.columns.firstIndex(of: "cpu")!], "Test CPU, 2 cores")
    }

    func testJSONLRoundTripKeepsRawSamplesAndHeader() throws {
        let run = Fixtures.run()
        let text = try JSONReporter.renderLines(run)
        let lines = text.split(separator: "\n")
        XCTAssertEqual(lines.count, run.results.count + 1)
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            XCTAssertNotNil(object?["record"])
            if object?["record"] as? String == "result" {
                XCTAssertNotNil(object?["rooflineFraction"] as? Double)
                XCTAssertNotNil(object?["samplesNs"] as? [Double])
            }
        }
        XCTAssertEqual(try JSONReporter.parse(text, file: "t.jsonl"), run)
        XCTAssertEqual(try JSONReporter.parse(try JSONReporter.renderDocument(run), file: "t.json"), run)
        XCTAssertThrowsError(try JSONReporter.parse("{\"record\":\"result\"}\n", file: "bad.jsonl"))
        XCTAssertThrowsError(try JSONReporter.parse("not json", file: "bad.jsonl"))
    }

    func testMarkdownTablesCarryRooflineFractionOnEveryRow() {
        let run = Fixtures.run()
        let md = MarkdownReporter.render(run)
        XCTAssertTrue(md.contains("## Roofline ceilings"))
        let tableRows = md.split(separator: "\n").filter {
            $0.hasPrefix("| linear") || $0.hasPrefix("| tg")
        }
        XCTAssertEqual(tableRows.count, run.results.count)
        for row in tableRows {
            XCTAssertTrue(row.contains("% fp32-fma") || row.contains("% dram read"), String(row))
        }
        // f32 rows of our backends show the ratio to the direct cblas row (swift is 1.2× slower in the fixture: 83%).
        XCTAssertTrue(md.contains("| swift | 1 | ") && md.contains("| 83% |"))
    }

    func testMarkdownVsReadIsTheReadMedianOverTheRowMedian() throws {
        let run = Fixtures.runWithReadRows()
        let lines = MarkdownReporter.render(run).split(separator: "\n").map(String.init)
        let header = try XCTUnwrap(lines.first { $0.hasPrefix("| test |") })
        func cells(_ line: String) -> [String] {
            line.split(separator: "|", omittingEmptySubsequences: false).dropFirst().dropLast()
                .map { $0.trimmingCharacters(in: .whitespaces) }
        }
        let columns = cells(header)
        let vsRead = try XCTUnwrap(columns.firstIndex(of: "vs read"))
        let backend = try XCTUnwrap(columns.firstIndex(of: "backend"))
        let threads = try XCTUnwrap(columns.firstIndex(of: "thr"))
        let dtype = try XCTUnwrap(columns.firstIndex(of: "dtype"))
        func row(_ b: String, _ t: Int, _ d: String) throws -> [String] {
            try XCTUnwrap(
                lines.map(cells).first {
                    $0.count == columns.count && $0[backend] == b && $0[threads] == "\(t)" && $0[dtype] == d
                })
        }
        func median(_ b: String, _ t: Int) throws -> Double {
            try XCTUnwrap(run.results.first { $0.backend == b && $0.threads == t && $0.dtype == "bf16" }).stats.median
        }
        for t in [1, 2] {
            // blas 1.5 ms and swift 1.8 ms against a 1.2 ms read: 80% and 67%.
            XCTAssertEqual(try row("blas", t, "bf16")[vsRead], "80%")
            XCTAssertEqual(try row("swift", t, "bf16")[vsRead], "67%")
            for b in ["blas", "swift"] {
                XCTAssertEqual(try row(b, t, "bf16")[vsRead], Figures.percent(try median("read", t) / median(b, t)))
            }
            let read = try row("read", t, "bf16")
            XCTAssertEqual(read[vsRead], "", "a read row has no ratio to itself")
            XCTAssertTrue(read[columns.firstIndex(of: "roofline")!].hasSuffix("dram read"))
            // No read row for T = 512 f32: empty there, while vs cblas is still filled as before.
            let gemm = try row("swift", t, "f32")
            XCTAssertEqual(gemm[vsRead], "")
            XCTAssertEqual(gemm[columns.firstIndex(of: "vs cblas")!], "83%")
        }
        // A paired per-rep ratio, when the cell has one, is what `vs read` shows.
        var paired = run
        for i in paired.results.indices where paired.results[i].backend == "blas" {
            paired.results[i].readRatio = 0.912
        }
        let pairedLines = MarkdownReporter.render(paired).split(separator: "\n").map(String.init)
        let blasRow = try XCTUnwrap(
            pairedLines.map(cells).first {
                $0.count == columns.count && $0[backend] == "blas" && $0[threads] == "1" && $0[dtype] == "bf16"
            })
        XCTAssertEqual(blasRow[vsRead], Figures.percent(0.912))
        // Read rows are ordinary rows of the CSV and JSON records.
        XCTAssertEqual(CSVReporter.parse(CSVReporter.render(run)).filter { $0.contains("read") }.count, 2)
        XCTAssertEqual(try JSONReporter.parse(try JSONReporter.renderLines(run), file: "t.jsonl"), run)
    }

    func testResultsDirectoryLayout() throws {
        let root = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let run = Fixtures.run()
        let dir = try ResultsDirectory.write(run, root: root)
        XCTAssertEqual(dir.path, root.appendingPathComponent("test-cpu-2-cores/2026-11-29-1000-abc1234").path)
        for f in ["results.jsonl", "results.csv", "summary.md", "threads.svg", "roofline.svg", "e2e.svg"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent(f).path), f)
        }
        let latest = try String(contentsOf: root.appendingPathComponent("latest.md"), encoding: .utf8)
        XCTAssertTrue(latest.contains("test-cpu-2-cores/2026-11-29-1000-abc1234/summary.md"))
        XCTAssertEqual(try JSONReporter.load(path: dir.path), run)
    }
}
