import BLASBackend
import OSSCore
import SwiftBackend
import XCTest

@testable import OSSModel

/// `decodeBackend`: single-token steps run on it, longer prompt chunks on `backend`. The two backend kinds give
/// logits that differ in their last bits (the BLAS MXFP4 GEMV rounds activations to 16-bit fixed point), which shows
/// bit for bit which one ran each step.
final class DecodeBackendTests: XCTestCase {
    private let tokens = TinyModelFixture.tokens

    private func load(_ backend: any Backend, decode: (any Backend)? = nil) throws -> GPTOSSModel {
        try GPTOSSModel.load(
            directory: try TinyModelFixture.directory(.original), backend: backend, decodeBackend: decode,
            contextLength: 16, prefillChunk: 8)
    }

    private func bits(_ t: Tensor) -> [UInt32] { t.toArray().map(\.bitPattern) }

    func testSingleTokenStepsRunOnTheDecodeBackend() throws {
        let split = try load(SwiftBackend(threads: 2), decode: BLASBackend(threads: 1))
        let blas = try load(BLASBackend(threads: 1))
        let swift = try load(SwiftBackend(threads: 2))
        XCTAssertEqual(split.decodeBackend.name, "blas")
        XCTAssertEqual(split.backend.name, "swift")
        var differsFromSwift = false
        for token in tokens {
            let got = bits(try split.decode(token))
            XCTAssertEqual(got, bits(try blas.decode(token)), "decode step at position \(split.position - 1)")
            let reference = bits(try swift.decode(token))
            differsFromSwift = differsFromSwift || got != reference
        }
        XCTAssertTrue(differsFromSwift, "the two backends gave identical logits, so this test cannot tell them apart")
    }

    func testPromptChunksRunOnTheMainBackendAndDecodeContinuesFromThem() throws {
        let split = try load(SwiftBackend(threads: 2), decode: BLASBackend(threads: 1))
        let swift = try load(SwiftBackend(threads: 2))
        let prompt = Array(tokens[0..<5])
        XCTAssertEqual(bits(try split.prefill(prompt)), bits(try swift.prefill(prompt)))
        let full = try load(SwiftBackend(threads: 2)).forward(tokens: tokens, allLogits: true)
        for p in 5..<tokens.count {
            LogitsAssertions.assertRow(
                try split.decode(tokens[p]), full, p, "decode on blas after a swift prompt",
                LogitsAssertions.blasTolerance)
        }
    }

    func testWithoutADecodeBackendDecodeUsesTheMainOne() throws {
        let model = try load(BLASBackend(threads: 2))
        XCTAssertTrue(model.decodeBackend === model.backend)
    }
}
