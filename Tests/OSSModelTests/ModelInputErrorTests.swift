import Foundation
import OSSCore
import OSSFormats
import XCTest

@testable import OSSModel

/// Bad inputs and bad checkpoints end in typed errors, and leave the model usable.
final class ModelInputErrorTests: XCTestCase {
    private func tiny(context: Int? = nil) throws -> GPTOSSModel {
        try GPTOSSModel.load(
            directory: TinyModelFixture.directory(.original), backend: TinyModelFixture.backends[1],
            contextLength: context)
    }

    func testEmptyPrompt() throws {
        let model = try tiny()
        XCTAssertThrowsError(try model.prefill([])) { XCTAssertEqual($0 as? ModelError, .emptyPrompt) }
        XCTAssertThrowsError(try model.forward(tokens: [], allLogits: true)) {
            XCTAssertEqual($0 as? ModelError, .emptyPrompt)
        }
    }

    func testTokenOutsideVocabulary() throws {
        let model = try tiny()
        XCTAssertThrowsError(try model.prefill([11, 1024])) {
            XCTAssertEqual($0 as? ModelError, .tokenOutOfRange(token: 1024, index: 1, vocab: 1024))
        }
        XCTAssertThrowsError(try model.decode(-1)) {
            XCTAssertEqual($0 as? ModelError, .tokenOutOfRange(token: -1, index: 0, vocab: 1024))
        }
        XCTAssertEqual(model.position, 0, "a rejected prompt leaves the cache untouched")
        XCTAssertEqual(try model.prefill([11]).count, 1024)
    }

    func testPromptLongerThanContext() throws {
        let model = try tiny(context: 8)
        XCTAssertThrowsError(try model.prefill(TinyModelFixture.tokens)) {
            XCTAssertEqual($0 as? ModelError, .contextOverflow(position: 0, tokens: 12, contextLength: 8))
        }
        _ = try model.prefill(Array(TinyModelFixture.tokens[0..<8]))
        XCTAssertThrowsError(try model.decode(5)) {
            XCTAssertEqual($0 as? ModelError, .contextOverflow(position: 8, tokens: 1, contextLength: 8))
        }
    }

    func testInvalidLoadParameters() throws {
        let dir = try TinyModelFixture.directory(.original)
        XCTAssertThrowsError(
            try GPTOSSModel.load(directory: dir, backend: TinyModelFixture.backends[0], prefillChunk: 0)
        ) {
            XCTAssertEqual($0 as? ModelError, .invalidParameter(name: "prefillChunk", reason: "must be > 0, got 0"))
        }
        XCTAssertThrowsError(
            try GPTOSSModel.load(directory: dir, backend: TinyModelFixture.backends[0], contextLength: 0)
        ) {
            XCTAssertEqual(
                $0 as? ModelError,
                .invalidParameter(
                    name: "contextLength", reason: "must be in 1...131072 (the model's positions), got 0"))
        }
        XCTAssertThrowsError(
            try GPTOSSModel.load(directory: dir, backend: TinyModelFixture.backends[0], contextLength: 131073)
        ) {
            XCTAssertEqual(
                $0 as? ModelError,
                .invalidParameter(
                    name: "contextLength", reason: "must be in 1...131072 (the model's positions), got 131073"))
        }
    }

    /// Checkpoints whose tensors do not match the config: a missing tensor, a wrong shape, no known layout.
    func testCheckpointMismatches() throws {
        let dir = try TinyModelFixture.temporaryDirectory("mismatch")
        try SyntheticModel.write(.tiny, to: dir)
        let configURL = dir.appendingPathComponent("config.json")
        var config = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: configURL)) as? [String: Any])
        let backend = TinyModelFixture.backends[0]

        config["num_hidden_layers"] = 5
        try JSONSerialization.data(withJSONObject: config).write(to: configURL)
        XCTAssertThrowsError(try GPTOSSModel.load(directory: dir, backend: backend)) {
            XCTAssertEqual($0 as? ModelError, .missingTensor(name: "block.4.attn.qkv.weight", directory: dir.path))
        }

        config["num_hidden_layers"] = 4
        config["vocab_size"] = 2048
        try JSONSerialization.data(withJSONObject: config).write(to: configURL)
        XCTAssertThrowsError(try GPTOSSModel.load(directory: dir, backend: backend)) {
            XCTAssertEqual(
                $0 as? ModelError, .tensorShape(name: "embedding.weight", expected: [2048, 96], found: [1024, 96]))
        }

        config["vocab_size"] = 1024
        config["num_experts"] = 4
        try JSONSerialization.data(withJSONObject: config).write(to: configURL)
        XCTAssertThrowsError(try GPTOSSModel.load(directory: dir, backend: backend)) {
            XCTAssertEqual(
                $0 as? ModelError, .tensorShape(name: "block.0.mlp.gate.weight", expected: [4, 96], found: [8, 96]))
        }

        let other = try TinyModelFixture.temporaryDirectory("unknown-layout")
        try JSONSerialization.data(withJSONObject: config).write(to: other.appendingPathComponent("config.json"))
        try SafetensorsWriter.write(
            [SafetensorsWriter.Entry(name: "wte", values: [1, 2], shape: [2])],
            to: other.appendingPathComponent("model.safetensors"))
        XCTAssertThrowsError(try GPTOSSModel.load(directory: other, backend: backend)) {
            guard case .unrecognizedCheckpoint? = $0 as? ModelError else { return XCTFail("got \($0)") }
        }
    }
}
