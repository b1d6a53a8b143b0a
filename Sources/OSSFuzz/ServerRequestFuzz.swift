import OSSCore
import OSSModel
import OSSServer
import OSSTokenizer

/// The request bodies of `oss serve` (`/v1/chat/completions`, `/v1/completions`, `/v1/responses`) decoded as the
/// server decodes them, with o200k_harmony. The first byte picks the endpoint; the rest is the body.
///
/// Properties: an `APIError` (4xx with a message) or values inside their documented ranges (sampling, max tokens,
/// stops); completions prompts of ids inside the vocabulary; for chat and responses, a harmony prompt that parses
/// back to the conversation's messages in order, after the system (and developer) message, ending with
/// `<|start|>assistant`.
struct ServerRequestFuzz: FuzzHarness {
    static let name = "server-request"
    static let summary =
        "server request bodies (chat/completions/responses): APIError 4xx, or in-range values whose "
        + "harmony prompt parses back to the request's messages"
    static let maxLength = 8 << 10
    // JSON values, the conversation, its prompt tokens (a few per byte) and the parsed messages.
    static let allocationBound = (perInputByte: 512, fixed: 2 << 20)

    static let modelID = "fuzz-model"
    let tokenizer: Tokenizer
    let renderer: HarmonyRenderer
    let assistantTail: [Int32]

    init() throws {
        tokenizer = try Tokenizer.o200kHarmony()
        renderer = try HarmonyRenderer(tokenizer: tokenizer)
        assistantTail = [try tokenizer.specialID(SpecialToken.start.name)] + tokenizer.encode("assistant")
    }

    func run(_ input: [UInt8]) throws(FuzzFailure) -> FuzzOutcome {
        let check = FuzzCheck(target: Self.name)
        guard let selector = input.first else { return .accepted }
        let body = Array(input.dropFirst())
        do {
            switch selector % 3 {
            case 0:
                let r = try ChatCompletionsRequest(body: body, modelID: Self.modelID)
                try checkValues(r.sampling, r.maxTokens, r.stops, check)
                try check.require(
                    r.conversation != nil && r.textMessages == nil,
                    "a harmony request decodes to a harmony conversation")
                if let conversation = r.conversation { try checkPrompt(conversation, check) }
            case 1:
                let r = try CompletionsRequest(
                    body: body, modelID: Self.modelID, tokenizer: tokenizer,
                    vocabularySize: SpecialToken.o200kHarmonyVocabularySize)
                try checkValues(r.sampling, r.maxTokens, r.stops, check)
                let vocabulary = 0..<Int32(SpecialToken.o200kHarmonyVocabularySize)
                try check.require(
                    !r.prompt.isEmpty && r.prompt.allSatisfy { vocabulary.contains($0) },
                    "completions prompt with ids outside the vocabulary")
            default:
                let r = try ResponsesRequest(body: body, modelID: Self.modelID)
                try checkValues(r.sampling, r.maxTokens, [], check)
                try checkPrompt(r.conversation, check)
            }
        } catch let failure as FuzzFailure {
            throw failure
        } catch let error as APIError {
            try check.require(
                (400..<500).contains(error.status) && !error.message.isEmpty,
                "API error \(error) is not a 4xx with a message")
            return .rejected("\(error)")
        } catch {
            return try check.typedError(error, allowed: [APIError.self], naming: nil)
        }
        return .accepted
    }

    private func checkValues(_ s: SamplingParameters, _ maxTokens: Int?, _ stops: [String], _ check: FuzzCheck)
        throws(FuzzFailure)
    {
        try check.require(
            (0...2).contains(s.temperature) && s.topP > 0 && s.topP <= 1 && s.topK >= 0
                && (0...1).contains(s.minP), "sampling parameters out of range: \(s)")
        try check.require((maxTokens ?? 1) >= 1, "max tokens \(maxTokens ?? 0)")
        try check.require(stops.count <= 4 && stops.allSatisfy { !$0.isEmpty }, "stops \(stops)")
    }

    /// The prompt: only ids with tokens, `<|start|>assistant` last, and before it the system message, the developer
    /// message when there are instructions or tools, then the conversation's messages as the model will read them.
    private func checkPrompt(_ conversation: HarmonyConversation, _ check: FuzzCheck) throws(FuzzFailure) {
        let prompt = renderer.renderPrompt(conversation)
        for id in prompt { try check.require(tokenizer.hasToken(id), "prompt id \(id) has no token") }
        try check.require(
            Array(prompt.suffix(assistantTail.count)) == assistantTail,
            "prompt does not end with <|start|>assistant")
        let parsed: [HarmonyMessage]
        do {
            parsed = try HarmonyStreamParser.parse(
                Array(prompt.dropLast(assistantTail.count)), renderer: renderer,
                role: nil)
        } catch {
            throw FuzzFailure(
                target: check.target,
                property: "the request's prompt does not parse as harmony: \(error)")
        }
        let expected = conversation.messagesForPrompt
        let head = conversation.developerText == nil ? 1 : 2
        try check.require(
            parsed.count == head + expected.count,
            "prompt parses to \(parsed.count) messages, the request has \(head) + \(expected.count)")
        try check.require(
            parsed.first?.role == "system" && (head == 1 || parsed[1].role == "developer"),
            "prompt does not start with the system (and developer) message")
        for (m, e) in zip(parsed.dropFirst(head), expected) {
            try check.require(m == e, "prompt message \(m) ≠ request message \(e)")
        }
    }
}
