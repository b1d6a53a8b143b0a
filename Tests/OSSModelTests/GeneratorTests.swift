import BLASBackend
import OSSCore
import OSSModel
import OSSTokenizer
import SwiftBackend
import XCTest

/// Generator over the §6 tiny model (vocab 1024) with the bundled o200k tokenizer: the stream reproduces a manual
/// prefill/decode/argmax loop, stops on stop tokens, max tokens and a full context, and keeps its counters.
final class GeneratorTests: XCTestCase {
    static let prompt: [Int32] = (0..<12).map { Int32((37 * $0 + 11) % 1024) }
    nonisolated(unsafe) static var directory: URL?
    static let lock = NSLock()

    func tinyModel(backend: any Backend = SwiftBackend(threads: 2), contextLength: Int? = nil) throws -> GPTOSSModel {
        Self.lock.lock()
        defer { Self.lock.unlock() }
        if Self.directory == nil {
            let url = FileManager.default.temporaryDirectory.appendingPathComponent(
                "oss-generator-tests-\(UUID().uuidString)")
            try SyntheticModel.write(.tiny, to: url, layout: .original)
            Self.directory = url
        }
        return try GPTOSSModel.load(directory: Self.directory!, backend: backend, contextLength: contextLength ?? 64)
    }

    func collect(_ stream: GenerationStream) async throws -> [GenerationEvent] {
        var events: [GenerationEvent] = []
        for try await e in stream { events.append(e) }
        return events
    }

    func testGreedyStreamMatchesManualLoop() async throws {
        let tokenizer = try Tokenizer.o200kHarmony()
        for backend in [SwiftBackend(threads: 2), BLASBackend(threads: 2)] as [any Backend] {
            let model = try tinyModel(backend: backend)
            // Manual reference loop.
            var expected: [Int32] = []
            var logits = try model.prefill(Self.prompt)
            for step in 0..<10 {
                let id = Int32(try backend.argmax(logits))
                expected.append(id)
                if step < 9 { logits = try model.decode(id) }
            }
            let sampler = try Generator.makeSampler(parameters: .greedy, model: model, tokenizer: tokenizer)
            XCTAssertEqual(sampler.sampleableLimit, 1024)
            let generator = Generator(model: model, tokenizer: tokenizer, sampler: sampler)
            let events = try await collect(generator.stream(prompt: Self.prompt, maxTokens: 10))
            XCTAssertEqual(events.map(\.token), expected)
            XCTAssertEqual(events.map(\.index), Array(0..<10))
            XCTAssertEqual(events.map(\.text).joined(), try tokenizer.decode(expected))
            XCTAssertFalse(events.contains { $0.isStop })
            let timing = generator.timing
            XCTAssertEqual(timing.promptTokens, 12)
            XCTAssertEqual(timing.generatedTokens, 10)
            XCTAssertEqual(timing.decodeSteps, 9)
            XCTAssertEqual(timing.stopReason, .maxTokens)
            XCTAssertGreaterThan(timing.prefillSeconds, 0)
            XCTAssertGreaterThanOrEqual(timing.timeToFirstToken, timing.prefillSeconds)
            XCTAssertEqual(model.position, 12 + 9)
        }
    }

    func testStopTokenEndsTheStream() async throws {
        let tokenizer = try Tokenizer.o200kHarmony()
        let model = try tinyModel()
        let generator = Generator(
            model: model, tokenizer: tokenizer,
            sampler: try Generator.makeSampler(parameters: .greedy, model: model, tokenizer: tokenizer))
        let free = try await collect(generator.stream(prompt: Self.prompt, maxTokens: 8)).map(\.token)
        let stop = free[3]
        let firstStop = free.firstIndex(of: stop)!
        let events = try await collect(generator.stream(prompt: Self.prompt, maxTokens: 8, stopTokens: [stop]))
        XCTAssertEqual(events.map(\.token), Array(free[...firstStop]))
        XCTAssertEqual(events.last?.isStop, true)
        XCTAssertEqual(generator.timing.stopReason, .stopToken(stop))
        // maxTokens 0 generates nothing.
        let none = try await collect(generator.stream(prompt: Self.prompt, maxTokens: 0))
        XCTAssertTrue(none.isEmpty)
    }

    func testFullContextStops() async throws {
        let tokenizer = try Tokenizer.o200kHarmony()
        let model = try tinyModel(contextLength: 14)
        let generator = Generator(
            model: model, tokenizer: tokenizer,
            sampler: try Generator.makeSampler(parameters: .greedy, model: model, tokenizer: tokenizer))
        let events = try await collect(generator.stream(prompt: Self.prompt, maxTokens: 100))
        // Prefill fills 12 positions; two decodes fill the cache; the third token is sampled from the last logits.
        XCTAssertEqual(events.count, 3)
        XCTAssertEqual(generator.timing.stopReason, .contextFull)
    }

    func testSeededSamplingThroughTheGeneratorIsReproducible() async throws {
        let tokenizer = try Tokenizer.o200kHarmony()
        let model = try tinyModel()
        let p = SamplingParameters(temperature: 1.5, topK: 50, topP: 0.95, seed: 2026)
        var runs: [[Int32]] = []
        for _ in 0..<2 {
            let generator = Generator(
                model: model, tokenizer: tokenizer,
                sampler: try Generator.makeSampler(parameters: p, model: model, tokenizer: tokenizer))
            runs.append(try await collect(generator.stream(prompt: Self.prompt, maxTokens: 12)).map(\.token))
        }
        XCTAssertEqual(runs[0], runs[1])
        XCTAssertTrue(runs[0].allSatisfy { $0 >= 0 && $0 < 1024 })
    }

    func testTextPromptAndEmptyPromptError() async throws {
        let tokenizer = try Tokenizer.o200kHarmony()
        let model = try tinyModel()
        let generator = Generator(
            model: model, tokenizer: tokenizer,
            sampler: try Generator.makeSampler(parameters: .greedy, model: model, tokenizer: tokenizer))
        // o200k ids of "hello" exceed the tiny vocab: the model rejects them with a typed error, no crash.
        do {
            _ = try await collect(generator.stream(text: "hello", maxTokens: 2))
            XCTFail("ids ≥ 1024 must be rejected by the tiny model")
        } catch {
            XCTAssertFalse("\(error)".isEmpty)
        }
        // "a b" is [64, 287]: ids below 1024 that the tiny model accepts; the tokenizer time is recorded.
        let ids = tokenizer.encode("a b")
        XCTAssertEqual(ids, [64, 287])
        let events = try await collect(generator.stream(text: "a b", maxTokens: 3))
        XCTAssertEqual(events.count, 3)
        XCTAssertEqual(generator.timing.promptTokens, ids.count)
        XCTAssertGreaterThan(generator.timing.tokenizationSeconds, 0)
        do {
            _ = try await collect(generator.stream(prompt: [], maxTokens: 2))
            XCTFail("an empty prompt must throw")
        } catch {
            XCTAssertFalse("\(error)".isEmpty)
        }
    }
}
