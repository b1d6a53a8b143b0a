import OSSCore
import OSSTokenizer

/// OpenAI chat / responses request bodies → a harmony conversation (gpt-oss.md §5).
///
/// `system` and `developer` messages become the developer instructions (harmony's system message carries identity,
/// reasoning effort and channels); function tools become `namespace functions`; assistant `reasoning_content` is an
/// `analysis` message, `content` a `final` one (a `commentary` preamble when the message also calls tools), each
/// tool call a `commentary` message to `functions.NAME` with `<|constrain|>json`; a `tool` message answers the call
/// whose id it names.
enum HarmonyRequest {
    /// `tools: [{type: "function", function: {name, description, parameters}}]` (chat) or
    /// `[{type: "function", name, description, parameters}]` (responses).
    static func functionTools(_ tools: [JSONValue]?) throws -> [HarmonyFunctionTool] {
        try (tools ?? []).enumerated().map { i, tool in
            guard tool["type"]?.stringValue == "function" else {
                throw APIError.invalid("tools[\(i)]: only tools of type 'function' are supported", param: "tools")
            }
            let f = tool["function"] ?? tool
            guard let name = f["name"]?.stringValue, isFunctionName(name) else {
                throw APIError.invalid("tools[\(i)]: 'name' must be a non-empty identifier", param: "tools")
            }
            if let p = f["parameters"], !p.isNull, p.objectValue == nil {
                throw APIError.invalid("tools[\(i)]: 'parameters' must be a JSON Schema object", param: "tools")
            }
            return HarmonyFunctionTool(
                name: name, description: f["description"]?.stringValue ?? "",
                parametersSchema: f["parameters"])
        }
    }

    static func effort(_ text: String?, param: String) throws -> ReasoningEffort {
        guard let text else { return .medium }
        guard let e = ReasoningEffort(rawValue: text) else {
            throw APIError.invalid("'\(param)' must be low, medium or high, got '\(text)'", param: param)
        }
        return e
    }

    /// A chat completions request's conversation.
    static func chat(_ fields: RequestFields) throws -> HarmonyConversation {
        guard let messages = try fields.array("messages"), !messages.isEmpty else {
            throw APIError.invalid("'messages' must be a non-empty array", param: "messages")
        }
        let reasoning = try effort(try fields.string("reasoning_effort"), param: "reasoning_effort")
        var conversation = HarmonyConversation(system: HarmonySystemContent(reasoning: reasoning))
        let tools = try functionTools(try fields.array("tools"))
        if try fields.toolsWanted() { conversation.functionTools = tools }
        var instructions: [String] = []
        var callNames: [String: String] = [:]
        for (i, m) in messages.enumerated() {
            let place = "messages[\(i)]"
            guard let role = m["role"]?.stringValue else {
                throw APIError.invalid("\(place): 'role' must be a string", param: "messages")
            }
            switch role {
            case "system", "developer":
                instructions.append(try RequestFields.text(m["content"], where: place))
            case "user":
                conversation.messages.append(.user(try RequestFields.text(m["content"], where: place)))
            case "assistant":
                let reasoning = m["reasoning_content"]?.stringValue ?? m["reasoning"]?.stringValue
                if let reasoning, !reasoning.isEmpty {
                    conversation.messages.append(.assistant(reasoning, channel: "analysis"))
                }
                let content = try RequestFields.text(m["content"], where: place)
                let calls = m["tool_calls"]?.arrayValue ?? []
                if !content.isEmpty {
                    conversation.messages.append(.assistant(content, channel: calls.isEmpty ? "final" : "commentary"))
                }
                for (j, call) in calls.enumerated() {
                    guard let f = call["function"], let name = f["name"]?.stringValue, isFunctionName(name) else {
                        throw APIError.invalid(
                            "\(place).tool_calls[\(j)]: 'function.name' must be a non-empty "
                                + "identifier", param: "messages")
                    }
                    let arguments = f["arguments"]?.stringValue ?? "{}"
                    if let id = call["id"]?.stringValue { callNames[id] = name }
                    conversation.messages.append(toolCall(name: name, arguments: arguments))
                }
                if content.isEmpty && calls.isEmpty && conversation.messages.last?.channel != "analysis" {
                    throw APIError.invalid(
                        "\(place): an assistant message needs content or tool_calls",
                        param: "messages")
                }
            case "tool":
                let id = m["tool_call_id"]?.stringValue
                guard let name = id.flatMap({ callNames[$0] }) ?? m["name"]?.stringValue, isFunctionName(name) else {
                    throw APIError.invalid("\(place): 'tool_call_id' names no earlier tool call", param: "messages")
                }
                let result = try RequestFields.text(m["content"], where: place)
                conversation.messages.append(.toolResult("functions.\(name)", result))
            default:
                throw APIError.invalid("\(place): unknown role '\(role)'", param: "messages")
            }
        }
        guard conversation.messages.contains(where: { $0.role != "assistant" }) || !instructions.isEmpty else {
            throw APIError.invalid("'messages' holds no user, system or tool message", param: "messages")
        }
        if !instructions.isEmpty { conversation.instructions = instructions.joined(separator: "\n\n") }
        return conversation
    }

    /// An assistant tool call as harmony writes it.
    /// A function name harmony's `to=functions.NAME` header can carry: non-empty letters, digits, `_` and `-` (a
    /// space or `<|` would break the header: the server-request fuzz target found a `function_call` item that did).
    static func isFunctionName(_ name: String) -> Bool {
        !name.isEmpty && name.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }
    }

    static func toolCall(name: String, arguments: String) -> HarmonyMessage {
        HarmonyMessage(
            role: "assistant", content: arguments, channel: "commentary", recipient: "functions.\(name)",
            contentType: "<|constrain|>json")
    }
}

extension OSSServer {
    /// The harmony prompt a chat-completions request body renders to (what a gpt-oss server prefills for it);
    /// throws the `APIError` the server would answer with.
    public static func harmonyPrompt(requestBody: [UInt8], renderer: HarmonyRenderer) throws -> [Int32] {
        renderer.renderPrompt(try HarmonyRequest.chat(try RequestFields(requestBody)))
    }
}
