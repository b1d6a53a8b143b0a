import Foundation
import OSSCore
import OSSFormats
import XCTest

@testable import OSSModel

/// `LanguageModel.makeInstance`: more instances of one loaded model share its weights (the same mapped bytes) and
/// each has its own KV cache and run state, so sequences interleaved on them give what fresh models give alone.
final class ModelInstanceTests: XCTestCase {
    /// The gpt-oss tiny checkpoint, the same as GGUF, and two dense GGUF presets (SentencePiece and BPE vocabularies).
    func models() throws -> [(String, String)] {
        [
            ("tiny directory", try TinyModelFixture.directory(.original).path),
            ("tiny gguf", try TinyModelFixture.gguf().path),
            ("llama-tiny", try TinyModelFixture.dense(.llamaTiny).path),
            ("qwen3-tiny", try TinyModelFixture.dense(.qwen3Tiny).path),
        ]
    }

    func testInstancesShareWeightsAndRunIndependently() throws {
        let backend = TinyModelFixture.backends[1]
        for (name, path) in try models() {
            // A one-position prototype, as the C ABI loads it; instances get the sizes they need.
            let loaded = try ModelLoader.load(
                path: path, options: ModelLoadOptions(backend: backend, contextLength: 1, prefillChunk: 1))
            let prototype = loaded.model
            let a = try prototype.makeInstance(contextLength: 32, prefillChunk: 4)
            let b = try prototype.makeInstance(contextLength: 16, prefillChunk: 8)
            XCTAssertEqual(a.contextLength, 32, name)
            XCTAssertEqual(b.contextLength, 16, name)
            XCTAssertTrue(a.backend === prototype.backend, name)
            XCTAssertEqual(embeddingData(a), embeddingData(prototype), "\(name): the weights are not copied")
            XCTAssertEqual(embeddingData(b), embeddingData(prototype), name)

            let tokens = TinyModelFixture.tokens.map { $0 % Int32(prototype.vocabSize) }
            let fresh = try ModelLoader.load(path: path, options: ModelLoadOptions(backend: backend, contextLength: 32))
            let reference = try fresh.model.forward(tokens: tokens, allLogits: true).toArray()
            // a runs the sequence in chunks, b one token at a time, in turn: neither disturbs the other.
            var fromA: [Float] = []
            var fromB: [Float] = []
            var t = 0
            while t < tokens.count {
                let chunk = Array(tokens[t..<min(t + 3, tokens.count)])
                fromA += try a.forward(tokens: chunk, allLogits: true).toArray()
                for token in chunk { fromB += try b.decode(token).toArray() }
                t += chunk.count
            }
            XCTAssertEqual(a.position, tokens.count, name)
            XCTAssertEqual(b.position, tokens.count, name)
            XCTAssertEqual(prototype.position, 0, "\(name): the prototype's cache is untouched")
            let tolerance = LogitsAssertions.tolerance(backend)
            XCTAssertEqual(fromA.count, reference.count, name)
            XCTAssertEqual(fromB.count, reference.count, name)
            XCTAssertLessThanOrEqual(zip(fromA, reference).map { abs($0 - $1) }.max() ?? 0, tolerance, "\(name) a")
            XCTAssertLessThanOrEqual(zip(fromB, reference).map { abs($0 - $1) }.max() ?? 0, tolerance, "\(name) b")
        }
    }

    func testInstanceSizesAreChecked() throws {
        let loaded = try ModelLoader.load(
            path: try TinyModelFixture.dense(.llamaTiny).path,
            options: ModelLoadOptions(backend: TinyModelFixture.backends[0], contextLength: 8))
        let same = try loaded.model.makeInstance(contextLength: nil, prefillChunk: nil)
        XCTAssertEqual(same.contextLength, 8)
        XCTAssertThrowsError(try loaded.model.makeInstance(contextLength: 4096, prefillChunk: nil)) { error in
            guard case ModelError.invalidParameter(let name, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(name, "contextLength")
        }
        XCTAssertThrowsError(try loaded.model.makeInstance(contextLength: nil, prefillChunk: 0))
    }

    /// The first byte of the token embedding.
    private func embeddingData(_ model: any LanguageModel) -> UnsafeRawPointer? {
        switch model {
        case let m as GPTOSSModel: return m.weights.embedding.data
        case let m as LlamaModel: return m.weights.embedding.data
        default: return nil
        }
    }
}
