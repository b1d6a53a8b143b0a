import Foundation
import Hummingbird
import OSSCore
import OSSTokenizer

extension OSSServer {
    /// `POST /v1/completions`: raw text continuation of `prompt` (a string — BOS first when the tokenizer adds one —
    /// or an array of token ids); generation stops at an end-of-generation token (`completionStopTokens`: harmony's
    /// `<|return|>`, `<|call|>`, `<|endoftext|>`; a GGUF model's EOS / EOT / end-of-turn tokens), a stop string or
    /// `max_tokens` (default 16, as OpenAI's).
    func completions(_ body: [UInt8]) async throws -> Response {
        let request = try CompletionsRequest(
            body: body, modelID: configuration.modelID, tokenizer: tokenizer,
            vocabularySize: engine.model.vocabSize)
        let (prompt, stream) = (request.prompt, request.stream)
        let (includeUsage, stops) = (request.includeUsage, request.stops)
        let stopTokens = completionStopTokens
        let (ticket, _) = try submit(
            prompt: prompt, sampling: request.sampling, maxTokens: request.maxTokens,
            stopTokens: stopTokens)
        let id = Self.newID("cmpl-")
        let created = Int(Date().timeIntervalSince1970)
        let model = configuration.modelID
        let tokenizer = self.tokenizer

        let object: @Sendable (_ text: String, _ finish: String?, _ usage: JSONValue?) -> JSONValue = {
            text, finish, usage in
            .make([
                "id": .string(id), "object": .string("text_completion"), "created": .integer(created),
                "model": .string(model),
                "choices": .array([
                    .make([
                        "index": .integer(0), "text": .string(text), "logprobs": .null,
                        "finish_reason": finish.map(JSONValue.string) ?? .null,
                    ])
                ]),
                "usage": usage,
            ])
        }

        if stream {
            return Self.eventStream { send in
                var text = CompletionText(tokenizer: tokenizer, stops: stops, stopTokens: stopTokens)
                let outcome = try await self.drive(ticket, promptTokens: prompt.count) { token in
                    let piece = text.append(token)
                    if !piece.isEmpty { try await send(object(piece, nil, nil)) }
                    return !text.stop.stopped
                }
                let rest = text.finish()
                if !rest.isEmpty { try await send(object(rest, nil, nil)) }
                if let error = outcome.error { throw error }
                try await send(object("", outcome.finishReason(toolCall: false), includeUsage ? outcome.usage : nil))
            }
        }
        var text = CompletionText(tokenizer: tokenizer, stops: stops, stopTokens: stopTokens)
        var all = ""
        let outcome = await drive(ticket, promptTokens: prompt.count) { token in
            all += text.append(token)
            return !text.stop.stopped
        }
        all += text.finish()
        if let error = outcome.error { throw error }
        return Self.json(object(all, outcome.finishReason(toolCall: false), outcome.usage))
    }
}

/// Generated tokens as completion text: stop tokens not shown, stop strings cut.
struct CompletionText {
    var text: GeneratedText
    var stop: StopMatcher

    init(tokenizer: Tokenizer, stops: [String], stopTokens: Set<Int32>) {
        text = GeneratedText(tokenizer: tokenizer, hidden: stopTokens)
        stop = StopMatcher(stops)
    }

    mutating func append(_ token: Int32) -> String { stop.feed(text.append(token)) }

    mutating func finish() -> String { stop.feed(text.finish()) + stop.flush() }
}
