import OSSCore
import OSSModel
import OSSTokenizer

// The request bodies of the three generation endpoints decoded into plain values: everything the HTTP layer reads
// from a body, before anything is submitted. A bad body throws the `APIError` (400, naming the parameter) the server
// answers with. The endpoints start from these; the `server-request` fuzz target drives them with hostile bodies.

/// A `POST /v1/chat/completions` body.
public struct ChatCompletionsRequest: Sendable {
    /// The messages (and tools, reasoning effort) as a harmony conversation: format `gpt-oss` only (else nil).
    public var conversation: HarmonyConversation?
    /// The messages of a text chat format (Llama family; tools, tool messages and `reasoning_effort` are a 400
    /// there); nil for harmony.
    public var textMessages: [ChatMessage]?
    /// `max_completion_tokens` (or `max_tokens`); nil = up to the context.
    public var maxTokens: Int?
    public var stream: Bool
    /// `stream_options.include_usage`.
    public var includeUsage: Bool
    public var sampling: SamplingParameters
    /// `stop` strings (at most 4, none empty).
    public var stops: [String]

    /// `format`: the model's chat format, which decides how the messages are read.
    public init(body: [UInt8], modelID: String, format: ChatFormat = .harmony) throws {
        let fields = try RequestFields(body)
        try fields.checkModel(modelID)
        try fields.checkSingleChoice()
        try fields.rejectUnsupported([
            "logprobs", "top_logprobs", "logit_bias", "frequency_penalty", "presence_penalty",
            "response_format",
        ])
        if format == .harmony {
            conversation = try HarmonyRequest.chat(fields)
        } else {
            textMessages = try TextChatRequest.messages(fields, format: format)
        }
        maxTokens =
            try fields.integer("max_completion_tokens", in: 1...Int(Int32.max))
            ?? fields.integer("max_tokens", in: 1...Int(Int32.max))
        stream = try fields.bool("stream") ?? false
        includeUsage = fields["stream_options"]?["include_usage"] == .bool(true)
        sampling = try fields.sampling(defaultSeed: UInt64.random(in: 0...UInt64.max))
        stops = try fields.stopStrings()
    }
}

/// A `POST /v1/completions` body.
public struct CompletionsRequest: Sendable {
    /// `prompt`: a string (tokenized as ordinary text, BOS first when the tokenizer adds one) or token ids, never
    /// empty.
    public var prompt: [Int32]
    /// `max_tokens` (default 16, as OpenAI's).
    public var maxTokens: Int
    public var stream: Bool
    public var includeUsage: Bool
    public var sampling: SamplingParameters
    public var stops: [String]

    /// Token ids of the prompt must be below `vocabularySize` (the model's).
    public init(body: [UInt8], modelID: String, tokenizer: Tokenizer, vocabularySize: Int) throws {
        let fields = try RequestFields(body)
        try fields.checkModel(modelID)
        try fields.checkSingleChoice()
        if try fields.bool("echo") == true { throw APIError.invalid("'echo' is not supported", param: "echo") }
        try fields.rejectUnsupported([
            "logprobs", "logit_bias", "frequency_penalty", "presence_penalty", "best_of",
            "suffix",
        ])
        switch fields["prompt"] {
        case .string(let text)?:
            prompt = tokenizer.encode(text, allowSpecial: false, addSpecial: true)
        case .array(let items)? where !items.isEmpty && items.allSatisfy({ $0.intValue != nil }):
            prompt = try items.map { item in
                let id = item.intValue!
                guard id >= 0 && id < vocabularySize else {
                    throw APIError.invalid(
                        "prompt token \(id) is outside the vocabulary 0..<\(vocabularySize)",
                        param: "prompt")
                }
                return Int32(id)
            }
        default:
            throw APIError.invalid("'prompt' must be a string or a non-empty array of token ids", param: "prompt")
        }
        guard !prompt.isEmpty else { throw APIError.invalid("'prompt' is empty", param: "prompt") }
        maxTokens = try fields.integer("max_tokens", in: 1...Int(Int32.max)) ?? 16
        stream = try fields.bool("stream") ?? false
        includeUsage = fields["stream_options"]?["include_usage"] == .bool(true)
        sampling = try fields.sampling(defaultSeed: UInt64.random(in: 0...UInt64.max))
        stops = try fields.stopStrings()
    }
}

/// A `POST /v1/responses` body.
public struct ResponsesRequest: Sendable {
    /// `input` items, `instructions`, `reasoning.effort` and `tools` as a harmony conversation.
    public var conversation: HarmonyConversation
    /// `max_output_tokens`; nil = up to the context.
    public var maxTokens: Int?
    public var stream: Bool
    public var sampling: SamplingParameters

    public init(body: [UInt8], modelID: String) throws {
        let fields = try RequestFields(body)
        try fields.checkModel(modelID)
        stream = try fields.bool("stream") ?? false
        try fields.rejectUnsupported(["previous_response_id", "text", "top_logprobs", "include"])
        let effort = fields["reasoning"]?["effort"]
        if let e = effort, e.stringValue == nil {
            throw APIError.invalid("'reasoning.effort' must be a string", param: "reasoning.effort")
        }
        let reasoning = try HarmonyRequest.effort(effort?.stringValue, param: "reasoning.effort")
        var conversation = HarmonyConversation(system: HarmonySystemContent(reasoning: reasoning))
        let tools = try HarmonyRequest.functionTools(try fields.array("tools"))
        if try fields.toolsWanted() { conversation.functionTools = tools }
        var instructions: [String] = []
        if let i = try fields.string("instructions") { instructions.append(i) }
        try OSSServer.responsesInput(fields, into: &conversation, instructions: &instructions)
        if !instructions.isEmpty { conversation.instructions = instructions.joined(separator: "\n\n") }
        self.conversation = conversation
        maxTokens = try fields.integer("max_output_tokens", in: 1...Int(Int32.max))
        sampling = try fields.sampling(defaultSeed: UInt64.random(in: 0...UInt64.max))
    }
}
