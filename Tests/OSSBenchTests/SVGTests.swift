import XCTest
@testable import OSSBench
#if canImport(FoundationXML)
import FoundationXML
#endif

/// Counts element names while parsing; a parse error fails the test.
private final class ElementCounter: NSObject, XMLParserDelegate {
    var counts: [String: Int] = [:]
    var texts: [String] = []
    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        counts[name, default: 0] += 1
    }
    func parser(_ parser: XMLParser, foundCharacters string: String) { texts.append(string) }
}

final class SVGTests: XCTestCase {
    private func parse(_ svg: String?, file: StaticString = #filePath, line: UInt = #line) throws -> ElementCounter {
        let text = try XCTUnwrap(svg, file: file, line: line)
        let parser = XMLParser(data: Data(text.utf8))
        let counter = ElementCounter()
        parser.delegate = counter
        XCTAssertTrue(parser.parse(), "not well-formed: \(String(describing: parser.parserError))", file: file, line: line)
        XCTAssertEqual(counter.counts["svg"], 1, file: file, line: line)
        return counter
    }

    func testThreadScalingChart() throws {
        let c = try parse(SVGCharts.threadScaling(Fixtures.run()))
        // Panels: qkv f32 T=512 and qkv bf16 T=1; lines: swift, blas (+cblas in the f32 panel); one unit everywhere.
        XCTAssertEqual(c.counts["polyline"], 3 + 2)
        XCTAssertEqual(c.counts["circle"], 6 + 4)
        XCTAssertTrue(c.texts.contains("threads"))
        XCTAssertEqual(c.texts.filter { $0 == "% of own ceiling" }.count, 2, "every panel in % of its cells' ceilings")
        XCTAssertFalse(c.texts.contains("GB/s") || c.texts.contains("GFLOP/s"), "no panel switches to a unit of its own")
    }

    func testRooflineChartHasCeilingsAndPoints() throws {
        let run = Fixtures.run()
        let c = try parse(SVGCharts.roofline(run))
        XCTAssertEqual(c.counts["polyline"], 2, "one ceiling per thread count")
        XCTAssertEqual(c.counts["circle"], run.results.filter { $0.suite == .ops }.count)
        XCTAssertEqual(c.counts["title"], c.counts["circle"])
    }

    func testEndToEndChartAndEscaping() throws {
        var run = Fixtures.run()
        let lastE2E = try XCTUnwrap(run.results.lastIndex { $0.suite == .e2e })
        run.results[lastE2E].shape = "a<b & \"c\""
        let c = try parse(SVGCharts.endToEnd(run))
        XCTAssertEqual(c.counts["rect"].map { $0 >= 4 + 1 }, true, "bars plus background")
        XCTAssertTrue(c.texts.joined().contains("a<b & \"c\""))
        XCTAssertNil(SVGCharts.endToEnd(BenchRun(header: run.header, results: [])))
    }

    /// Our decode bar names its paired-read share and its ratio to the peer's row of the same threads (the peer's
    /// time is 1.5× ours); every figure sits right of every bar and tick, so no tick crosses a label.
    func testEndToEndLabelsBesideTheBars() throws {
        var run = Fixtures.run()
        run.results = run.results.filter { $0.suite == .e2e && $0.backend == "blas" }
        run.results[0].readRatio = 0.86
        run.results[0].pairedReadGBps = 72.8
        var peer = run.results[0]
        peer.backend = PeerBenchmark.llamaCppName
        peer.readRatio = nil
        peer.samplesNs = peer.samplesNs.map { $0 * 1.5 }
        peer.stats = SampleStatistics(peer.samplesNs)
        peer.tokensPerSecond = peer.tokensPerSecond.map { $0 / 1.5 }
        run.results.append(peer)
        let svg = try XCTUnwrap(SVGCharts.endToEnd(run))
        let c = try parse(svg)
        let ours = try XCTUnwrap(c.texts.first { $0.contains("× llama.cpp") })
        XCTAssertTrue(ours.contains("86% of paired read · 1.500× llama.cpp"), ours)
        XCTAssertEqual(c.texts.filter { $0.contains("×") }.count, 1, "only our row with a peer row gets a ratio")
        func numbers(_ attribute: String, of element: String) -> [Double] {
            svg.components(separatedBy: "<\(element) ").dropFirst().compactMap { e in
                e.range(of: "\(attribute)=\"").flatMap { r in Double(e[r.upperBound...].prefix { $0 != "\"" }) }
            }
        }
        let barEnds = zip(numbers("x", of: "rect"), numbers("width", of: "rect")).filter { $0.0 > 0 }.map { $0 + $1 }
        let rightmost = (barEnds + numbers("x1", of: "line")).max() ?? 0
        let labels = numbers("x", of: "text").filter { $0 > 150 }
        XCTAssertEqual(labels.count, run.results.count)
        XCTAssertTrue(labels.allSatisfy { $0 > rightmost }, "labels \(labels) vs bars and ticks up to \(rightmost)")
    }
}
