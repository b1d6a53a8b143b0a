import Foundation
import OSSCore
import XCTest

/// RopeTable: the YaRN inverse frequencies and concentration of gpt-oss.md §2.3 (head_dim 64) and §6 (tiny, 16),
/// and the cos/sin entries against Double.
final class RopeTableTests: XCTestCase {
    static func gptOSS(headDim: Int, maxPositions: Int = 8) throws -> RopeTable {
        try RopeTable.yarn(
            headDim: headDim, theta: 150_000, factor: 32, originalContext: 4096, betaFast: 32,
            betaSlow: 1, maxPositions: maxPositions)
    }

    func assertClose(_ a: Float, _ b: Double, relative: Double = 2e-6, _ message: String) {
        XCTAssertLessThanOrEqual(abs(Double(a) - b), relative * abs(b), "\(message): \(a) vs \(b)")
    }

    func testYaRNInverseFrequenciesHeadDim64() throws {
        let t = try Self.gptOSS(headDim: 64)
        XCTAssertEqual(t.invFreq.count, 32)
        let check: [(Int, Double)] = [
            (0, 1.0), (1, 0.6890443), (8, 0.05081327), (9, 0.03170570), (12, 6.794959e-3),
            (16, 4.564839e-4), (17, 1.293187e-4), (18, 3.830881e-5), (31, 3.023511e-7),
        ]
        for (i, want) in check { assertClose(t.invFreq[i], want, "inv_freq[\(i)]") }
        // i ≤ 8 unchanged, i ≥ 18 divided by 32
        for i in 0...8 { assertClose(t.invFreq[i], pow(150_000, -Double(2 * i) / 64), relative: 1e-7, "original \(i)") }
        for i in 18..<32 {
            assertClose(t.invFreq[i], pow(150_000, -Double(2 * i) / 64) / 32, relative: 1e-7, "÷32 \(i)")
        }
        assertClose(t.attentionFactor, 1.3465735902799727, relative: 1e-7, "concentration 0.1·ln 32 + 1")
    }

    func testYaRNTinyConfigHeadDim16() throws {
        let t = try Self.gptOSS(headDim: 16)
        let want = [1, 0.2254180, 0.05081327, 6.794959e-3, 4.564839e-4, 1.818834e-5, 4.099978e-6, 9.242090e-7]
        XCTAssertEqual(t.invFreq.count, 8)
        for i in 0..<8 { assertClose(t.invFreq[i], want[i], "tiny inv_freq[\(i)]") }
        assertClose(t.attentionFactor, 1.3465736, "tiny concentration")
    }

    func testCosSinTableEntries() throws {
        let t = try Self.gptOSS(headDim: 64, maxPositions: 4200)
        let c = Double(t.attentionFactor)
        for p in [0, 1, 7, 128, 4095, 4199] {
            for i in [0, 1, 9, 17, 31] {
                let angle = Double(p) * Double(t.invFreq[i])
                XCTAssertEqual(t.cos.pointer[p * 32 + i], Float(c * cos(angle)), accuracy: 2e-7, "cos p \(p) i \(i)")
                XCTAssertEqual(t.sin.pointer[p * 32 + i], Float(c * sin(angle)), accuracy: 2e-7, "sin p \(p) i \(i)")
            }
        }
        XCTAssertEqual(t.cos.shape, Shape([4200, 32]))
        XCTAssertEqual(t.sin.pointer[0], 0, "position 0 does not rotate")
    }

    func testPlainTableAndValidation() throws {
        let t = try RopeTable.plain(headDim: 128, theta: 10_000, maxPositions: 4)
        XCTAssertEqual(t.attentionFactor, 1)
        XCTAssertEqual(t.invFreq[1], Float(pow(10_000, -2.0 / 128)), accuracy: 1e-9)
        XCTAssertEqual(t.cos.pointer[64 * 3 + 0], Float(cos(3.0)), accuracy: 1e-7)
        XCTAssertThrowsError(try RopeTable(headDim: 7, invFreq: [1, 1, 1], attentionFactor: 1, maxPositions: 4))
        XCTAssertThrowsError(try RopeTable(headDim: 8, invFreq: [1, 1], attentionFactor: 1, maxPositions: 4))
        XCTAssertThrowsError(try RopeTable(headDim: 8, invFreq: [1, 1, 1, 1], attentionFactor: 1, maxPositions: 0))
        // YaRN's ramp must satisfy 0 < low < high < d/2 − 1 (the torch reference asserts it)
        XCTAssertThrowsError(
            try RopeTable.yarn(
                headDim: 4, theta: 150_000, factor: 32, originalContext: 4096,
                betaFast: 32, betaSlow: 1, maxPositions: 4))
    }
}
