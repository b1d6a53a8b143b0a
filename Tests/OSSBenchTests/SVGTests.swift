import XCTest

@testable import OSSBench

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// Counts element names while parsing; a parse error fails the test.
private final class ElementCounter: NSObject, XMLParserDelegate {
    var counts: [String: Int] = [:]
    var texts: [String] = []
    func parser(
        _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
        attributes: [String: String] = [:]
    ) {
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
        XCTAssertTrue(
            parser.parse(), "not well-formed: \(String(describing: parser.parserError))", file: file, line: line)
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
        XCTAssertFalse(
            c.texts.contains("GB/s") || c.texts.contains("GFLOP/s"), "no panel switches to a unit of its own")
    }

    func testRooflineChartHasCeilingsAndPoints() throws {
        let run = Fixtures.run()
        let c = try parse(SVGCharts.roofline(run))
        XCTAssertEqual(c.counts["polyline"], 2, "one ceiling per thread count")
        XCTAssertEqual(c.counts["circle"], run.results.filter { $0.suite == .ops }.count)
        XCTAssertEqual(c.counts["title"], c.counts["circle"])
    }

    /// A cache-resident cell sits at the intensity it is scored on: its reads and write-backs counted once each way
    /// (the larger of the two), so an in-place op in L3 moves right of the same op counted on all its bytes; from
    /// DRAM every byte counts and the two points coincide.
    func testRooflinePointsUseTheBytesTheCellIsScoredOn() throws {
        var run = Fixtures.run()
        let base = try XCTUnwrap(run.results.first { $0.suite == .ops && $0.cost.flops > 0 && $0.threads == 1 })
        // The axis spans the points, so each case is measured against a second point at the plain intensity.
        func offset(_ tier: MemoryTier, written: Double?) throws -> Double {
            var r = base
            r.memoryTier = tier
            r.cost = OpCost(flops: base.cost.flops, bytes: base.cost.bytes, writtenBytes: written)
            var plain = base
            plain.memoryTier = .dram
            run.results = [plain, r]
            let svg = try XCTUnwrap(SVGCharts.roofline(run))
            let xs = svg.components(separatedBy: "<circle ").dropFirst().compactMap { e in
                e.range(of: "cx=\"").flatMap { Double(e[$0.upperBound...].prefix { $0 != "\"" }) }
            }
            XCTAssertEqual(xs.count, 2)
            return xs[1] - xs[0]
        }
        XCTAssertEqual(try offset(.dram, written: base.cost.bytes / 2), 0, accuracy: 1e-9, "DRAM: all bytes count")
        XCTAssertGreaterThan(try offset(.l3, written: base.cost.bytes / 2), 1, "L3 in place: half the bytes limit")
        XCTAssertEqual(try offset(.l3, written: nil), 0, accuracy: 1e-9, "no written bytes: all bytes")
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
