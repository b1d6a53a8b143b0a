import Foundation
import Hummingbird
import OSSCore
import OSSTokenizer

extension OSSServer {
    /// `POST /v1/chat/completions`: the prompt from the messages in the model's chat format. Harmony (gpt-oss): the
    /// turn split into `reasoning_content`, `content` and `tool_calls`; a text chat format (Llama family): the turn is
    /// `content`, and tools, tool messages and `reasoning_effort` get a 400. SSE deltas in the same split when
    /// `stream` is true.
    func chatCompletions(_ body: [UInt8]) async throws -> Response {
        let chat = try chatRenderer()
        let request = try ChatCompletionsRequest(body: body, modelID: configuration.modelID, format: chat.format)
        let (stream, includeUsage, stops) = (request.stream, request.includeUsage, request.stops)
        let prompt = chatPrompt(request, chat)
        let (ticket, _) = try submit(
            prompt: prompt, sampling: request.sampling, maxTokens: request.maxTokens,
            stopTokens: chat.stopTokens)
        let id = Self.newID("chatcmpl-")
        let created = Int(Date().timeIntervalSince1970)
        let model = configuration.modelID

        let chunk: @Sendable (_ delta: JSONValue, _ finish: String?) -> JSONValue = { delta, finish in
            .make([
                "id": .string(id), "object": .string("chat.completion.chunk"), "created": .integer(created),
                "model": .string(model),
                "choices": .array([
                    .make([
                        "index": .integer(0), "delta": delta,
                        "finish_reason": finish.map(JSONValue.string) ?? .null,
                    ])
                ]),
            ])
        }

        if stream {
            return Self.eventStream { send in
                var turn = ChatTurn(chat: chat, stops: stops)
                try await send(chunk(.make(["role": .string("assistant"), "content": .string("")]), nil))
                let outcome = try await self.drive(ticket, promptTokens: prompt.count) { token in
                    if let d = turn.process(token) { try await send(chunk(Self.deltaJSON(d, turn), nil)) }
                    return !turn.stop.stopped
                }
                for d in turn.finish() { try await send(chunk(Self.deltaJSON(d, turn), nil)) }
                if let error = outcome.error { throw error }
                try await send(chunk(.make([:]), outcome.finishReason(toolCall: !turn.calls.isEmpty)))
                if includeUsage {
                    try await send(
                        .make([
                            "id": .string(id), "object": .string("chat.completion.chunk"),
                            "created": .integer(created), "model": .string(model),
                            "choices": .array([]), "usage": outcome.usage,
                        ]))
                }
            }
        }

        var turn = ChatTurn(chat: chat, stops: stops)
        let outcome = await drive(ticket, promptTokens: prompt.count) { token in
            _ = turn.process(token)
            return !turn.stop.stopped
        }
        _ = turn.finish()
        if let error = outcome.error { throw error }
        let calls: [JSONValue] = turn.calls.map { call in
            .make([
                "id": .string(call.id), "type": .string("function"),
                "function": .make(["name": .string(call.name), "arguments": .string(call.arguments)]),
            ])
        }
        let message = JSONValue.make([
            "role": .string("assistant"),
            "content": turn.content.isEmpty && !calls.isEmpty ? .null : .string(turn.content),
            "reasoning_content": turn.reasoning.isEmpty ? nil : .string(turn.reasoning),
            "tool_calls": calls.isEmpty ? nil : .array(calls),
        ])
        return Self.json(
            .make([
                "id": .string(id), "object": .string("chat.completion"), "created": .integer(created),
                "model": .string(model),
                "choices": .array([
                    .make([
                        "index": .integer(0), "message": message,
                        "finish_reason": .string(outcome.finishReason(toolCall: !calls.isEmpty)),
                    ])
                ]),
                "usage": outcome.usage,
            ]))
    }

    /// A chat-completion chunk's `delta` for one harmony delta.
    static func deltaJSON(_ delta: HarmonyChatDelta, _ turn: ChatTurn) -> JSONValue {
        switch delta {
        case .content(let text): return .make(["content": .string(text)])
        case .reasoning(let text): return .make(["reasoning_content": .string(text)])
        case .toolCallStarted(let index, let name):
            return .make([
                "tool_calls": .array([
                    .make([
                        "index": .integer(index), "id": .string(turn.calls[index].id), "type": .string("function"),
                        "function": .make(["name": .string(name), "arguments": .string("")]),
                    ])
                ])
            ])
        case .toolCallArguments(let index, let text):
            return .make([
                "tool_calls": .array([
                    .make([
                        "index": .integer(index), "function": .make(["arguments": .string(text)]),
                    ])
                ])
            ])
        }
    }

    /// The chat renderer, or the 400 of a model without a chat format.
    func chatRenderer() throws -> ChatRenderer {
        guard let chat else {
            throw APIError.invalid(
                "this model has no chat format (its GGUF has no recognised chat template): use "
                    + "/v1/completions, or start the server with --chat-format", param: "messages",
                code: "no_chat_format")
        }
        return chat
    }

    /// The prompt a chat-completions request (decoded for `chat`'s format) renders to.
    func chatPrompt(_ request: ChatCompletionsRequest, _ chat: ChatRenderer) -> [Int32] {
        if let harmony = chat.harmony, let conversation = request.conversation {
            return harmony.renderPrompt(conversation)
        }
        return chat.prompt(request.textMessages ?? [])
    }

    /// The prompt a chat-completions request body renders to (what the server prefills for it); throws the
    /// `APIError` the server would answer with.
    public func chatPrompt(requestBody: [UInt8]) throws -> [Int32] {
        let chat = try chatRenderer()
        return chatPrompt(
            try ChatCompletionsRequest(
                body: requestBody, modelID: configuration.modelID,
                format: chat.format), chat)
    }
}
