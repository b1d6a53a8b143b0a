/// Renders harmony messages and conversations to token ids (gpt-oss.md §5).
///
/// Each text part (role, ` to=…`, channel, content type, content) is tokenized on its own as ordinary text, between
/// the control tokens, as openai-harmony does.
public struct HarmonyRenderer: Sendable {
    public let tokenizer: Tokenizer
    let start: Int32, end: Int32, message: Int32, channel: Int32, constrain: Int32, call: Int32, returnToken: Int32

    /// Throws `unknownSpecialToken` when the tokenizer lacks a harmony control token.
    public init(tokenizer: Tokenizer) throws {
        self.tokenizer = tokenizer
        start = try tokenizer.specialID(SpecialToken.start.name)
        end = try tokenizer.specialID(SpecialToken.end.name)
        message = try tokenizer.specialID(SpecialToken.message.name)
        channel = try tokenizer.specialID(SpecialToken.channel.name)
        constrain = try tokenizer.specialID(SpecialToken.constrain.name)
        call = try tokenizer.specialID(SpecialToken.call.name)
        returnToken = try tokenizer.specialID(SpecialToken.returnToken.name)
    }

    /// Stop tokens for sampling an assistant turn: `<|return|>` and `<|call|>` (not `<|end|>`).
    public var stopTokens: Set<Int32> { [returnToken, call] }

    /// Appends one message. It ends with `<|call|>` when it is an assistant tool call, else `<|end|>` (a history
    /// `final` message ends with `<|end|>`, not the `<|return|>` the model produced).
    public func render(_ m: HarmonyMessage, into out: inout [Int32]) {
        out.append(start)
        renderHeader(
            role: m.role, name: m.name, recipient: m.recipient, channel: m.channel, contentType: m.contentType,
            into: &out)
        out.append(message)
        out += tokenizer.encode(m.content)
        out.append(m.isToolCall ? call : end)
    }

    private func renderHeader(
        role: String, name: String?, recipient: String?, channel ch: String?, contentType: String?,
        into out: inout [Int32]
    ) {
        out += tokenizer.encode(role)
        if let name { out += tokenizer.encode(":\(name)") }
        if let recipient, recipient != "all" { out += tokenizer.encode(" to=\(recipient)") }
        if let ch {
            out.append(channel)
            out += tokenizer.encode(ch)
        }
        if let contentType {
            if contentType.hasPrefix(SpecialToken.constrain.name) {
                out += tokenizer.encode(" ")
                out.append(constrain)
                let rest = String(contentType.dropFirst(SpecialToken.constrain.name.count))
                if !rest.isEmpty { out += tokenizer.encode(rest) }
            } else {
                out += tokenizer.encode(" \(contentType)")
            }
        }
    }

    /// The prompt for the assistant's next turn: system, developer (if any), the history (analysis of finished turns
    /// dropped), then `<|start|>assistant`.
    public func renderPrompt(_ conversation: HarmonyConversation) -> [Int32] {
        var out: [Int32] = []
        render(HarmonyMessage(role: "system", content: conversation.systemText), into: &out)
        if let developer = conversation.developerText {
            render(HarmonyMessage(role: "developer", content: developer), into: &out)
        }
        for m in conversation.messagesForPrompt { render(m, into: &out) }
        out.append(start)
        out += tokenizer.encode("assistant")
        return out
    }
}
