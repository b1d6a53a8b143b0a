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
}
