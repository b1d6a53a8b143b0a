import OSSCore
import OSSTokenizer

/// OpenAI chat messages → the `ChatMessage`s of a text chat format (Llama 2/3, ChatML, Mistral, …).
///
/// These formats carry roles and text only: `system` and `developer` messages become `system` ones, `user` and
/// `assistant` stay. What only harmony can express gets a 400 naming the parameter instead of being dropped: tools
/// (unless `tool_choice` is "none", which leaves them out), assistant tool calls, `tool` messages, assistant
/// reasoning content and `reasoning_effort`.
enum TextChatRequest {
    static func messages(_ fields: RequestFields, format: ChatFormat) throws -> [ChatMessage] {
        let unsupported =
            "needs the harmony chat format (gpt-oss); this model's chat format '\(format.rawValue)' "
            + "has no way to express it"
        guard let messages = try fields.array("messages"), !messages.isEmpty else {
            throw APIError.invalid("'messages' must be a non-empty array", param: "messages")
        }
        if let tools = try fields.array("tools"), !tools.isEmpty, try fields.toolsWanted() {
            throw APIError.invalid("'tools' \(unsupported) (tool calling)", param: "tools")
        }
        if fields["reasoning_effort"] != nil {
            throw APIError.invalid("'reasoning_effort' \(unsupported)", param: "reasoning_effort")
        }
        var out: [ChatMessage] = []
        for (i, m) in messages.enumerated() {
            let place = "messages[\(i)]"
            guard let role = m["role"]?.stringValue else {
                throw APIError.invalid("\(place): 'role' must be a string", param: "messages")
            }
            let content = try RequestFields.text(m["content"], where: place)
            switch role {
            case "system", "developer":
                out.append(.system(content))
            case "user":
                out.append(.user(content))
            case "assistant":
                if let calls = m["tool_calls"]?.arrayValue, !calls.isEmpty {
                    throw APIError.invalid("\(place): tool calls \(unsupported)", param: "messages")
                }
                if let r = m["reasoning_content"]?.stringValue ?? m["reasoning"]?.stringValue, !r.isEmpty {
                    throw APIError.invalid("\(place): reasoning content \(unsupported)", param: "messages")
                }
                out.append(.assistant(content))
            case "tool":
                throw APIError.invalid("\(place): tool messages \(unsupported)", param: "messages")
            default:
                throw APIError.invalid("\(place): unknown role '\(role)'", param: "messages")
            }
        }
        guard out.contains(where: { $0.role != "assistant" }) else {
            throw APIError.invalid("'messages' holds no user or system message", param: "messages")
        }
        return out
    }
}
