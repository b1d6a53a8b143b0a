import BLASBackend
import Foundation
import OSSCore
import XCTest

@testable import OSSModel

/// The KV cache path (prefill some tokens, then decode one at a time; chunked prefill) gives the same
/// logits as one full-sequence forward pass. The tiny model's window (4) is shorter than the 12 tokens,
/// so sliding layers' ring buffers wrap.
final class IncrementalDecodeTests: XCTestCase {
    private func tolerance(_ backend: any Backend) -> Float { LogitsAssertions.tolerance(backend) }

    func testPrefillThenDecodeMatchesFullForward() throws {
        for backend in TinyModelFixture.backends {
            let dir = try TinyModelFixture.directory(.original)
            let full = try GPTOSSModel.load(directory: dir, backend: backend).forward(
                tokens: TinyModelFixture.tokens, allLogits: true)
            for k in [1, 5] {
                let model = try GPTOSSModel.load(directory: dir, backend: backend, contextLength: 16, prefillChunk: 8)
                let tokens = TinyModelFixture.tokens
                var logits = try model.prefill(Array(tokens[0..<k]))
                assertRow(logits, full, k - 1, "\(backend.name) prefill \(k)", tolerance(backend))
                for p in k..<tokens.count {
                    logits = try model.decode(tokens[p])
                    assertRow(logits, full, p, "\(backend.name) decode after prefill \(k)", tolerance(backend))
                }
                XCTAssertEqual(model.position, 12)
            }
        }
    }

    /// A prompt longer than the prefill chunk runs in chunks (3 + 3 + 3 + 3 and 5 + 5 + 2), across ring wraps.
    func testChunkedPrefillMatchesFullForward() throws {
        for backend in TinyModelFixture.backends {
            let dir = try TinyModelFixture.directory(.original)
            let full = try GPTOSSModel.load(directory: dir, backend: backend).forward(
                tokens: TinyModelFixture.tokens, allLogits: true)
            for chunk in [3, 5] {
                let model = try GPTOSSModel.load(
                    directory: dir, backend: backend, contextLength: 12, prefillChunk: chunk)
                XCTAssertLessThan(model.cache.layers[0].rows, 12, "sliding layer uses a ring buffer")
                let logits = try model.forward(tokens: TinyModelFixture.tokens, allLogits: true)
                for p in 0..<12 {
                    assertRow(
                        try logits.rows(p..<(p + 1)).reshaped([1024]), full, p, "\(backend.name) chunk \(chunk)",
                        tolerance(backend))
                }
                model.reset()
                assertRow(
                    try model.prefill(TinyModelFixture.tokens), full, 11, "\(backend.name) chunk \(chunk) after reset",
                    tolerance(backend))
            }
        }
    }

    private func assertRow(
        _ logits: Tensor, _ full: Tensor, _ p: Int, _ what: String, _ tolerance: Float,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        LogitsAssertions.assertRow(logits, full, p, what, tolerance, file: file, line: line)
    }
}
