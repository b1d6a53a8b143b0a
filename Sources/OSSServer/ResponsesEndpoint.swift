import Foundation
import Hummingbird
import OSSCore
import OSSTokenizer

extension OSSServer {
    /// `POST /v1/responses` (harmony-native): `input` items (messages, `reasoning`, `function_call`,
    /// `function_call_output`), `instructions`, `reasoning.effort`, function `tools`, `max_output_tokens`. The output
    /// lists a `reasoning` item (analysis), `function_call` items (commentary to functions.NAME) and a `message`
    /// (final). Streaming is not offered on this endpoint (400): use chat completions for streams.
    func responses(_ body: [UInt8]) async throws -> Response {
        let fields = try RequestFields(body)
        try fields.checkModel(configuration.modelID)
        if try fields.bool("stream") == true {
            throw APIError.invalid("'stream' is not supported on /v1/responses; use /v1/chat/completions",
                                   param: "stream")
        }
        let effort = fields["reasoning"]?["effort"]
        if let e = effort, e.stringValue == nil {
            throw APIError.invalid("'reasoning.effort' must be a string", param: "reasoning.effort")
        }
        let reasoning = try HarmonyRequest.effort(effort?.stringValue, param: "reasoning.effort")
        var conversation = HarmonyConversation(system: HarmonySystemContent(reasoning: reasoning))
        conversation.functionTools = try HarmonyRequest.functionTools(try fields.array("tools"))
        var instructions: [String] = []
        if let i = try fields.string("instructions") { instructions.append(i) }
        try Self.responsesInput(fields, into: &conversation, instructions: &instructions)
        if !instructions.isEmpty { conversation.instructions = instructions.joined(separator: "\n\n") }
        let maxTokens = try fields.integer("max_output_tokens", in: 1...Int(Int32.max))
        let sampling = try fields.sampling(defaultSeed: UInt64.random(in: 0...UInt64.max))
        let prompt = renderer.renderPrompt(conversation)
        let (ticket, _) = try submit(prompt: prompt, sampling: sampling, maxTokens: maxTokens,
                                     stopTokens: renderer.stopTokens)
        var turn = ChatTurn(renderer: renderer, stops: [])
        let outcome = await drive(ticket, promptTokens: prompt.count) { token in
            _ = turn.process(token)
            return true
        }
        _ = turn.finish()
        if let error = outcome.error { throw error }
        var output: [JSONValue] = []
        if !turn.reasoning.isEmpty {
            output.append(.make(["type": .string("reasoning"), "id": .string(Self.newID("rs_")),
                                 "summary": .array([]),
                                 "content": .array([.make(["type": .string("reasoning_text"),
                                                           "text": .string(turn.reasoning)])])]))
        }
        for call in turn.calls {
            output.append(.make(["type": .string("function_call"), "id": .string(Self.newID("fc_")),
                                 "call_id": .string(call.id), "name": .string(call.name),
                                 "arguments": .string(call.arguments), "status": .string("completed")]))
        }
        if !turn.content.isEmpty || turn.calls.isEmpty {
            output.append(.make(["type": .string("message"), "id": .string(Self.newID("msg_")),
                                 "role": .string("assistant"), "status": .string("completed"),
                                 "content": .array([.make(["type": .string("output_text"),
                                                           "text": .string(turn.content),
                                                           "annotations": .array([])])])]))
        }
        let incomplete = outcome.finishReason(toolCall: false) == "length"
        return Self.json(.make([
            "id": .string(Self.newID("resp_")), "object": .string("response"),
            "created_at": .integer(Int(Date().timeIntervalSince1970)), "model": .string(configuration.modelID),
            "status": .string(incomplete ? "incomplete" : "completed"),
            "incomplete_details": incomplete ? .make(["reason": .string("max_output_tokens")]) : .null,
            "output": .array(output),
            "usage": .make(["input_tokens": .integer(outcome.promptTokens),
                            "output_tokens": .integer(outcome.generatedTokens),
                            "total_tokens": .integer(outcome.promptTokens + outcome.generatedTokens)]),
        ]))
    }

    /// `input`: a string (one user message) or an array of items.
    static func responsesInput(_ fields: RequestFields, into conversation: inout HarmonyConversation,
                               instructions: inout [String]) throws {
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
                let text = try HarmonyRequest.text(item["content"], where: place)
                switch item["role"]?.stringValue {
                case "user"?: conversation.messages.append(.user(text))
                case "system"?, "developer"?: instructions.append(text)
                case "assistant"?: conversation.messages.append(.assistant(text, channel: "final"))
                default:
                    throw APIError.invalid("\(place): 'role' must be user, system, developer or assistant",
                                           param: "input")
                }
            case "reasoning":
                let text = (item["content"]?.arrayValue ?? []).compactMap { $0["text"]?.stringValue }.joined()
                conversation.messages.append(.assistant(text, channel: "analysis"))
            case "function_call":
                guard let name = item["name"]?.stringValue, let arguments = item["arguments"]?.stringValue else {
                    throw APIError.invalid("\(place): a function_call needs 'name' and 'arguments'", param: "input")
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
