import OSSTokenizer

/// Chat template detection (`ChatFormat.detect`, llama.cpp's rules) on arbitrary template text, then the detected
/// format rendering a chat drawn from the same input into prompt ids with a tokenizer of the right kind.
/// Input: template bytes, then messages separated by 0x00 (first byte of each picks the role, the rest is content).
///
/// Properties: a `ChatFormatError`, or a format whose own name detects as itself and whose prompt holds only ids of
/// the tokenizer: for the byte-level text formats it decodes to the rendered text exactly (BOS first when added);
/// for harmony it parses back to the chat's messages in order, after the system and developer messages.
struct ChatTemplateFuzz: FuzzHarness {
    static let name = "chat-template"
    static let summary =
        "chat template detection + rendering: ChatFormatError, or a prompt that decodes to the "
        + "rendered text (harmony: parses back to the chat)"
    static let maxLength = 4 << 10
    static let allocationBound = (perInputByte: 1024, fixed: 1 << 20)

    let o200k: Tokenizer, chatml: Tokenizer, llama3: Tokenizer, sentencePiece: Tokenizer
    static let roles = ["system", "user", "assistant", "developer"]

    init() throws {
        o200k = try Tokenizer.o200kHarmony()
        chatml = try Tokenizer.fromGGUF(
            .syntheticBPE(
                size: 1024, pre: "qwen2", specials: GGUFVocabulary.qwenSpecials, bos: nil, eos: "<|im_end|>",
                eot: "<|im_end|>",
                addBOS: false, chatTemplate: GGUFVocabulary.chatMLTemplate))
        llama3 = try Tokenizer.fromGGUF(
            .syntheticBPE(
                size: 1024, pre: "llama-bpe", specials: GGUFVocabulary.llama3Specials, bos: "<|begin_of_text|>",
                eos: "<|eot_id|>", eot: "<|eot_id|>", addBOS: true, chatTemplate: GGUFVocabulary.llama3Template))
        sentencePiece = try Tokenizer.fromGGUF(.syntheticSentencePiece(size: 512))
    }

    func run(_ input: [UInt8]) throws(FuzzFailure) -> FuzzOutcome {
        let check = FuzzCheck(target: Self.name)
        let parts = input.split(separator: 0, omittingEmptySubsequences: false)
        let template = String(decoding: parts.first ?? [], as: UTF8.self)
        let messages = parts.dropFirst().map { p in
            ChatMessage(
                role: Self.roles[Int(p.first ?? 0) % Self.roles.count],
                content: String(decoding: p.dropFirst(), as: UTF8.self))
        }
        let format: ChatFormat
        do {
            format = try ChatFormat.detect(template: template)
        } catch {
            return try check.typedError(error, allowed: [ChatFormatError.self], naming: nil)
        }
        try check.require(
            (try? ChatFormat.detect(template: format.rawValue)) == format,
            "\(format.rawValue) does not detect as itself")
        let tokenizer: Tokenizer
        switch format {
        case .harmony: tokenizer = o200k
        case .chatml: tokenizer = chatml
        case .llama3: tokenizer = llama3
        default: tokenizer = sentencePiece
        }
        let renderer: ChatRenderer
        do { renderer = try ChatRenderer(format: format, tokenizer: tokenizer) } catch {
            throw FuzzFailure(target: Self.name, property: "\(format) renderer on its tokenizer: \(error)")
        }
        let prompt = renderer.prompt(messages)
        for id in prompt { try check.require(tokenizer.hasToken(id), "\(format): prompt id \(id) has no token") }
        switch format {
        case .harmony:
            try checkHarmony(prompt, messages, check)
        case .chatml, .llama3:
            let bos = tokenizer.addBOS ? tokenizer.bosID.flatMap { tokenizer.tokenBytes($0) } ?? [] : []
            let expected = bos + Array(format.render(messages, addAssistantPrompt: true).utf8)
            let decoded = (try? tokenizer.decodeBytes(prompt)) ?? []
            try check.require(
                decoded == expected,
                "\(format): prompt decodes to \(TokenizerRoundTrip.debug(String(decoding: decoded, as: UTF8.self)))")
        default:
            break
        }
        return .accepted
    }

    /// A harmony prompt: system, developer (when the chat has system messages), the rest in order, then
    /// `<|start|>assistant`.
    private func checkHarmony(_ prompt: [Int32], _ chat: [ChatMessage], _ check: FuzzCheck) throws(FuzzFailure) {
        let tail = [try? o200k.specialID("<|start|>")].compactMap { $0 } + o200k.encode("assistant")
        try check.require(
            prompt.count >= tail.count && Array(prompt.suffix(tail.count)) == tail,
            "harmony prompt does not end with <|start|>assistant")
        let parsed: [HarmonyMessage]
        do {
            parsed = try HarmonyStreamParser.parse(
                Array(prompt.dropLast(tail.count)), renderer: HarmonyRenderer(tokenizer: o200k), role: nil)
        } catch {
            throw FuzzFailure(target: Self.name, property: "harmony prompt does not parse: \(error)")
        }
        let hasDeveloper = chat.contains { $0.role == "system" || $0.role == "developer" }
        let rest = chat.filter { $0.role != "system" && $0.role != "developer" }
        try check.require(
            parsed.count == 1 + (hasDeveloper ? 1 : 0) + rest.count,
            "harmony prompt has \(parsed.count) messages for \(chat.count)")
        for (m, c) in zip(parsed.suffix(rest.count), rest) {
            try check.require(
                m.role == c.role && m.content == c.content && m.channel == (c.role == "assistant" ? "final" : nil),
                "harmony prompt message \(m) ≠ \(c)")
        }
    }
}
