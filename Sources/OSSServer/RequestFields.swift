import OSSCore
import OSSModel

/// Typed reads of a JSON request body's members: wrong types and out-of-range values become a 400 naming the
/// parameter.
struct RequestFields {
    let json: JSONValue
    let members: [String: JSONValue]

    init(_ body: [UInt8]) throws {
        let value: JSONValue
        do { value = try JSONValue.parse(body) } catch {
            throw APIError.invalid("the body is not valid JSON: \(error)", code: "invalid_json")
        }
        guard let members = value.objectDictionary else {
            throw APIError.invalid("the body must be a JSON object, got \(value.typeName)")
        }
        json = value
        self.members = members
    }

    /// The member, with JSON null read as absent.
    subscript(_ key: String) -> JSONValue? {
        guard let v = members[key], !v.isNull else { return nil }
        return v
    }

    /// The member read as `kind` by `read` (nil when absent); a 400 naming the key when `read` fails.
    func typed<T>(_ key: String, _ kind: String, _ read: (JSONValue) -> T?) throws -> T? {
        guard let v = self[key] else { return nil }
        guard let value = read(v) else {
            throw APIError.invalid("'\(key)' must be \(kind), got \(v.typeName)", param: key)
        }
        return value
    }

    /// The value, when present, if it lies in `range` (a 400 naming the key and range otherwise).
    func inRange<T: Comparable>(_ value: T?, _ key: String, _ range: ClosedRange<T>) throws -> T? {
        guard let value, !range.contains(value) else { return value }
        throw APIError.invalid(
            "'\(key)' must be in \(range.lowerBound)...\(range.upperBound), got \(value)",
            param: key)
    }

    func string(_ key: String) throws -> String? { try typed(key, "a string", \.stringValue) }

    func bool(_ key: String) throws -> Bool? {
        try typed(key, "a boolean") { if case .bool(let b) = $0 { b } else { nil } }
    }

    func number(_ key: String, in range: ClosedRange<Double>) throws -> Double? {
        try inRange(try typed(key, "a number", \.number), key, range)
    }

    func integer(_ key: String, in range: ClosedRange<Int>) throws -> Int? {
        try inRange(try typed(key, "an integer", \.intValue), key, range)
    }

    func array(_ key: String) throws -> [JSONValue]? { try typed(key, "an array", \.arrayValue) }

    /// Message text: a string, or an array of text parts (`text`, `input_text`, `output_text`).
    static func text(_ content: JSONValue?, where place: String) throws -> String {
        guard let content, !content.isNull else { return "" }
        if let s = content.stringValue { return s }
        guard let parts = content.arrayValue else {
            throw APIError.invalid("\(place): content must be a string or an array of text parts", param: "messages")
        }
        return try parts.map { part in
            guard let type = part["type"]?.stringValue, ["text", "input_text", "output_text"].contains(type),
                let t = part["text"]?.stringValue
            else {
                throw APIError.invalid("\(place): only text content parts are supported", param: "messages")
            }
            return t
        }.joined()
    }

    /// `model`: absent, or the served model's id.
    func checkModel(_ served: String) throws {
        guard let name = try string("model") else { return }
        guard name == served else {
            throw APIError(
                status: 400, message: "the model '\(name)' does not exist; this server serves '\(served)'",
                type: "invalid_request_error", param: "model", code: "model_not_found")
        }
    }

    /// Sampling: `temperature` [0, 2], `top_p` (0, 1], `top_k` ≥ 0, `min_p` [0, 1], `seed`.
    func sampling(defaultSeed: UInt64) throws -> SamplingParameters {
        var p = SamplingParameters(temperature: 1, seed: defaultSeed)
        if let t = try number("temperature", in: 0...2) { p.temperature = Float(t) }
        if let v = try number("top_p", in: 0...1) {
            guard v > 0 else { throw APIError.invalid("'top_p' must be in (0, 1], got 0", param: "top_p") }
            p.topP = Float(v)
        }
        if let k = try integer("top_k", in: -1...1_000_000) { p.topK = max(k, 0) }
        if let m = try number("min_p", in: 0...1) { p.minP = Float(m) }
        if let s = self["seed"] {
            guard let i = s.intValue else { throw APIError.invalid("'seed' must be an integer", param: "seed") }
            p.seed = UInt64(bitPattern: Int64(i))
        }
        return p
    }

    /// `stop`: a string or up to 4 strings.
    func stopStrings() throws -> [String] {
        guard let v = self["stop"] else { return [] }
        if let s = v.stringValue { return s.isEmpty ? [] : [s] }
        guard let a = v.arrayValue, a.count <= 4, a.allSatisfy({ $0.stringValue != nil }) else {
            throw APIError.invalid("'stop' must be a string or an array of at most 4 strings", param: "stop")
        }
        return a.compactMap(\.stringValue).filter { !$0.isEmpty }
    }

    /// Parameters this server cannot honour get a 400 rather than being ignored: log-probabilities, logit biases,
    /// frequency/presence penalties other than 0, and structured output formats (`json_schema`, `json_object`).
    func rejectUnsupported(_ keys: [String]) throws {
        for key in keys {
            guard let v = self[key] else { continue }
            let harmless: Bool
            switch key {
            case "logprobs": harmless = v == .bool(false)
            case "frequency_penalty", "presence_penalty": harmless = v.number == 0
            case "logit_bias": harmless = v.objectValue?.isEmpty == true
            case "response_format": harmless = v["type"]?.stringValue == "text"
            case "text": harmless = v["format"] == nil || v["format"]?["type"]?.stringValue == "text"
            case "best_of": harmless = v.intValue == 1
            default: harmless = false
            }
            if !harmless { throw APIError.invalid("'\(key)' is not supported by this server", param: key) }
        }
    }

    /// `tool_choice`: "auto" (the default) or "none" (the tools are left out of the prompt); forcing a call cannot
    /// be honoured (harmony has no way to force one) and gets a 400.
    func toolsWanted() throws -> Bool {
        guard let v = self["tool_choice"] else { return true }
        switch v.stringValue {
        case "auto"?: return true
        case "none"?: return false
        default:
            throw APIError.invalid(
                "'tool_choice' must be \"auto\" or \"none\": this server cannot force a tool call",
                param: "tool_choice")
        }
    }

    /// `n`: only 1 is served.
    func checkSingleChoice() throws {
        if let n = try integer("n", in: 1...128), n != 1 {
            throw APIError.invalid("'n' must be 1 (one choice per request)", param: "n")
        }
    }
}
