import Foundation
import OSSCore
import OSSFormats
import OSSTokenizer
import XCTest

@testable import OSSModel

/// `ModelLoader`: one entry point for checkpoint directories and GGUF files.
final class ModelLoaderTests: XCTestCase {
    func testCheckpointDirectoryLoadsLikeGPTOSSModel() throws {
        let dir = try TinyModelFixture.directory(.original)
        let backend = TinyModelFixture.backends[1]
        let loaded = try ModelLoader.load(
            path: dir.path, options: ModelLoadOptions(backend: backend, contextLength: 32))
        XCTAssertEqual(loaded.info.architecture, "gpt-oss")
        XCTAssertEqual(loaded.info.format, .safetensors)
        XCTAssertEqual(loaded.info.vocabSize, 1024)
        XCTAssertEqual(loaded.info.contextLength, 32)
        XCTAssertEqual(loaded.info.trainedContextLength, 131_072)
        XCTAssertEqual(loaded.info.weightDTypes, "bf16+mxfp4")
        XCTAssertEqual(try loaded.chatFormat(), .harmony)
        XCTAssertEqual(loaded.stopTokens, [200_002, 200_012, 199_999])
        XCTAssertTrue(loaded.decodeBackend === backend)
        let direct = try GPTOSSModel.load(directory: dir, backend: backend, contextLength: 32)
        let a = try loaded.model.forward(tokens: TinyModelFixture.tokens, allLogits: true)
        let b = try direct.forward(tokens: TinyModelFixture.tokens, allLogits: true)
        XCTAssertEqual(a.toArray(), b.toArray())
        XCTAssertEqual(loaded.footprint, direct.footprint)
    }

    func testForcedChatFormatWins() throws {
        let options = ModelLoadOptions(backend: TinyModelFixture.backends[0], chatFormat: .chatml)
        let loaded = try ModelLoader.load(path: try TinyModelFixture.directory(.original).path, options: options)
        XCTAssertEqual(try loaded.chatFormat(), .chatml)
    }

    func testPathsThatAreNoModelAreTypedErrors() throws {
        let options = ModelLoadOptions(backend: TinyModelFixture.backends[0])
        XCTAssertThrowsError(try ModelLoader.load(path: "/nonexistent/model.gguf", options: options)) { error in
            guard case ModelError.unrecognizedModelPath = error else { return XCTFail("\(error)") }
        }
        let dir = try TinyModelFixture.temporaryDirectory("loader")
        let text = dir.appendingPathComponent("notes.txt")
        try Data("hello".utf8).write(to: text)
        XCTAssertThrowsError(try ModelLoader.load(path: text.path, options: options)) { error in
            guard case ModelError.unrecognizedModelPath(let path, let reason) = error else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual(path, text.path)
            XCTAssertTrue(reason.contains("GGUF"))
        }
    }

    func testUnsupportedArchitectureNamesItAndTheSupportedOnes() throws {
        let url = try TinyModelFixture.temporaryDirectory("arch").appendingPathComponent("bert.gguf")
        try GGUFWriter.write(metadata: [("general.architecture", .string("bert"))], tensors: [], to: url)
        XCTAssertThrowsError(
            try ModelLoader.load(path: url.path, options: ModelLoadOptions(backend: TinyModelFixture.backends[0]))
        ) { error in
            guard case ModelError.unsupportedArchitecture(let file, let architecture, let supported) = error else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual(file, url.path)
            XCTAssertEqual(architecture, "bert")
            XCTAssertEqual(supported, ModelLoader.supportedGGUFArchitectures)
            XCTAssertTrue("\(error)".contains("'bert'"))
        }
    }

    func testMissingArchitectureKeyIsATypedError() throws {
        let url = try TinyModelFixture.temporaryDirectory("arch").appendingPathComponent("none.gguf")
        try GGUFWriter.write(metadata: [("general.name", .string("x"))], tensors: [], to: url)
        XCTAssertThrowsError(
            try ModelLoader.load(path: url.path, options: ModelLoadOptions(backend: TinyModelFixture.backends[0]))
        ) { error in
            guard case GGUFError.missingKey(_, let key) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(key, "general.architecture")
        }
    }
}
