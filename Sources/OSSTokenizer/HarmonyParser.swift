/// Errors of parsing generated harmony tokens.
public enum HarmonyError: Error, Equatable, CustomStringConvertible {
    /// A control token where the grammar does not allow it (token id, what the parser expected).
    case unexpectedToken(id: Int32, expected: String)
    /// A header with no role or channel text that cannot be read.
    case malformedHeader(String)
    /// The tokens ended inside a message (partial message's header text).
    case truncated(String)

    public var description: String {
        switch self {
        case .unexpectedToken(let id, let expected): return "harmony: unexpected token \(id), expected \(expected)"
        case .malformedHeader(let h): return "harmony: malformed message header '\(h)'"
        case .truncated(let h): return "harmony: tokens end inside a message ('\(h)')"
        }
    }
}

/// What one token did to the message being parsed.
public enum HarmonyStreamEvent: Equatable, Sendable {
    /// The token belongs to a header or is `<|start|>`: nothing to show yet.
    case none
    /// A header was completed by `<|message|>`: role, channel, recipient and content type are known.
    case messageStarted(HarmonyMessage)
    /// New content text of the current message (may be empty while a UTF-8 character is split across tokens).
    case content(String)
    /// The message ended (`<|end|>`, `<|return|>` or `<|call|>`); `endsTurn` for `<|return|>` / `<|call|>`.
    case messageEnded(HarmonyMessage, endsTurn: Bool)
}

/// Incremental parser of generated harmony tokens into messages with role, channel, recipient and content.
///
/// Accepts ` to=` before or after the channel and ` <|constrain|>json` / ` json` content types. Starts inside the
/// header of an assistant message (the prompt ends with `<|start|>assistant`) unless told otherwise.
public struct HarmonyStreamParser: Sendable {
    enum State: Sendable { case expectStart, header, content }
    let renderer: HarmonyRenderer
    private var state: State
    /// Header text so far, with control tokens spelled by name.
    private var header = ""
    private var current = HarmonyMessage(role: "", content: "")
    private var decoder: StreamingDecoder
    /// Completed messages in order.
    public private(set) var messages: [HarmonyMessage] = []

    /// - Parameter role: the role the prompt already opened (`<|start|>assistant`), or nil to expect `<|start|>` first.
    public init(renderer: HarmonyRenderer, role: String? = "assistant") {
        self.renderer = renderer
        decoder = StreamingDecoder(tokenizer: renderer.tokenizer)
        if let role {
            state = .header
            header = role
        } else {
            state = .expectStart
        }
    }

    /// Feeds one generated token.
    public mutating func process(_ id: Int32) throws -> HarmonyStreamEvent {
        switch state {
        case .expectStart:
            guard id == renderer.start else { throw HarmonyError.unexpectedToken(id: id, expected: "<|start|>") }
            state = .header
            header = ""
            return .none
        case .header:
            if id == renderer.message {
                current = try HarmonyStreamParser.parseHeader(header)
                state = .content
                return .messageStarted(current)
            }
            if id == renderer.channel {
                header += SpecialToken.channel.name
                return .none
            }
            if id == renderer.constrain {
                header += SpecialToken.constrain.name
                return .none
            }
            guard !renderer.tokenizer.isSpecial(id) else {
                throw HarmonyError.unexpectedToken(
                    id: id, expected: "header text, <|channel|>, <|constrain|> or <|message|>")
            }
            header += String(decoding: renderer.tokenizer.tokenBytes(id) ?? [], as: UTF8.self)
            return .none
        case .content:
            if id == renderer.end || id == renderer.returnToken || id == renderer.call {
                current.content += decoder.finish()
                messages.append(current)
                state = .expectStart
                return .messageEnded(current, endsTurn: id != renderer.end)
            }
            guard !renderer.tokenizer.isSpecial(id) else {
                throw HarmonyError.unexpectedToken(id: id, expected: "content, <|end|>, <|return|> or <|call|>")
            }
            let text = decoder.append(id)
            current.content += text
            return .content(text)
        }
    }

    /// Whether the parser is between messages (nothing partial).
    public var isAtMessageBoundary: Bool { state == .expectStart }

    /// Parses a complete token sequence (e.g. a generated turn) into messages.
    /// Throws when it ends inside a message or breaks the grammar.
    public static func parse(_ tokens: [Int32], renderer: HarmonyRenderer, role: String? = "assistant") throws
        -> [HarmonyMessage]
    {
        var parser = HarmonyStreamParser(renderer: renderer, role: role)
        for t in tokens { _ = try parser.process(t) }
        guard parser.isAtMessageBoundary else { throw HarmonyError.truncated(parser.header) }
        return parser.messages
    }

    /// Reads a header as openai-harmony does: `<|channel|>` + channel (up to whitespace or `<`) is cut out first;
    /// the rest, split on whitespace (`<|constrain|>` starting a new part), is role[:name], then optionally
    /// recipient (`to=R`, or a lone part) and content type (the last part when two remain, or a `<|constrain|>` part).
    static func parseHeader(_ text: String) throws -> HarmonyMessage {
        var m = HarmonyMessage(role: "", content: "")
        let channelMarker = SpecialToken.channel.name
        let constrainMarker = SpecialToken.constrain.name
        var rest = text
        if let range = rest.range(of: channelMarker) {
            let after = rest[range.upperBound...]
            let end = after.firstIndex { $0.isWhitespace || $0 == "<" } ?? after.endIndex
            guard end > after.startIndex else { throw HarmonyError.malformedHeader(text) }
            m.channel = String(after[..<end])
            rest = String(rest[..<range.lowerBound]) + String(after[end...])
        }
        rest = rest.replacingOccurrences(of: constrainMarker, with: " " + constrainMarker)
        var parts = rest.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }).map(String.init)
        guard let roleWord = parts.first, !roleWord.hasPrefix("to="), !roleWord.hasPrefix(constrainMarker) else {
            throw HarmonyError.malformedHeader(text)
        }
        parts.removeFirst()
        if let colon = roleWord.firstIndex(of: ":") {
            m.role = String(roleWord[..<colon])
            m.name = String(roleWord[roleWord.index(after: colon)...])
        } else {
            m.role = roleWord
        }
        if let last = parts.popLast() {
            if last.hasPrefix("to=") {
                m.recipient = String(last.dropFirst(3))
            } else if parts.isEmpty && !last.hasPrefix(constrainMarker) {
                m.recipient = last
            } else {
                m.contentType = last
                if let recipient = parts.popLast() {
                    m.recipient = recipient.hasPrefix("to=") ? String(recipient.dropFirst(3)) : recipient
                }
            }
        }
        guard parts.isEmpty, !m.role.isEmpty else { throw HarmonyError.malformedHeader(text) }
        return m
    }
}
