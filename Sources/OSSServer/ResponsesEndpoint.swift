import Foundation
import Hummingbird
import OSSCore
import OSSTokenizer

extension OSSServer {
    /// `POST /v1/responses` (harmony-native): `input` items (messages, `reasoning`, `function_call`,
    /// `function_call_output`), `instructions`, `reasoning.effort`, function `tools`, `max_output_tokens`. The output
    /// lists a `reasoning` item (analysis), `function_call` items (commentary to functions.NAME) and a `message`
    /// (final), in the order the model wrote them; `stream: true` sends them as Responses API events. Models in a text
    /// chat format (Llama family) get a 400: the API's items are harmony's.
    func responses(_ body: [UInt8]) async throws -> Response {
        let request = try ResponsesRequest(body: body, modelID: configuration.modelID)
        guard let chat, let renderer = chat.harmony else {
            throw APIError.invalid(
                "/v1/responses needs the harmony chat format (gpt-oss models); this model's chat "
                    + "format is \(chat.map { "'\($0.format.rawValue)'" } ?? "none"): use "
                    + "/v1/chat/completions or /v1/completions", code: "unsupported_model")
        }
        let stream = request.stream
        let prompt = renderer.renderPrompt(request.conversation)
        let (ticket, _) = try submit(
            prompt: prompt, sampling: request.sampling, maxTokens: request.maxTokens,
            stopTokens: renderer.stopTokens)
        let id = Self.newID("resp_")
        let created = Int(Date().timeIntervalSince1970)
        let model = configuration.modelID
        typealias Build =
            @Sendable (_ status: String, _ output: [JSONValue], _ outcome: GenerationOutcome?)
            -> JSONValue
        let response: Build = { status, output, outcome in
            .make([
                "id": .string(id), "object": .string("response"), "created_at": .integer(created),
                "model": .string(model), "status": .string(status),
                "incomplete_details": status == "incomplete" ? .make(["reason": .string("max_output_tokens")]) : .null,
                "output": .array(output),
                "usage": outcome.map { o in
                    .make([
                        "input_tokens": .integer(o.promptTokens), "output_tokens": .integer(o.generatedTokens),
                        "total_tokens": .integer(o.promptTokens + o.generatedTokens),
                    ])
                } ?? .null,
            ])
        }
        /// Runs the job, passing every event to `send`; returns the final response.
        let run: @Sendable (_ send: (JSONValue) async throws -> Void) async throws -> JSONValue = { send in
            var turn = ChatTurn(chat: chat, stops: [])
            var events = ResponsesEventStream(response: response("in_progress", [], nil))
            for e in events.start() { try await send(e) }
            let outcome = try await self.drive(ticket, promptTokens: prompt.count) { token in
                if let d = turn.process(token) {
                    for e in events.apply(d, callID: turn.calls.last?.id) { try await send(e) }
                }
                return true
            }
            for d in turn.finish() { for e in events.apply(d, callID: turn.calls.last?.id) { try await send(e) } }
            if let error = outcome.error { throw error }
            var final = JSONValue.null
            let status = outcome.finishReason(toolCall: false) == "length" ? "incomplete" : "completed"
            for e in events.finish({ output in
                final = response(status, output, outcome)
                return ("response.\(status)", final)
            }) { try await send(e) }
            return final
        }
        if stream { return Self.eventStream { send in _ = try await run(send) } }
        return Self.json(try await run { _ in })
    }

    /// `input`: a string (one user message) or an array of items.
    static func responsesInput(
        _ fields: RequestFields, into conversation: inout HarmonyConversation,
        instructions: inout [String]
    ) throws {
        guard let input = fields["input"] else { throw APIError.invalid("'input' is required", param: "input") }
        if let text = input.stringValue {
            conversation.messages.append(.user(text))
            return
        }
        guard let items = input.arrayValue, !items.isEmpty else {
            throw APIError.invalid("'input' must be a string or a non-empty array of items", param: "input")
        }
        var callNames: [String: String] = [:]
        for (i, item) in items.enumerated() {
            let place = "input[\(i)]"
            switch item["type"]?.stringValue ?? (item["role"] != nil ? "message" : "") {
            case "message":
                let text = try RequestFields.text(item["content"], where: place)
                switch item["role"]?.stringValue {
                case "user"?: conversation.messages.append(.user(text))
                case "system"?, "developer"?: instructions.append(text)
                case "assistant"?: conversation.messages.append(.assistant(text, channel: "final"))
                default:
                    throw APIError.invalid(
                        "\(place): 'role' must be user, system, developer or assistant",
                        param: "input")
                }
            case "reasoning":
                let text = (item["content"]?.arrayValue ?? []).compactMap { $0["text"]?.stringValue }.joined()
                conversation.messages.append(.assistant(text, channel: "analysis"))
            case "function_call":
                guard let name = item["name"]?.stringValue, HarmonyRequest.isFunctionName(name),
                    let arguments = item["arguments"]?.stringValue
                else {
                    throw APIError.invalid(
                        "\(place): a function_call needs 'name' (an identifier) and 'arguments'",
                        param: "input")
                }
                if let id = item["call_id"]?.stringValue { callNames[id] = name }
                conversation.messages.append(HarmonyRequest.toolCall(name: name, arguments: arguments))
            case "function_call_output":
                guard let id = item["call_id"]?.stringValue, let name = callNames[id] else {
                    throw APIError.invalid("\(place): 'call_id' names no earlier function_call", param: "input")
                }
                let output = item["output"]?.stringValue ?? item["output"]?.serialized ?? ""
                conversation.messages.append(.toolResult("functions.\(name)", output))
            default:
                throw APIError.invalid("\(place): unsupported item type", param: "input")
            }
        }
    }
}
