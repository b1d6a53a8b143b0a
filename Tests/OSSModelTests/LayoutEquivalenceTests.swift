import Foundation
import OSSCore
import XCTest

@testable import OSSModel

/// The original layout (fused qkv, one file) and the Hugging Face layout (separate q/k/v, two shards with an
/// index) of the same weights give identical logits.
final class LayoutEquivalenceTests: XCTestCase {
    func testOriginalAndHuggingFaceLayoutsGiveIdenticalLogits() throws {
        for backend in TinyModelFixture.backends {
            let original = try GPTOSSModel.load(directory: TinyModelFixture.directory(.original), backend: backend)
            let hf = try GPTOSSModel.load(directory: TinyModelFixture.directory(.huggingFace), backend: backend)
            XCTAssertEqual(original.weights.layout, .original)
            XCTAssertEqual(hf.weights.layout, .huggingFace)
            let a = try original.forward(tokens: TinyModelFixture.tokens, allLogits: true)
            let b = try hf.forward(tokens: TinyModelFixture.tokens, allLogits: true)
            XCTAssertEqual(a.toArray(), b.toArray(), "\(backend.name)")
            try GoldenLogitsTests.assertGolden(b, backend: "\(backend.name) hf")
        }
    }

    /// A Hugging Face download keeps the original checkpoint in `original/`: loading the parent finds it.
    func testOriginalSubdirectoryIsFound() throws {
        let root = try TinyModelFixture.temporaryDirectory("nested")
        try SyntheticModel.write(.tiny, to: root.appendingPathComponent("original"))
        let model = try GPTOSSModel.load(directory: root, backend: TinyModelFixture.backends[0])
        XCTAssertEqual(model.weights.layout, .original)
        XCTAssertEqual(try model.prefill([11]).count, 1024)
    }
}
