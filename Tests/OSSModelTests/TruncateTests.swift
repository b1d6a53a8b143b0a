import Foundation
import OSSCore
import XCTest

@testable import OSSModel

/// `GPTOSSModel.truncate(to:)`: rewinding and continuing gives the logits of a fresh model that ran the whole
/// token sequence, also when the sliding layers' ring buffers (tiny model: window 4; chunk 4 → 7 rows) wrapped; a
/// rewind whose window rows were overwritten throws `rewindUnavailable` and changes nothing.
///
/// The fresh model runs the same calls (the prefix, then the same prefill/decode steps), so both take the same
/// kernel paths: a one-pass forward of all positions differs from the decode path by batching alone, up to 1.6e-4
/// (Swift) / 5.3e-3 (BLAS) on these sequences, with or without a rewind.
final class TruncateTests: XCTestCase {
    /// Two token streams that differ at every position.
    static let a: [Int32] = (0..<24).map { Int32((37 * $0 + 11) % 1024) }
    static let b: [Int32] = (0..<24).map { Int32((53 * $0 + 5) % 1024) }

    /// Prefill chunk 4, window 4: sliding layers keep 7 rows, so 20 tokens wrap them twice.
    static func model(_ backend: any Backend) throws -> GPTOSSModel {
        try GPTOSSModel.load(
            directory: try TinyModelFixture.directory(.original), backend: backend, contextLength: 32,
            prefillChunk: 4)
    }

    /// The logits `[V]` after each call of a fresh model that prefills each of `calls` in turn (one token = a decode).
    static func fresh(_ calls: [[Int32]], _ backend: any Backend) throws -> [Tensor] {
        let m = try model(backend)
        return try calls.map { Tensor(try m.prefill($0).toArray(), shape: [m.vocabSize]) }
    }

    /// Asserts `logits` equal `expected` within the backend's tolerance.
    static func assertClose(
        _ logits: Tensor, _ expected: Tensor, _ what: String, _ backend: any Backend,
        file: StaticString = #filePath, line: UInt = #line
    ) throws {
        LogitsAssertions.assertRow(
            logits, try expected.reshaped([1, expected.count]), 0, what,
            LogitsAssertions.tolerance(backend), file: file, line: line)
    }

    private func firstSlidingLayer(_ m: GPTOSSModel) -> Int { m.cache.layers.firstIndex { $0.window > 0 } ?? -1 }

    func testTruncateAcrossRingWrapThenContinueMatchesFreshModel() throws {
        for backend in TinyModelFixture.backends {
            for p in [16, 18, 20] {
                let m = try Self.model(backend)
                XCTAssertEqual(m.cache.layers[firstSlidingLayer(m)].rows, 7)
                _ = try m.prefill(Array(Self.a[0..<20]))
                // 20 positions in 7 rows: positions 13..<20 are held; rewinding to p needs p − 3 ..< p.
                XCTAssertEqual(m.cache.intactFrom[firstSlidingLayer(m)], 13)
                try m.truncate(to: p)
                XCTAssertEqual(m.position, p)
                let sequence = Array(Self.a[0..<p] + Self.b[p..<24])
                // After the rewind: a prefill of 2 tokens, then decodes up to position 23.
                let calls = [Array(sequence[p..<(p + 2)])] + sequence[(p + 2)..<24].map { [$0] }
                let expected = try Self.fresh([Array(sequence[0..<p])] + calls, backend).dropFirst()
                for (call, want) in zip(calls, expected) {
                    try Self.assertClose(
                        try m.prefill(call), want, "\(backend.name) rewind to \(p), at \(m.position)", backend)
                }
                // Chained: positions 17..<24 are held now, so rewinding to 20 (needs 17..<20) still works.
                try m.truncate(to: 20)
                let chained = Array(sequence[0..<20] + Self.a[20..<24])
                let want = try Self.fresh([Array(chained[0..<20]), Array(chained[20..<24])], backend)[1]
                try Self.assertClose(
                    try m.prefill(Array(chained[20..<24])), want, "\(backend.name) \(p) then 20", backend)
            }
        }
    }

    /// Single-token writes overwrite one row each, so after decoding more positions stay rewindable.
    func testRewindAfterDecodeSteps() throws {
        for backend in TinyModelFixture.backends {
            let m = try Self.model(backend)
            _ = try m.prefill(Array(Self.a[0..<4]))
            for q in 4..<12 { _ = try m.decode(Self.a[q]) }
            let sliding = firstSlidingLayer(m)
            XCTAssertEqual(m.cache.intactFrom[sliding], 5)
            XCTAssertThrowsError(try m.truncate(to: 7)) { error in
                XCTAssertEqual(
                    error as? ModelError,
                    .rewindUnavailable(to: 7, layer: sliding, window: 4, needed: 4, heldFrom: 5))
            }
            try m.truncate(to: 8)
            let calls = [Array(Self.a[0..<4])] + (Self.a[4..<8] + Self.b[8..<12]).map { [$0] }
            let expected = try Self.fresh(calls, backend)
            for q in 8..<12 {
                try Self.assertClose(
                    try m.decode(Self.b[q]), expected[q - 3], "\(backend.name) decode \(q) after rewind", backend)
            }
        }
    }

    func testImpossibleRewindThrowsAndChangesNothing() throws {
        for backend in TinyModelFixture.backends {
            let m = try Self.model(backend)
            _ = try m.prefill(Array(Self.a[0..<20]))
            let sliding = firstSlidingLayer(m)
            XCTAssertThrowsError(try m.truncate(to: 15)) { error in
                XCTAssertEqual(
                    error as? ModelError,
                    .rewindUnavailable(to: 15, layer: sliding, window: 4, needed: 12, heldFrom: 13))
                XCTAssertTrue("\(error)".contains("cannot rewind to position 15"), "\(error)")
                XCTAssertTrue("\(error)".contains("12..<15"), "\(error)")
            }
            XCTAssertThrowsError(try m.truncate(to: 2)) { error in
                XCTAssertEqual(
                    error as? ModelError,
                    .rewindUnavailable(to: 2, layer: sliding, window: 4, needed: 0, heldFrom: 13))
            }
            XCTAssertEqual(m.position, 20)
            XCTAssertEqual(m.cache.intactFrom[sliding], 13)
            let want = try Self.fresh([Array(Self.a[0..<20]), [Self.a[20]]], backend)[1]
            try Self.assertClose(try m.decode(Self.a[20]), want, "\(backend.name) decode after failed rewind", backend)
        }
    }

    /// `rewindRows` extra ring rows let a rewind go back that much further (here 3 rows: positions 10..<20 held).
    func testRewindRowsExtendReach() throws {
        for backend in TinyModelFixture.backends {
            let m = try GPTOSSModel.load(
                directory: try TinyModelFixture.directory(.original), backend: backend,
                contextLength: 32, prefillChunk: 4, rewindRows: 3)
            let sliding = firstSlidingLayer(m)
            XCTAssertEqual(m.cache.layers[sliding].rows, 10)
            _ = try m.prefill(Array(Self.a[0..<20]))
            XCTAssertThrowsError(try m.truncate(to: 12)) { error in
                XCTAssertEqual(
                    error as? ModelError,
                    .rewindUnavailable(to: 12, layer: sliding, window: 4, needed: 9, heldFrom: 10))
            }
            try m.truncate(to: 13)
            let want = try Self.fresh([Array(Self.a[0..<13]), Array(Self.b[13..<17])], backend)[1]
            try Self.assertClose(try m.prefill(Array(Self.b[13..<17])), want, "\(backend.name) rewindRows 3", backend)
        }
        XCTAssertThrowsError(
            try GPTOSSModel.load(
                directory: try TinyModelFixture.directory(.original),
                backend: TinyModelFixture.backends[0], rewindRows: -1)
        ) { error in
            guard case .invalidParameter(name: "rewindRows", _)? = error as? ModelError else {
                return XCTFail("\(error)")
            }
        }
    }

    func testTruncateToZeroEqualsReset() throws {
        for backend in TinyModelFixture.backends {
            let m = try Self.model(backend)
            _ = try m.prefill(Array(Self.a[0..<20]))
            try m.truncate(to: 0)
            XCTAssertEqual(m.position, 0)
            XCTAssertEqual(m.cache.intactFrom, Array(repeating: 0, count: m.cache.layers.count))
            let afterTruncate = Tensor(try m.prefill(Array(Self.b[0..<12])).toArray(), shape: [m.vocabSize])
            _ = try m.decode(Self.b[12])
            m.reset()
            XCTAssertEqual(m.position, 0)
            XCTAssertEqual(m.cache.intactFrom, Array(repeating: 0, count: m.cache.layers.count))
            try Self.assertClose(
                afterTruncate, try m.prefill(Array(Self.b[0..<12])), "\(backend.name) truncate(0) vs reset", backend)
            try Self.assertClose(
                afterTruncate, try Self.fresh([Array(Self.b[0..<12])], backend)[0],
                "\(backend.name) truncate(0) vs fresh", backend)
        }
    }

    func testTruncateOutsideCachedPositionsThrows() throws {
        let m = try Self.model(TinyModelFixture.backends[0])
        try m.truncate(to: 0)
        XCTAssertThrowsError(try m.truncate(to: 1)) {
            XCTAssertEqual($0 as? ModelError, .truncateOutOfRange(to: 1, position: 0))
        }
        _ = try m.prefill(Array(Self.a[0..<5]))
        XCTAssertThrowsError(try m.truncate(to: 6)) {
            XCTAssertEqual($0 as? ModelError, .truncateOutOfRange(to: 6, position: 5))
        }
        XCTAssertThrowsError(try m.truncate(to: -1)) {
            XCTAssertEqual($0 as? ModelError, .truncateOutOfRange(to: -1, position: 5))
        }
        XCTAssertEqual(m.position, 5)
        try m.truncate(to: 5)
        XCTAssertEqual(m.position, 5)
    }
}
