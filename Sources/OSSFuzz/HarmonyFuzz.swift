import OSSTokenizer

/// The harmony parser (`HarmonyStreamParser`) on arbitrary token streams of o200k_harmony: control tokens, header
/// words, content text, tokens that end inside a UTF-8 character, and ids with no token or outside the vocabulary.
/// Each input byte picks one token; the first decides whether the stream starts inside `<|start|>assistant`.
///
/// Properties: a `HarmonyError`, or messages equal to what the streaming events said (each `messageStarted` header,
/// the `content` pieces concatenated, `messageEnded`), that render back to tokens parsing to the same messages.
struct HarmonyFuzz: FuzzHarness {
    static let name = "harmony"
    static let summary =
        "harmony parser on token streams: HarmonyError, or messages equal to the streamed events "
        + "that render and parse back to themselves"
    static let maxLength = 1 << 10
    static let allocationBound = (perInputByte: 1024, fixed: 1 << 20)

    let renderer: HarmonyRenderer
    /// Tokens an input byte can stand for: control tokens, header and content words, split characters, bad ids.
    let alphabet: [Int32]

    init() throws {
        let t = try Tokenizer.o200kHarmony()
        renderer = try HarmonyRenderer(tokenizer: t)
        var ids: [Int32] = [
            "<|start|>", "<|end|>", "<|message|>", "<|channel|>", "<|constrain|>", "<|call|>",
            "<|return|>", "<|endoftext|>",
        ].map { try! t.specialID($0) }
        for word in [
            "assistant", "user", "system", "developer", "functions.get_weather", "analysis", "commentary",
            "final", " to=", "to=", " json", "json", ":", " ", "\n", "<", "Hello", " world", "é", "\u{1F600}",
            "{\"x\": 1}", "browser.search", "all", "<|channel|>",
        ] {
            ids += t.encode(word)
        }
        ids += [0xC3, 0xA9, 0xF0, 0x9F, 0x98, 0x80].compactMap { b in t.table.rank(of: [UInt8(b)]).map(Int32.init) }
        ids += [200_013, 201_087, 201_088, Int32.max, -1]
        alphabet = ids
    }

    func run(_ input: [UInt8]) throws(FuzzFailure) -> FuzzOutcome {
        let check = FuzzCheck(target: Self.name)
        guard let first = input.first else { return .accepted }
        let role: String? = first & 1 == 0 ? "assistant" : nil
        let tokens = input.dropFirst().map { alphabet[Int($0) % alphabet.count] }
        let messages: [HarmonyMessage]
        do {
            messages = try HarmonyStreamParser.parse(tokens, renderer: renderer, role: role)
        } catch {
            return try check.typedError(error, allowed: [HarmonyError.self], naming: nil)
        }
        // The streamed events tell the same story.
        var parser = HarmonyStreamParser(renderer: renderer, role: role)
        var streamed: [HarmonyMessage] = []
        var content = ""
        var header: HarmonyMessage?
        for t in tokens {
            let event: HarmonyStreamEvent
            do { event = try parser.process(t) } catch {
                throw FuzzFailure(target: Self.name, property: "streaming failed where parse succeeded: \(error)")
            }
            switch event {
            case .none: break
            case .messageStarted(let m):
                header = m
                content = ""
            case .content(let text): content += text
            case .messageEnded(let m, _):
                try check.require(
                    m.role == header?.role && m.channel == header?.channel && m.recipient == header?.recipient
                        && m.content.hasPrefix(content), "messageEnded \(m) does not match its stream")
                streamed.append(m)
            }
        }
        try check.require(streamed == messages, "streamed messages \(streamed) ≠ parsed \(messages)")
        // Rendering the messages gives tokens that parse to the same messages (a header field that spells a control
        // token as text re-parses as that token, so those are left out).
        let markers = [SpecialToken.channel.name, SpecialToken.constrain.name]
        let plain = messages.filter { m in
            let fields = [
                m.role, m.name, m.recipient, m.channel,
                m.contentType.map { $0.hasPrefix(markers[1]) ? String($0.dropFirst(markers[1].count)) : $0 },
            ]
            return !fields.contains { f in markers.contains { f?.contains($0) == true } } && m.recipient != "all"
        }
        var rendered: [Int32] = []
        for m in plain { renderer.render(m, into: &rendered) }
        let again: [HarmonyMessage]
        do { again = try HarmonyStreamParser.parse(rendered, renderer: renderer, role: nil) } catch {
            throw FuzzFailure(target: Self.name, property: "rendered messages \(plain) do not parse: \(error)")
        }
        try check.require(again == plain, "render/parse changed \(plain) into \(again)")
        return .accepted
    }
}
