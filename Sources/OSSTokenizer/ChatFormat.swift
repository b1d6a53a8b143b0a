/// One message of a chat for the text chat formats: a role (`system`, `user`, `assistant`) and its content.
public struct ChatMessage: Equatable, Sendable {
    public var role: String
    public var content: String
    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }

    public static func system(_ text: String) -> ChatMessage { ChatMessage(role: "system", content: text) }
    public static func user(_ text: String) -> ChatMessage { ChatMessage(role: "user", content: text) }
    public static func assistant(_ text: String) -> ChatMessage { ChatMessage(role: "assistant", content: text) }
}

/// The chat prompt formats SwiftOSS renders, named as llama.cpp names its built-in templates (gguf.md §6).
///
/// `gpt-oss` is harmony (rendered by ``HarmonyRenderer``); the others are text with special-token names that the
/// tokenizer turns into ids (``ChatFormat/render(_:addAssistantPrompt:)``).
public enum ChatFormat: String, CaseIterable, Sendable {
    /// Harmony (gpt-oss).
    case harmony = "gpt-oss"
    /// `<|im_start|>role\ncontent<|im_end|>\n` (Qwen, SmolLM, …).
    case chatml
    /// `[INST] S\nU [/INST]A</s>…` (no `<<SYS>>` block).
    case llama2
    /// `[INST] <<SYS>>\nS\n<</SYS>>\n\nU [/INST]A</s>[INST] …`.
    case llama2Sys = "llama2-sys"
    /// As llama2-sys, with `<s>` before each later `[INST]`.
    case llama2SysBOS = "llama2-sys-bos"
    /// As llama2-sys, with every content trimmed.
    case llama2SysStrip = "llama2-sys-strip"
    /// `<|start_header_id|>role<|end_header_id|>\n\ncontent<|eot_id|>` (contents trimmed).
    case llama3
    /// Mistral v1: ` [INST] U [/INST] A</s>`.
    case mistralV1 = "mistral-v1"
    /// Mistral v3: `[INST] U[/INST] A</s>` (assistant contents trimmed).
    case mistralV3 = "mistral-v3"
    /// Mistral v3 tekken: `[INST]U[/INST]A</s>`.
    case mistralV3Tekken = "mistral-v3-tekken"
    /// Mistral v7: `[SYSTEM_PROMPT] S[/SYSTEM_PROMPT][INST] U[/INST] A</s>`.
    case mistralV7 = "mistral-v7"

    /// Every format name, comma-separated (for help texts and errors).
    public static var names: String { allCases.map(\.rawValue).joined(separator: ", ") }

    /// The format called `name` (one of ``names``; `harmony` is accepted for `gpt-oss`).
    public init(name: String) throws {
        if name == "harmony" {
            self = .harmony
            return
        }
        guard let f = ChatFormat(rawValue: name) else {
            throw ChatFormatError.unknownName(name, known: ChatFormat.names)
        }
        self = f
    }

    /// Detects the format of a Jinja chat template the way llama.cpp's built-in detection does (gguf.md §6, first
    /// match wins). A template that is exactly a format name selects it. Throws
    /// ``ChatFormatError/unrecognizedTemplate(excerpt:known:)`` for anything else.
    public static func detect(template: String) throws -> ChatFormat {
        if let exact = try? ChatFormat(name: template) { return exact }
        func has(_ s: String) -> Bool { template.contains(s) }
        if has("<|im_start|>") {
            if has("<|im_sep|>") { throw ChatFormatError.unsupportedTemplate(family: "phi4", known: names) }
            if has("<end_of_utterance>") { throw ChatFormatError.unsupportedTemplate(family: "smolvlm", known: names) }
            return .chatml
        }
        if template.hasPrefix("mistral") || has("[INST]") {
            if has("[SYSTEM_PROMPT]") { return .mistralV7 }
            if has("' [INST] ' + system_message") || has("[AVAILABLE_TOOLS]") {
                if has(" [INST]") { return .mistralV1 }
                if has("\"[INST]\"") { return .mistralV3Tekken }
                return .mistralV3
            }
            if has("content.strip()") { return .llama2SysStrip }
            if has("bos_token + '[INST]") { return .llama2SysBOS }
            if has("<<SYS>>") { return .llama2Sys }
            return .llama2
        }
        // llama.cpp tests these families in this order, between the [INST] family and harmony: a template they match
        // is theirs (so never taken for a later format here), but only llama3 and gpt-oss are rendered.
        for (family, markers) in Self.familiesInDetectionOrder where markers.contains(where: { $0.allSatisfy(has) }) {
            if family == ChatFormat.llama3.rawValue { return .llama3 }
            if family == ChatFormat.harmony.rawValue { return .harmony }
            throw ChatFormatError.unsupportedTemplate(family: family, known: names)
        }
        let excerpt = template.count > 80 ? String(template.prefix(80)) + "…" : template
        throw ChatFormatError.unrecognizedTemplate(excerpt: excerpt, known: names)
    }

    /// llama.cpp's detection rules after the [INST] family (llama-chat.cpp), in order: a family matches when all
    /// markers of one of its marker lists occur in the template.
    static let familiesInDetectionOrder: [(String, [[String]])] = [
        ("phi3", [["<|assistant|>", "<|end|>"]]), ("chatglm4", [["[gMASK]<sop>"]]),
        ("falcon3/glmedge", [["<|assistant|>", "<|user|>"], ["<|{{ item['role'] }}|>", "<|begin_of_image|>"]]),
        ("zephyr", [["<|user|>", "<|endoftext|>"]]), ("monarch", [["bos_token + message['role']"]]),
        ("gemma", [["<start_of_turn>"]]), ("orion", [["'\\n\\nAssistant: ' + eos_token"]]),
        ("openchat", [["GPT4 Correct "]]), ("vicuna", [["USER: ", "ASSISTANT: "]]),
        ("deepseek", [["### Instruction:", "<|EOT|>"]]),
        ("command-r", [["<|START_OF_TURN_TOKEN|>", "<|USER_TOKEN|>"]]),
        ("llama3", [["<|start_header_id|>", "<|end_header_id|>"]]), ("chatglm3", [["[gMASK]sop"]]),
        ("minicpm", [["<用户>"]]), ("deepseek2", [["'Assistant: ' + message['content'] + eos_token"]]),
        ("deepseek3", [["<｜Assistant｜>", "<｜User｜>", "<｜end▁of▁sentence｜>"]]),
        ("exaone", [["[|system|]", "[|assistant|]", "[|endofturn|]"]]),
        ("rwkv-world", [["rwkv-world"], ["{{- 'User: ' + message['content']|trim + '\\n\\n' -}}"]]),
        ("granite", [["<|start_of_role|>"]]),
        (
            "gigachat",
            [["message['role'] + additional_special_tokens[0] + message['content'] + additional_special_tokens[1]"]]
        ),
        ("megrez", [["<|role_start|>"]]), ("yandex", [[" Ассистент:"]]), ("bailing", [["<role>ASSISTANT</role>"]]),
        ("llama4", [["<|header_start|>", "<|header_end|>"]]), ("dots1", [["<|endofuserprompt|>"]]),
        ("hunyuan-moe", [["<|extra_0|>", "<|extra_4|>"]]), ("gpt-oss", [["<|start|>", "<|channel|>"]]),
    ]

    /// The prompt text of `messages` (special tokens by name; BOS is not written: the tokenizer adds it per its
    /// `add_bos_token`), exactly as llama.cpp's `llm_chat_apply_template` renders the format. With
    /// `addAssistantPrompt`, the formats that have one end with the assistant header (chatml, llama3, gpt-oss);
    /// the `[INST]` formats need none. A role other than system/user counts as assistant in the `[INST]` formats.
    public func render(_ messages: [ChatMessage], addAssistantPrompt: Bool = true) -> String {
        var s = ""
        switch self {
        case .harmony:
            for m in messages {
                s += "<|start|>\(m.role)<|message|>\(m.content)" + (m.role == "assistant" ? "<|return|>" : "<|end|>")
            }
            if addAssistantPrompt { s += "<|start|>assistant" }
        case .chatml:
            for m in messages { s += "<|im_start|>\(m.role)\n\(m.content)<|im_end|>\n" }
            if addAssistantPrompt { s += "<|im_start|>assistant\n" }
        case .llama3:
            for m in messages {
                s += "<|start_header_id|>\(m.role)<|end_header_id|>\n\n\(Self.trim(m.content))<|eot_id|>"
            }
            if addAssistantPrompt { s += "<|start_header_id|>assistant<|end_header_id|>\n\n" }
        case .llama2, .llama2Sys, .llama2SysBOS, .llama2SysStrip:
            let systemBlock = self != .llama2
            let bosInHistory = self == .llama2SysBOS
            let strip = self == .llama2SysStrip
            var insideTurn = true
            s += "[INST] "
            for m in messages {
                let content = strip ? Self.trim(m.content) : m.content
                if !insideTurn {
                    insideTurn = true
                    s += bosInHistory ? "<s>[INST] " : "[INST] "
                }
                switch m.role {
                case "system": s += systemBlock ? "<<SYS>>\n\(content)\n<</SYS>>\n\n" : "\(content)\n"
                case "user": s += "\(content) [/INST]"
                default:
                    s += "\(content)</s>"
                    insideTurn = false
                }
            }
        case .mistralV1, .mistralV3, .mistralV3Tekken:
            let leading = self == .mistralV1 ? " " : ""
            let trailing = self == .mistralV3Tekken ? "" : " "
            let trimAssistant = self == .mistralV3
            var insideTurn = false
            for m in messages {
                if !insideTurn {
                    s += "\(leading)[INST]\(trailing)"
                    insideTurn = true
                }
                switch m.role {
                case "system": s += "\(m.content)\n\n"
                case "user": s += "\(m.content)\(leading)[/INST]"
                default:
                    s += trailing + (trimAssistant ? Self.trim(m.content) : m.content) + "</s>"
                    insideTurn = false
                }
            }
        case .mistralV7:
            for m in messages {
                switch m.role {
                case "system": s += "[SYSTEM_PROMPT] \(m.content)[/SYSTEM_PROMPT]"
                case "user": s += "[INST] \(m.content)[/INST]"
                default: s += " \(m.content)</s>"
                }
            }
        }
        return s
    }

    /// llama.cpp's `trim`: strips leading and trailing ASCII whitespace (space, \t, \n, \v, \f, \r).
    static func trim(_ text: String) -> String {
        let bytes = Array(text.utf8)
        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || (b >= 0x09 && b <= 0x0D) }
        var start = 0
        var end = bytes.count
        while start < end && isSpace(bytes[start]) { start += 1 }
        while end > start && isSpace(bytes[end - 1]) { end -= 1 }
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }
}

/// Errors of choosing a chat format.
public enum ChatFormatError: Error, Equatable, CustomStringConvertible {
    /// `--chat-format NAME` with a name that is not a format.
    case unknownName(String, known: String)
    /// A chat template none of the formats matches.
    case unrecognizedTemplate(excerpt: String, known: String)
    /// A template of a family llama.cpp knows that SwiftOSS does not render.
    case unsupportedTemplate(family: String, known: String)
    /// The model has no `tokenizer.chat_template` and no format was given.
    case noTemplate(model: String, known: String)
    /// The tokenizer lacks a control token the format writes.
    case missingToken(format: String, token: String)

    public var description: String {
        switch self {
        case .unknownName(let n, let known): return "unknown chat format '\(n)' (known: \(known))"
        case .unrecognizedTemplate(let e, let known):
            return "unrecognised chat template \"\(e)\"; choose one with --chat-format (known: \(known))"
        case .unsupportedTemplate(let family, let known):
            return
                "the chat template is \(family), which SwiftOSS does not render; choose one with --chat-format (known: \(known))"
        case .noTemplate(let model, let known):
            return "\(model) has no chat template; choose one with --chat-format (known: \(known))"
        case .missingToken(let format, let token):
            return "chat format \(format) needs the token \(token), which this tokenizer does not have"
        }
    }
}
