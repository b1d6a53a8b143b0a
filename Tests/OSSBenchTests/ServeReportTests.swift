import Foundation
import OSSCore
import XCTest

@testable import OSSBench

/// `oss bench serve` records: the serving table, the sampler table, serve.svg, and a JSON round trip.
final class ServeReportTests: XCTestCase {
    func serveRun() -> BenchRun {
        var results: [BenchResult] = []
        for c in [1, 8] {
            var r = BenchResult(
                suite: .serve, test: "c\(c) p128 g64", op: "serve", backend: "blas", threads: 2,
                dtype: "mini", shape: "c=\(c) p=128 g=64", m: c, n: 128, k: 64, reps: 1, warmup: 0,
                samplesNs: [2e7, 2.2e7], cost: OpCost(flops: 0, bytes: 0),
                ceiling: Ceiling(threads: 2, fmaGFLOPS: 0, dramGBps: 0), workingSetBytes: 0,
                bound: .memory)
            r.serve = ServeFigures(
                concurrency: c, promptTokens: 128, genTokens: 64,
                aggregateTokensPerSecond: 40 * Double(c), decodeTokensPerSecond: 45 * Double(c),
                ttftP50Ns: 5e7 * Double(c), ttftP99Ns: 9e7 * Double(c), itlP50Ns: 2e7, itlP99Ns: 3e7)
            results.append(r)
        }
        results.append(
            BenchResult(
                suite: .serve, test: "top-p 0.9", op: "sample", backend: "blas", threads: 1,
                dtype: "-", shape: "V=201088", m: 1, n: 201_088, k: 0, reps: 3, warmup: 3,
                samplesNs: [5e4, 6e4, 5.5e4], cost: OpCost(flops: 0, bytes: 804_352),
                ceiling: Ceiling(threads: 1, fmaGFLOPS: 0, dramGBps: 0), workingSetBytes: 0,
                bound: .memory))
        let header = RunHeader(
            runID: "r", machine: Fixtures.machine(),
            roofline: Roofline(ceilings: [], dramProbeBytes: 0, fmaIterations: 0), command: ["oss"])
        return BenchRun(header: header, results: results)
    }

    func testServeTablesAndChart() throws {
        let run = serveRun()
        let md = MarkdownReporter.render(run)
        XCTAssertTrue(md.contains("## Serving (continuous batching)"), md)
        XCTAssertTrue(md.contains("| mini | blas | 2 | 8 | 128 | 64 | 320"), md)
        XCTAssertTrue(md.contains("## Sampler (one stream, per token)"), md)
        XCTAssertTrue(md.contains("| top-p 0.9 | 201088 | 55.0 µs"), md)
        let svg = try XCTUnwrap(SVGCharts.serving(run))
        XCTAssertTrue(svg.contains("p128 g64"))
        XCTAssertEqual(svg.components(separatedBy: "<circle").count - 1, 4)  // 2 levels × 2 panels
        XCTAssertNil(SVGCharts.serving(Fixtures.run()))
        let decoded = try JSONDecoder().decode(BenchRun.self, from: try JSONEncoder().encode(run))
        XCTAssertEqual(decoded, run)
    }
}
