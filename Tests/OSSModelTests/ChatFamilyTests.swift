import Foundation
import OSSCore
import OSSTokenizer
import XCTest

@testable import OSSModel

/// Every family's chat format from its GGUF template, rendered to exact token ids, and a short chat generation.
final class ChatFamilyTests: XCTestCase {
    func testEachPresetDetectsItsFormatAndRendersExactIds() throws {
        let backend = TinyModelFixture.backends[1]
        let cases: [(URL, ChatFormat)] = [
            (try TinyModelFixture.dense(.llamaTiny), .llama2SysBOS), (try TinyModelFixture.dense(.qwenTiny), .chatml),
            (try TinyModelFixture.dense(.qwen3Tiny), .chatml), (try TinyModelFixture.gguf(), .harmony),
        ]
        let chat: [ChatMessage] = [.system("Be brief."), .user("hi"), .assistant("hello"), .user("bye")]
        for (url, format) in cases {
            let loaded = try ModelLoader.load(path: url.path, options: ModelLoadOptions(backend: backend))
            XCTAssertEqual(try loaded.chatFormat(), format, url.lastPathComponent)
            let renderer = try loaded.chatRenderer()
            let ids = renderer.prompt(chat)
            let t = loaded.tokenizer
            if format == .harmony {
                XCTAssertEqual(ids.first, try t.specialID("<|start|>"))
                let tail = [try t.specialID("<|start|>")] + t.encode("assistant")
                XCTAssertEqual(Array(ids.suffix(tail.count)), tail)
            } else {
                // The text of llama.cpp's rendering, specials parsed, BOS per add_bos_token.
                XCTAssertEqual(ids, t.encode(format.render(chat), allowSpecial: true, addSpecial: true))
            }
            switch format {
            case .chatml:
                let start = try t.specialID("<|im_start|>")
                let end = try t.specialID("<|im_end|>")
                XCTAssertEqual(ids.first, start)
                XCTAssertEqual(ids.filter { $0 == start }.count, 5)  // four messages and the assistant header
                XCTAssertEqual(ids.filter { $0 == end }.count, 4)
                let tail = [start] + t.encode("assistant\n")
                XCTAssertEqual(Array(ids.suffix(tail.count)), tail)
                XCTAssertTrue(renderer.stopTokens.contains(end))
            case .llama2SysBOS:
                XCTAssertEqual(ids.first, 1)  // BOS
                XCTAssertEqual(ids.filter { $0 == 2 }.count, 1)  // </s> after the assistant turn
                XCTAssertEqual(renderer.stopTokens, [2])
            default: break
            }
        }
        // Llama 3's template and header tokens, on the llama-1b vocabulary (no weights needed).
        let vocabulary = try SyntheticDensePreset.llama1B.vocabulary()
        XCTAssertEqual(try ChatFormat.detect(template: try XCTUnwrap(vocabulary.chatTemplate)), .llama3)
        let llama3 = try Tokenizer.fromGGUF(vocabulary)
        let ids = try ChatRenderer(format: .llama3, tokenizer: llama3).prompt([.user(" hi ")])
        XCTAssertEqual(
            ids,
            [128_000, 128_006] + llama3.encode("user") + [128_007] + llama3.encode("\n\nhi")
                + [128_009, 128_006] + llama3.encode("assistant") + [128_007] + llama3.encode("\n\n"))
        XCTAssertEqual(try ChatRenderer(format: .llama3, tokenizer: llama3).stopTokens, [128_001, 128_008, 128_009])
    }

    /// `Generator` on each dense family with its chat prompt: greedy tokens come out and stop tokens end the turn.
    func testGenerationRunsOnEveryFamily() async throws {
        for preset in [SyntheticDensePreset.llamaTiny, .qwenTiny, .qwen3Tiny] {
            let loaded = try ModelLoader.load(
                path: try TinyModelFixture.dense(preset).path,
                options: ModelLoadOptions(backend: TinyModelFixture.backends[0], contextLength: 64))
            let renderer = try loaded.chatRenderer()
            let sampler = try Generator.makeSampler(
                parameters: SamplingParameters(temperature: 0), model: loaded.model,
                tokenizer: loaded.tokenizer)
            let generator = Generator(model: loaded.model, tokenizer: loaded.tokenizer, sampler: sampler)
            var tokens: [Int32] = []
            for try await event in generator.stream(
                prompt: renderer.prompt([.user("hello")]), maxTokens: 8,
                stopTokens: renderer.stopTokens)
            {
                tokens.append(event.token)
            }
            XCTAssertFalse(tokens.isEmpty, preset.rawValue)
            XCTAssertTrue(tokens.allSatisfy { Int($0) < loaded.tokenizer.sampleableLimit }, preset.rawValue)
        }
    }
}
