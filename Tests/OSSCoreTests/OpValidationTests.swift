import OSSCore
import XCTest

/// The shared shape checks every backend calls first: exact boundaries of the KV-cache rule and typed errors.
final class OpValidationTests: XCTestCase {
    func attention(rows: Int, slots: Int, window: Int, firstPosition: Int) throws {
        let p = AttentionParams(
            heads: 4, kvHeads: 2, headDim: 8, scale: 0.35, window: window, firstPosition: firstPosition)
        try OpValidation.attention(
            q: Tensor(zeros: [rows, 32]), keys: Tensor(zeros: [slots, 16]),
            values: Tensor(zeros: [slots, 16]), sinks: nil, p: p, out: Tensor(zeros: [rows, 32]))
    }

    func testAttentionCacheBoundaries() throws {
        // sliding window 4, 7 queries from position 9: keys 6…15 are needed → a ring of 4 + 7 − 1 = 10 slots suffices
        XCTAssertNoThrow(try attention(rows: 7, slots: 10, window: 4, firstPosition: 9))
        XCTAssertThrowsError(try attention(rows: 7, slots: 9, window: 4, firstPosition: 9)) { error in
            guard case BackendError.invalidArgument(op: "attention", _) = error else { return XCTFail("\(error)") }
        }
        // early positions: the window reaches back past 0, so only positions 0…3 are needed
        XCTAssertNoThrow(try attention(rows: 3, slots: 4, window: 8, firstPosition: 1))
        // full causal: every position 0…last must be cached
        XCTAssertNoThrow(try attention(rows: 3, slots: 8, window: 0, firstPosition: 5))
        XCTAssertThrowsError(try attention(rows: 3, slots: 7, window: 0, firstPosition: 5))
        XCTAssertThrowsError(try attention(rows: 1, slots: 4, window: -1, firstPosition: 0))
    }

    func testErrorsNameTheOpAndShapes() throws {
        let w = try WeightTensor.encode([Float](repeating: 1, count: 7 * 32), shape: [7, 32], dtype: .bf16)
        XCTAssertThrowsError(try OpValidation.linear(Tensor(zeros: [2, 33]), w, nil, Tensor(zeros: [2, 7]))) { error in
            guard case BackendError.shapeMismatch(let op, let detail) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(op, "linear")
            XCTAssertTrue(detail.contains("[2, 33]") && detail.contains("[7, 32]"), detail)
            XCTAssertTrue("\(error)".hasPrefix("linear: shape mismatch"), "\(error)")
        }
        XCTAssertThrowsError(try OpValidation.embedding(w, [7], Tensor(zeros: [1, 32]))) { error in
            guard case BackendError.invalidArgument(let op, let detail) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(op, "embedding")
            XCTAssertTrue(detail.contains("7"), detail)
        }
    }
}
