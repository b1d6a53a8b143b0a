/// One piece of an assistant turn as OpenAI-style chat APIs show it.
public enum HarmonyChatDelta: Equatable, Sendable {
    /// Text of the `analysis` channel (`reasoning_content`).
    case reasoning(String)
    /// Text for the user: the `final` channel, or a `commentary` preamble addressed to no tool (`content`).
    case content(String)
    /// A tool call began: a message to `functions.NAME` (or another tool); `index` counts the turn's calls from 0.
    case toolCallStarted(index: Int, name: String)
    /// Arguments text of tool call `index` (a JSON string when the model used `<|constrain|>json`).
    case toolCallArguments(index: Int, String)
}

/// Splits generated harmony tokens of an assistant turn into reasoning, content and tool calls, token by token
/// (the streaming split equals the non-streaming one: concatenating the deltas gives `reasoning`, `content`,
/// `toolCalls`).
///
/// Output that breaks the harmony grammar (an untrained model, a cut-off turn) is not lost: from the first token the
/// parser rejects, and for a header still open when the turn ends (`finish()`), the raw text becomes content.
public struct HarmonyChatStream: Sendable {
    /// A function call of the turn.
    public struct ToolCall: Equatable, Sendable {
        public var name: String
        public var arguments: String
    }

    private var parser: HarmonyStreamParser
    private var raw: StreamingDecoder
    /// Raw text of the current header, flushed as content if the grammar breaks or the turn ends inside it.
    private var pendingHeader = ""
    private var current: HarmonyChatDelta?
    private var isRaw = false
    public private(set) var reasoning = ""
    public private(set) var content = ""
    public private(set) var toolCalls: [ToolCall] = []
    /// Whether the turn ended with `<|call|>` (the model waits for tool output).
    public private(set) var endedWithCall = false
    /// Whether a message ended with `<|return|>` or `<|call|>` (the turn is over).
    public private(set) var turnEnded = false

    /// Parses a turn whose prompt ended with `<|start|>assistant`.
    public init(renderer: HarmonyRenderer) {
        parser = HarmonyStreamParser(renderer: renderer, role: "assistant")
        raw = StreamingDecoder(tokenizer: renderer.tokenizer)
    }

    /// Feeds one generated token; returns what it added, if anything.
    public mutating func process(_ id: Int32) -> HarmonyChatDelta? {
        let text = raw.append(id)
        if isRaw { return addContent(text.isEmpty ? nil : text) }
        let event: HarmonyStreamEvent
        do {
            event = try parser.process(id)
        } catch {
            isRaw = true
            let flushed = pendingHeader + text
            pendingHeader = ""
            return addContent(flushed.isEmpty ? nil : flushed)
        }
        switch event {
        case .none:
            pendingHeader += text
            return nil
        case .messageStarted(let m):
            pendingHeader = ""
            if let recipient = m.recipient, recipient != "all", m.role == "assistant" {
                let prefix = "functions."
                let name = recipient.hasPrefix(prefix) ? String(recipient.dropFirst(prefix.count)) : recipient
                toolCalls.append(ToolCall(name: name, arguments: ""))
                current = .toolCallArguments(index: toolCalls.count - 1, "")
                return .toolCallStarted(index: toolCalls.count - 1, name: name)
            }
            current = m.channel == "analysis" ? .reasoning("") : .content("")
            return nil
        case .content(let piece):
            guard !piece.isEmpty, let current else { return nil }
            switch current {
            case .reasoning:
                reasoning += piece
                return .reasoning(piece)
            case .toolCallArguments(let index, _):
                toolCalls[index].arguments += piece
                return .toolCallArguments(index: index, piece)
            default:
                content += piece
                return .content(piece)
            }
        case .messageEnded(_, let endsTurn):
            current = nil
            if endsTurn {
                turnEnded = true
                endedWithCall = id == parser.renderer.call
            }
            return nil
        }
    }

    /// Ends the turn: text still held (an unfinished header, a split UTF-8 character) becomes content.
    public mutating func finish() -> HarmonyChatDelta? {
        let rest = (isRaw || current == nil ? pendingHeader : "") + raw.finish()
        pendingHeader = ""
        guard isRaw || current == nil else { return nil }
        return addContent(rest.isEmpty ? nil : rest)
    }

    private mutating func addContent(_ text: String?) -> HarmonyChatDelta? {
        guard let text else { return nil }
        content += text
        return .content(text)
    }
}
