import OSSCore
import XCTest

/// rope: NeoX half-split and interleaved pairs, gpt-oss YaRN tables (head_dim 64 and the tiny config's 16) and a
/// plain llama table (head_dim 128, and 24 whose half is no SIMD width), positions from 0 up to past the original context (4096).
final class RopeConformanceTests: XCTestCase {
    /// Named tables, built once (they are the expensive part).
    static let tables: [(name: String, table: RopeTable)] = {
        do {
            return [
                (
                    "yarn64",
                    try RopeTable.yarn(
                        headDim: 64, theta: 150_000, factor: 32, originalContext: 4096,
                        betaFast: 32, betaSlow: 1, maxPositions: 4200)
                ),
                (
                    "yarn16",
                    try RopeTable.yarn(
                        headDim: 16, theta: 150_000, factor: 32, originalContext: 4096,
                        betaFast: 32, betaSlow: 1, maxPositions: 4200)
                ),
                ("plain128", try RopeTable.plain(headDim: 128, theta: 10_000, maxPositions: 600)),
                ("plain24", try RopeTable.plain(headDim: 24, theta: 10_000, maxPositions: 600)),
            ]
        } catch {
            XCTFail("RopeTable construction failed: \(error)")
            return []
        }
    }()

    static func ropeCase(
        _ tableName: String, _ table: RopeTable, style: RopeStyle, rows: Int, heads: Int,
        firstPosition: Int
    ) -> TensorOpCase {
        var (random, parameters) = SeededRandom.forCase(
            "rope", "table=\(tableName),style=\(style.rawValue),T=\(rows),heads=\(heads),firstPosition=\(firstPosition)"
        )
        let width = heads * table.headDim
        let input = random.floats(rows * width, scale: 2)
        let expected = Reference.rope(
            Reference.widen(input), rows: rows, heads: heads, headDim: table.headDim,
            firstPosition: firstPosition, invFreq: table.invFreq,
            attentionFactor: table.attentionFactor, style: style)
        let x = GuardedTensor(input, shape: [rows, width])
        return .inPlace(
            OpDescriptor(.rope), parameters, tensor: x, input: input, expected: expected,
            tolerance: Tolerance.rope
        ) {
            try $0.rope(x.view, heads: heads, firstPosition: firstPosition, table: table, style: style)
        }
    }

    func testRope() {
        for (name, table) in Self.tables {
            for style in [RopeStyle.neox, .interleaved] {
                for (rows, heads, firstPosition) in [(1, 1, 0), (1, 8, 4100), (7, 3, 13), (33, 2, 511 - 33)] {
                    Conformance.check(
                        Self.ropeCase(
                            name, table, style: style, rows: rows, heads: heads,
                            firstPosition: min(firstPosition, table.maxPositions - rows)))
                }
            }
        }
    }
}
