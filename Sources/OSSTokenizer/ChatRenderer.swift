/// Renders chats in one ``ChatFormat`` to prompt token ids with one tokenizer, and knows the tokens that end an
/// assistant turn. Harmony (`gpt-oss`) goes through ``HarmonyRenderer`` (system messages become the developer
/// instructions, assistant messages the `final` channel); the text formats are rendered by
/// ``ChatFormat/render(_:addAssistantPrompt:)`` and tokenized with special-token names parsed and BOS added per the
/// tokenizer's `add_bos_token`.
public struct ChatRenderer: Sendable {
    public let format: ChatFormat
    public let tokenizer: Tokenizer
    /// The harmony renderer (format `gpt-oss` only).
    public let harmony: HarmonyRenderer?
    /// The system fields of harmony prompts (reasoning effort, date); unused by the text formats.
    public var harmonySystem: HarmonySystemContent

    /// Throws when the tokenizer lacks a control token the format writes (e.g. `<|im_start|>` for chatml).
    public init(format: ChatFormat, tokenizer: Tokenizer, harmonySystem: HarmonySystemContent = HarmonySystemContent())
        throws
    {
        self.format = format
        self.tokenizer = tokenizer
        self.harmonySystem = harmonySystem
        harmony = format == .harmony ? try HarmonyRenderer(tokenizer: tokenizer) : nil
        for name in format.requiredSpecialTokens where tokenizer.specialIDs[name] == nil {
            throw ChatFormatError.missingToken(format: format.rawValue, token: name)
        }
    }

    /// Tokens that end the assistant's turn: `<|return|>` and `<|call|>` for harmony, else the tokenizer's
    /// end-of-generation set (`</s>`, `<|eot_id|>`, `<|im_end|>`, …).
    public var stopTokens: Set<Int32> { harmony?.stopTokens ?? tokenizer.endOfGeneration }

    /// The prompt for the assistant's next turn after `messages`.
    public func prompt(_ messages: [ChatMessage]) -> [Int32] {
        if let harmony {
            let system = messages.filter { $0.role == "system" || $0.role == "developer" }.map(\.content)
            let rest = messages.filter { $0.role != "system" && $0.role != "developer" }.map { m in
                m.role == "assistant"
                    ? HarmonyMessage.assistant(m.content, channel: "final")
                    : HarmonyMessage(role: m.role, content: m.content)
            }
            let conversation = HarmonyConversation(
                system: harmonySystem, instructions: system.isEmpty ? nil : system.joined(separator: "\n\n"),
                messages: rest)
            return harmony.renderPrompt(conversation)
        }
        return tokenizer.encode(format.render(messages, addAssistantPrompt: true), allowSpecial: true, addSpecial: true)
    }
}

extension ChatFormat {
    /// Control tokens the format writes that must be tokens of the vocabulary (the `[INST]` formats write text or
    /// `</s>`, which every SentencePiece vocabulary has).
    var requiredSpecialTokens: [String] {
        switch self {
        case .harmony: return []  // checked by HarmonyRenderer
        case .chatml: return ["<|im_start|>", "<|im_end|>"]
        case .llama3: return ["<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"]
        case .llama2, .llama2Sys, .llama2SysBOS, .llama2SysStrip, .mistralV1, .mistralV3, .mistralV3Tekken, .mistralV7:
            return []
        }
    }
}
