import OSSCore
import OSSModel
import OSSTokenizer

/// What a finished generation reports for `finish_reason` and `usage`.
struct GenerationOutcome {
    var finish: EngineFinish?
    /// A stop string ended it (the engine job was cancelled then).
    var stoppedByString = false
    var promptTokens = 0
    var generatedTokens = 0

    /// OpenAI's `finish_reason`: `stop`, `length` or `tool_calls`.
    func finishReason(toolCall: Bool) -> String {
        if stoppedByString { return "stop" }
        switch finish {
        case .length, .contextFull: return "length"
        case .stopToken: return toolCall ? "tool_calls" : "stop"
        default: return "stop"
        }
    }

    /// The error to report instead of a result (timeout, shutdown, model failure), nil when the result stands.
    var error: APIError? {
        switch finish {
        case .timeout: return APIError(status: 504, message: "the request timed out", type: "timeout_error")
        case .shutdown: return APIError(status: 503, message: "the server is shutting down", type: "server_error")
        case .failed(let m): return APIError(status: 500, message: "generation failed: \(m)", type: "server_error")
        default: return nil
        }
    }

    var usage: JSONValue {
        .make([
            "prompt_tokens": .integer(promptTokens), "completion_tokens": .integer(generatedTokens),
            "total_tokens": .integer(promptTokens + generatedTokens),
        ])
    }
}

extension OSSServer {
    /// Queues a job, mapping refusals to HTTP errors (429 for a full queue, 400 for a prompt over the context).
    func submit(prompt: [Int32], sampling: SamplingParameters, maxTokens: Int?, stopTokens: Set<Int32>) throws
        -> (EngineTicket, maxTokens: Int)
    {
        let context = engine.model.contextLength
        guard prompt.count < context else {
            throw APIError.invalid(
                "the prompt has \(prompt.count) tokens, the context holds \(context) "
                    + "(at least one must be left to generate)", code: "context_length_exceeded")
        }
        let limit = min(maxTokens ?? context, context - prompt.count)
        let job = EngineJob(
            prompt: prompt, sampling: sampling, maxTokens: limit, stopTokens: stopTokens,
            timeout: configuration.requestTimeout)
        do {
            return (try engine.submit(job), limit)
        } catch let rejection as EngineRejection {
            switch rejection {
            case .queueFull(let capacity):
                throw APIError(
                    status: 429, message: "the server is busy: \(capacity) requests are already waiting",
                    type: "rate_limit_error", code: "queue_full")
            case .promptTooLong(let tokens, let context):
                throw APIError.invalid(
                    "the prompt has \(tokens) tokens, the context holds \(context)",
                    code: "context_length_exceeded")
            case .emptyPrompt: throw APIError.invalid("the prompt is empty")
            case .shuttingDown:
                throw APIError(status: 503, message: "the server is shutting down", type: "server_error")
            }
        } catch let error as SamplerError {
            throw APIError.invalid("\(error)")
        }
    }

    /// Feeds the job's tokens to `onToken` until the job ends, or until `onToken` returns false (a stop string:
    /// the job is cancelled). Cancels the job when the caller throws (a client that went away).
    func drive(_ ticket: EngineTicket, promptTokens: Int, onToken: (Int32) async throws -> Bool) async rethrows
        -> GenerationOutcome
    {
        var outcome = GenerationOutcome(promptTokens: promptTokens)
        var finished = false
        defer { if !finished { ticket.cancel() } }
        for await event in ticket.events {
            switch event {
            case .admitted: continue
            case .token(let t):
                outcome.generatedTokens += 1
                if try await !onToken(t) {
                    outcome.stoppedByString = true
                    return outcome
                }
            case .finished(let f):
                outcome.finish = f
                finished = true
            }
        }
        finished = true
        return outcome
    }
}

/// An assistant turn being generated: harmony deltas (reasoning, content, tool calls) for gpt-oss, plain content for
/// the text chat formats; stop strings applied to the content.
struct ChatTurn {
    /// The harmony channel parser; nil for a text chat format, whose whole turn is content.
    var harmony: HarmonyChatStream?
    /// Text of a text-format turn (its end-of-turn tokens not shown).
    var text: GeneratedText
    var stop: StopMatcher
    var reasoning = ""
    var content = ""
    var calls: [(id: String, name: String, arguments: String)] = []

    init(chat: ChatRenderer, stops: [String]) {
        harmony = chat.harmony.map { HarmonyChatStream(renderer: $0) }
        text = GeneratedText(tokenizer: chat.tokenizer, hidden: chat.stopTokens)
        stop = StopMatcher(stops)
    }

    /// Applies one token; returns the delta it made visible (content after stop-string filtering), if any.
    mutating func process(_ token: Int32) -> HarmonyChatDelta? {
        if harmony != nil { return apply(harmony!.process(token)) }
        let piece = text.append(token)
        return piece.isEmpty ? nil : apply(.content(piece))
    }

    /// Ends the turn: held text (an open header, a held stop-string prefix) becomes visible.
    mutating func finish() -> [HarmonyChatDelta] {
        var out: [HarmonyChatDelta] = []
        if harmony != nil {
            if let d = apply(harmony!.finish()) { out.append(d) }
        } else {
            let piece = text.finish()
            if !piece.isEmpty, let d = apply(.content(piece)) { out.append(d) }
        }
        let rest = stop.flush()
        if !rest.isEmpty {
            content += rest
            out.append(.content(rest))
        }
        return out
    }

    private mutating func apply(_ delta: HarmonyChatDelta?) -> HarmonyChatDelta? {
        guard let delta else { return nil }
        switch delta {
        case .content(let text):
            let shown = stop.feed(text)
            content += shown
            return shown.isEmpty ? nil : .content(shown)
        case .reasoning(let text):
            reasoning += text
        case .toolCallStarted(_, let name):
            calls.append((OSSServer.newID("call_"), name, ""))
        case .toolCallArguments(let index, let text):
            calls[index].arguments += text
        }
        return delta
    }
}

/// Generated tokens as text: UTF-8 reassembled across tokens, `hidden` tokens (end of turn, end of text) not shown.
struct GeneratedText {
    var decoder: StreamingDecoder
    let hidden: Set<Int32>

    init(tokenizer: Tokenizer, hidden: Set<Int32>) {
        decoder = StreamingDecoder(tokenizer: tokenizer)
        self.hidden = hidden
    }

    mutating func append(_ token: Int32) -> String { hidden.contains(token) ? "" : decoder.append(token) }

    mutating func finish() -> String { decoder.finish() }
}
