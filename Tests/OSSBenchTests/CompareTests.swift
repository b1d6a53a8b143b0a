import XCTest

@testable import OSSBench

final class CompareTests: XCTestCase {
    func testInjectedSlowdownIsFlagged() throws {
        let a = Fixtures.run()
        let b = Fixtures.run(slowdown: 1.10, commit: "def5678")
        let cmp = RunComparison(a: a, b: b, threshold: 0.05)
        XCTAssertTrue(cmp.hasRegression)
        XCTAssertEqual(Set(cmp.regressions.map(\.test)), ["linear.qkv"])
        XCTAssertEqual(cmp.regressions.count, 6, "f32 qkv on swift, blas, cblas × 2 threads")
        for r in cmp.regressions { XCTAssertEqual(r.ratio, 1 / 1.1, accuracy: 1e-9) }
        XCTAssertEqual(cmp.rows.count, a.results.count)
        XCTAssertTrue(cmp.markdown(nameA: "a", nameB: "b").contains("**REGRESSION**"))
    }

    func testWithinThresholdAndSpeedupsPass() {
        let a = Fixtures.run()
        XCTAssertFalse(RunComparison(a: a, b: Fixtures.run(slowdown: 1.03)).hasRegression)
        XCTAssertFalse(RunComparison(a: a, b: Fixtures.run(slowdown: 0.5)).hasRegression)
        XCTAssertTrue(RunComparison(a: a, b: Fixtures.run(slowdown: 1.03), threshold: 0.01).hasRegression)
    }

    func testReadRowsAreComparedButNeverFlagged() {
        // The machine read 30% slower in B, our cells did not change: nothing regressed, the read rows are listed.
        let cmp = RunComparison(a: Fixtures.runWithReadRows(), b: Fixtures.runWithReadRows(slowdown: 1.3))
        XCTAssertFalse(cmp.hasRegression)
        let reads = cmp.rows.filter { $0.backend == "read" }
        XCTAssertEqual(reads.count, 2)
        for r in reads {
            XCTAssertTrue(r.machineReference)
            XCTAssertEqual(r.ratio, 1 / 1.3, accuracy: 1e-9)
        }
        XCTAssertTrue(cmp.markdown(nameA: "a", nameB: "b").contains("| machine |"))
    }

    func testCompareFromFilesOnDisk() throws {
        let root = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let fa = root.appendingPathComponent("a.jsonl")
        let fb = root.appendingPathComponent("b.json")
        try JSONReporter.renderLines(Fixtures.run()).write(to: fa, atomically: true, encoding: .utf8)
        var slow = Fixtures.run(slowdown: 1.10, slowCell: "linear.qkv.bf16")
        slow.results.removeLast()
        try JSONReporter.renderDocument(slow).write(to: fb, atomically: true, encoding: .utf8)
        let cmp = RunComparison(a: try JSONReporter.load(path: fa.path), b: try JSONReporter.load(path: fb.path))
        XCTAssertEqual(Set(cmp.regressions.map(\.dtype)), ["bf16"])
        XCTAssertEqual(cmp.onlyInA.count, 1)
        XCTAssertThrowsError(try JSONReporter.load(path: root.appendingPathComponent("missing.jsonl").path))
    }
}
