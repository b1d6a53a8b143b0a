import Foundation
import OSSCore
import OSSTokenizer
import SwiftBackend
import XCTest

@testable import OSSModel

/// `ConversationCache`: a new prompt keeps the longest common prefix with the cached tokens (rewinding the model, or
/// resetting it when the ring buffers lost the rows the rewind needs) and its logits equal those of a fresh model
/// that ran the same tokens with the same calls (`TruncateTests.fresh`).
final class ConversationCacheTests: XCTestCase {
    static let a = TruncateTests.a, b = TruncateTests.b

    private func model(_ backend: any Backend) throws -> GPTOSSModel { try TruncateTests.model(backend) }

    /// Runs `prompt` through `cache` as the generator does: prepare, prefill the rest, record.
    private func run(_ prompt: [Int32], _ cache: ConversationCache) throws -> (ConversationCache.Reuse, Tensor) {
        let reuse = try cache.prepare(prompt)
        let rest = Array(prompt[reuse.reused...])
        let logits = Tensor(try cache.model.prefill(rest).toArray(), shape: [cache.model.vocabSize])
        cache.record(rest)
        return (reuse, logits)
    }

    func testReusableCount() {
        XCTAssertEqual(ConversationCache.reusableCount(cached: [], prompt: [1, 2, 3]), 0)
        XCTAssertEqual(ConversationCache.reusableCount(cached: [1, 2, 9, 9], prompt: [1, 2, 3]), 2)
        XCTAssertEqual(ConversationCache.reusableCount(cached: [1, 2], prompt: [1, 2, 3, 4]), 2)
        // The last prompt token always runs (its logits start the answer).
        XCTAssertEqual(ConversationCache.reusableCount(cached: [1, 2, 3], prompt: [1, 2, 3]), 2)
        XCTAssertEqual(ConversationCache.reusableCount(cached: [1, 2, 3, 4], prompt: [1, 2]), 1)
        XCTAssertEqual(ConversationCache.reusableCount(cached: [7], prompt: [1]), 0)
        XCTAssertEqual(ConversationCache.reusableCount(cached: [1], prompt: []), 0)
    }

    /// What chat reuses of a harmony history: the model's `<|return|>` is sampled but never run, and the history
    /// renders `<|end|>` in its place, so a turn that went straight to `final` is reused whole; a turn with analysis
    /// is reused up to its `<|channel|>` (the next prompt drops finished turns' analysis).
    func testHarmonyHistoryReuse() throws {
        let tokenizer = try Tokenizer.o200kHarmony()
        let renderer = try HarmonyRenderer(tokenizer: tokenizer)
        func special(_ t: SpecialToken) throws -> Int32 { try tokenizer.specialID(t.name) }
        let (start, channel, message, end, stop) = (
            try special(.start), try special(.channel), try special(.message),
            try special(.end), try special(.returnToken)
        )
        func output(_ channelName: String, _ text: String, last: Bool) -> [Int32] {
            [channel] + tokenizer.encode(channelName) + [message] + tokenizer.encode(text) + [last ? stop : end]
        }
        var conversation = HarmonyConversation(system: HarmonySystemContent(reasoning: .low))
        conversation.messages.append(.user("What is 2+2?"))
        let first = renderer.renderPrompt(conversation)

        // Straight to the final answer: everything the model ran is reused; the new part starts with <|end|>.
        let direct = output("final", "It is 4.", last: true)
        let cached = first + direct.dropLast()
        var next = conversation
        next.messages += [.assistant("It is 4.", channel: "final"), .user("And 3+3?")]
        let second = renderer.renderPrompt(next)
        XCTAssertEqual(ConversationCache.reusableCount(cached: cached, prompt: second), cached.count)
        XCTAssertEqual(second[cached.count], end)

        // With analysis first: reused up to the assistant turn's <|channel|>.
        let thinking = output("analysis", "Add them.", last: false) + [start] + tokenizer.encode("assistant") + direct
        next = conversation
        next.messages += [
            .assistant("Add them.", channel: "analysis"), .assistant("It is 4.", channel: "final"),
            .user("And 3+3?"),
        ]
        XCTAssertEqual(
            ConversationCache.reusableCount(cached: first + thinking.dropLast(), prompt: renderer.renderPrompt(next)),
            first.count + 1)
    }

    func testNextPromptReusesCommonPrefix() throws {
        for backend in TinyModelFixture.backends {
            let m = try model(backend)
            let cache = ConversationCache(model: m)
            let first = Array(Self.a[0..<10])
            let (r1, _) = try run(first, cache)
            XCTAssertEqual(r1, .init(reused: 0, promptTokens: 10, rewindFailed: false))
            // Three generated tokens were decoded after it.
            for t in Self.b[0..<3] {
                _ = try m.decode(t)
                cache.record(t)
            }
            XCTAssertEqual(cache.tokens, first + Self.b[0..<3])
            // The next prompt shares the first 12 tokens, then differs (as a re-rendered history does).
            let second = first + Self.b[0..<2] + Self.b[10..<16]
            let (r2, logits2) = try run(second, cache)
            XCTAssertEqual(r2, .init(reused: 12, promptTokens: 18, rewindFailed: false))
            XCTAssertEqual(cache.tokens, second)
            XCTAssertEqual(m.position, 18)
            let calls = [first, [Self.b[0]], [Self.b[1]], Array(second[12..<18])]
            try TruncateTests.assertClose(
                logits2, try TruncateTests.fresh(calls, backend)[3], "\(backend.name) second prompt", backend)
            // The same prompt again: everything but its last token is kept.
            let (r3, logits3) = try run(second, cache)
            XCTAssertEqual(r3.reused, 17)
            let again = try TruncateTests.fresh(calls.dropLast() + [Array(second[12..<17]), [second[17]]], backend)[4]
            try TruncateTests.assertClose(logits3, again, "\(backend.name) same prompt", backend)
        }
    }

    func testImpossibleRewindFallsBackToReset() throws {
        for backend in TinyModelFixture.backends {
            let m = try model(backend)
            let cache = ConversationCache(model: m)
            _ = try run(Array(Self.a[0..<20]), cache)
            // Common prefix 10, but the sliding layers hold only positions 13..<20 (7 rows): the model is reset.
            let prompt = Array(Self.a[0..<10] + Self.b[10..<14])
            let (reuse, logits) = try run(prompt, cache)
            XCTAssertEqual(reuse, .init(reused: 0, promptTokens: 14, rewindFailed: true))
            XCTAssertEqual(cache.tokens, prompt)
            try TruncateTests.assertClose(
                logits, try TruncateTests.fresh([prompt], backend)[0], "\(backend.name) after fallback",
                backend)
        }
    }

    /// The generator with a cache: the second turn prefills only its new tokens and generates what a fresh
    /// generator generates for the whole prompt (greedy).
    func testGeneratorReusesCachedPrefix() async throws {
        let tokenizer = try Tokenizer.o200kHarmony()
        let backend = SwiftBackend(threads: 2)
        let m = try model(backend)
        let generator = Generator(
            model: m, tokenizer: tokenizer,
            sampler: try Generator.makeSampler(parameters: .greedy, model: m, tokenizer: tokenizer))
        let cache = ConversationCache(model: m)
        let first = Array(Self.a[0..<8])
        var turn1: [Int32] = []
        for try await e in generator.stream(prompt: first, maxTokens: 4, cache: cache) { turn1.append(e.token) }
        XCTAssertEqual(generator.timing.reusedPromptTokens, 0)
        // The last sampled token was never run through the model.
        XCTAssertEqual(cache.tokens, first + turn1[0..<3])
        XCTAssertEqual(m.position, 11)

        let second = first + turn1[0..<3] + Self.b[0..<5]
        var turn2: [Int32] = []
        for try await e in generator.stream(prompt: second, maxTokens: 4, cache: cache) { turn2.append(e.token) }
        XCTAssertEqual(generator.timing.reusedPromptTokens, 11)
        XCTAssertEqual(generator.timing.promptTokens, 16)
        XCTAssertTrue(
            generator.timing.description.contains("reused 11 of 16 prompt tokens"), generator.timing.description)

        let fresh = try model(backend)
        let plain = Generator(
            model: fresh, tokenizer: tokenizer,
            sampler: try Generator.makeSampler(parameters: .greedy, model: fresh, tokenizer: tokenizer))
        var expected: [Int32] = []
        for try await e in plain.stream(prompt: second, maxTokens: 4) { expected.append(e.token) }
        XCTAssertEqual(turn2, expected)

        let other = Generator(model: fresh, tokenizer: tokenizer, sampler: plain.sampler)
        do {
            for try await _ in other.stream(prompt: second, maxTokens: 1, cache: cache) {}
            XCTFail("a cache of another model must be refused")
        } catch let error as ModelError {
            guard case .invalidParameter(name: "cache", _) = error else { return XCTFail("\(error)") }
        }
    }
}
