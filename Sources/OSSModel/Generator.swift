import Foundation
import OSSCore
import OSSTokenizer

/// One generated token and the text it completed.
public struct GenerationEvent: Equatable, Sendable {
    /// 0 for the first generated token.
    public let index: Int
    public let token: Int32
    /// Text that became complete with this token ("" while a UTF-8 character is split across tokens; special tokens
    /// give their names; ids the tokenizer has no token for give "").
    public let text: String
    /// Whether this token is one of the stop tokens (it ends the stream).
    public let isStop: Bool
}

/// Drives a `LanguageModel`: prefill the prompt, then sample and decode one token at a time.
///
/// `stream(prompt:…)` returns an `AsyncSequence` of `GenerationEvent`; `timing` holds the figures of the latest run.
public final class Generator {
    public let model: any LanguageModel
    public let tokenizer: Tokenizer
    public let sampler: Sampler
    /// Timings of the latest (or running) generation.
    public internal(set) var timing = GenerationTiming()

    public init(model: any LanguageModel, tokenizer: Tokenizer, sampler: Sampler) {
        self.model = model
        self.tokenizer = tokenizer
        self.sampler = sampler
    }

    /// A sampler for `model` and `tokenizer`: ids ≥ min(model vocab, tokenizer's sampleable limit) and ids below it
    /// with no token are masked (for o200k_harmony on gpt-oss: ids ≥ 200013).
    public static func makeSampler(parameters: SamplingParameters, model: any LanguageModel, tokenizer: Tokenizer)
        throws -> Sampler
    {
        let limit = min(model.vocabSize, tokenizer.sampleableLimit)
        var banned: [Int32] = []
        for id in 0..<Int32(limit) where !tokenizer.hasToken(id) { banned.append(id) }
        return try Sampler(parameters: parameters, sampleableLimit: limit, bannedIDs: banned)
    }

    /// Streams the continuation of `prompt` (the KV cache is reset first).
    /// - Parameters:
    ///   - maxTokens: most tokens to generate (a stop token counts).
    ///   - stopTokens: tokens that end the stream after being emitted (e.g. `<|return|>`, `<|call|>`).
    ///   - tokenizationSeconds: the caller's prompt tokenization time, copied into `timing`.
    ///   - cache: when given (it must wrap this generator's model), the model is not reset: it keeps the longest
    ///     prefix of `prompt` the cache holds (`ConversationCache.prepare`) and prefills only the rest; every token
    ///     run is recorded in the cache. `timing.reusedPromptTokens` says how many were kept.
    public func stream(
        prompt: [Int32], maxTokens: Int, stopTokens: Set<Int32> = [],
        tokenizationSeconds: Double = 0, cache: ConversationCache? = nil
    ) -> GenerationStream {
        GenerationStream(
            generator: self, prompt: prompt, maxTokens: maxTokens, stopTokens: stopTokens,
            tokenizationSeconds: tokenizationSeconds, cache: cache)
    }

    /// Convenience: tokenizes `text` (specials allowed when `allowSpecial`) and streams its continuation.
    public func stream(text: String, allowSpecial: Bool = false, maxTokens: Int, stopTokens: Set<Int32> = [])
        -> GenerationStream
    {
        let start = DispatchTime.now().uptimeNanoseconds
        let ids = tokenizer.encode(text, allowSpecial: allowSpecial)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
        return stream(prompt: ids, maxTokens: maxTokens, stopTokens: stopTokens, tokenizationSeconds: seconds)
    }
}

/// The tokens of one generation, produced lazily: the first `next()` prefills, each later one decodes one token.
public struct GenerationStream: AsyncSequence {
    public typealias Element = GenerationEvent
    let generator: Generator
    let prompt: [Int32]
    let maxTokens: Int
    let stopTokens: Set<Int32>
    let tokenizationSeconds: Double
    let cache: ConversationCache?

    public func makeAsyncIterator() -> Iterator { Iterator(self) }

    /// Runs the model on the caller's task; not shared between tasks.
    public struct Iterator: AsyncIteratorProtocol {
        /// The request being run.
        let request: GenerationStream
        var decoder: StreamingDecoder
        var lastToken: Int32 = -1
        var started = false
        var finished = false

        init(_ request: GenerationStream) {
            self.request = request
            decoder = StreamingDecoder(tokenizer: request.generator.tokenizer)
        }

        var generator: Generator { request.generator }
        var prompt: [Int32] { request.prompt }
        var maxTokens: Int { request.maxTokens }
        var stopTokens: Set<Int32> { request.stopTokens }
        var tokenizationSeconds: Double { request.tokenizationSeconds }
        var cache: ConversationCache? { request.cache }

        public mutating func next() async throws -> GenerationEvent? { try step() }

        public mutating func next(isolation actor: isolated (any Actor)?) async throws(any Error) -> GenerationEvent? {
            try step()
        }

        /// One step: prefill + first token, or decode the previous token + sample the next.
        mutating func step() throws -> GenerationEvent? {
            guard !finished else { return nil }
            let model = generator.model
            let clock = DispatchTime.now
            let logits: Tensor
            if !started {
                started = true
                var timing = GenerationTiming()
                timing.tokenizationSeconds = tokenizationSeconds
                timing.promptTokens = prompt.count
                generator.timing = timing
                guard maxTokens > 0 else { return finish(.maxTokens) }
                let t0 = clock().uptimeNanoseconds
                if let cache {
                    guard cache.model === model else {
                        throw ModelError.invalidParameter(
                            name: "cache", reason: "the conversation cache wraps another model")
                    }
                    let reused = try cache.prepare(prompt).reused
                    generator.timing.reusedPromptTokens = reused
                    defer { cache.record(prompt[reused...]) }
                    logits = try model.prefill(Array(prompt[reused...]))
                } else {
                    model.reset()
                    logits = try model.prefill(prompt)
                }
                generator.timing.prefillSeconds = Double(clock().uptimeNanoseconds - t0) * 1e-9
            } else {
                guard model.position < model.contextLength else { return finish(.contextFull) }
                let t0 = clock().uptimeNanoseconds
                defer { cache?.record(lastToken) }
                logits = try model.decode(lastToken)
                generator.timing.decodeSeconds += Double(clock().uptimeNanoseconds - t0) * 1e-9
                generator.timing.decodeSteps += 1
            }
            let t1 = clock().uptimeNanoseconds
            let token = try generator.sampler.sample(logits, backend: model.backend)
            let t2 = clock().uptimeNanoseconds
            generator.timing.samplingSeconds += Double(t2 - t1) * 1e-9
            let index = generator.timing.generatedTokens
            if index == 0 {
                generator.timing.timeToFirstToken = generator.timing.prefillSeconds + Double(t2 - t1) * 1e-9
            }
            generator.timing.generatedTokens += 1
            lastToken = token
            var text = decoder.append(token)
            let isStop = stopTokens.contains(token)
            if isStop || generator.timing.generatedTokens >= maxTokens {
                text += decoder.finish()
                _ = finish(isStop ? .stopToken(token) : .maxTokens)
            }
            return GenerationEvent(index: index, token: token, text: text, isStop: isStop)
        }

        mutating func finish(_ reason: GenerationStopReason) -> GenerationEvent? {
            finished = true
            generator.timing.stopReason = reason
            return nil
        }
    }
}
