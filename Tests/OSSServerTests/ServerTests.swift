import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import OSSCore
import OSSServer
import OSSTokenizer
import XCTest

/// `oss serve` end to end over HTTP (AsyncHTTPClient) on the `tiny-o200k` model: endpoints, streaming, harmony
/// prompts, batching equivalence, bad input, overload, disconnects, API keys and metrics.
final class ServerTests: XCTestCase {
    static let chat = #"{"model":"tiny-o200k","messages":[{"role":"user","content":"Hello there"}],"#

    func testHealthModelsAndChat() async throws {
        let s = try await ServerFixture()
        do {
            let health = try await s.json(.GET, "/health")
            XCTAssertEqual(health.status, 200)
            XCTAssertEqual(health.json["slots"], .integer(4))
            let models = try await s.json(.GET, "/v1/models")
            XCTAssertEqual(models.json["data"]?.arrayValue?.first?["id"], .string("tiny-o200k"))
            let v1 = try await s.send(.GET, "/v1/models/tiny-o200k").status
            XCTAssertEqual(v1, 200)
            let v2 = try await s.send(.GET, "/v1/models/other").status
            XCTAssertEqual(v2, 404)

            let body = Self.chat + #""max_tokens":7,"temperature":0,"reasoning_effort":"low"}"#
            let (status, reply) = try await s.json(.POST, "/v1/chat/completions", body)
            XCTAssertEqual(status, 200, reply.serialized)
            XCTAssertEqual(reply["object"], .string("chat.completion"))
            let choice = reply["choices"]?.arrayValue?.first
            XCTAssertEqual(choice?["finish_reason"], .string("length"))
            XCTAssertEqual(choice?["message"]?["role"], .string("assistant"))
            // usage: the prompt is exactly the harmony rendering of the request
            let prompt = try s.server.chatPrompt(requestBody: Array(body.utf8))
            XCTAssertEqual(reply["usage"]?["prompt_tokens"], .integer(prompt.count))
            XCTAssertEqual(reply["usage"]?["completion_tokens"], .integer(7))
            XCTAssertEqual(reply["usage"]?["total_tokens"], .integer(prompt.count + 7))

            // streaming at temperature 0 gives the same split text as the non-streaming reply
            let events = try await s.events(
                "/v1/chat/completions",
                Self.chat
                    + #""max_tokens":7,"temperature":0,"reasoning_effort":"low","stream":true,"stream_options":{"include_usage":true}}"#
            )
            XCTAssertEqual(events.last, "[DONE]")
            let chunks = try events.dropLast().map { try JSONValue.parse(Array($0.utf8)) }
            XCTAssertEqual(chunks.first?["choices"]?.arrayValue?.first?["delta"]?["role"], .string("assistant"))
            var content = ""
            var reasoning = ""
            for c in chunks {
                guard let d = c["choices"]?.arrayValue?.first?["delta"] else { continue }
                content += d["content"]?.stringValue ?? ""
                reasoning += d["reasoning_content"]?.stringValue ?? ""
            }
            let message = choice?["message"]
            XCTAssertEqual(content, message?["content"]?.stringValue ?? "")
            XCTAssertEqual(reasoning, message?["reasoning_content"]?.stringValue ?? "")
            let finishes = chunks.compactMap { $0["choices"]?.arrayValue?.first?["finish_reason"]?.stringValue }
            XCTAssertEqual(finishes, ["length"])
            XCTAssertEqual(chunks.last?["usage"]?["completion_tokens"], .integer(7))

            // responses and completions
            let (rs, r) = try await s.json(
                .POST, "/v1/responses",
                #"{"model":"tiny-o200k","input":"Hi","max_output_tokens":4,"reasoning":{"effort":"high"}}"#)
            XCTAssertEqual(rs, 200, r.serialized)
            XCTAssertEqual(r["object"], .string("response"))
            XCTAssertEqual(r["status"], .string("incomplete"))
            XCTAssertEqual(r["usage"]?["output_tokens"], .integer(4))
            let (cs, c) = try await s.json(
                .POST, "/v1/completions", #"{"prompt":"Once upon","max_tokens":5,"temperature":0}"#)
            XCTAssertEqual(cs, 200, c.serialized)
            XCTAssertEqual(c["usage"]?["completion_tokens"], .integer(5))

            // a tool-call round trip: tools, the assistant's call and the tool's answer go into the prompt
            let round = #"""
                {"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Weather in SF?"},
                 {"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function",
                   "function":{"name":"get_weather","arguments":"{\"city\":\"SF\"}"}}]},
                 {"role":"tool","tool_call_id":"call_1","content":"{\"sunny\":true}"}],
                 "tools":[{"type":"function","function":{"name":"get_weather","description":"Current weather",
                   "parameters":{"type":"object","properties":{"city":{"type":"string","description":"City name"},
                   "unit":{"type":"string","enum":["c","f"]}},"required":["city"]}}}],
                 "max_tokens":3,"temperature":0}
                """#
            let (ts, t) = try await s.json(.POST, "/v1/chat/completions", round)
            XCTAssertEqual(ts, 200, t.serialized)
            let text = try s.server.tokenizer.decode(try s.server.chatPrompt(requestBody: Array(round.utf8)))
            XCTAssertTrue(
                text.contains(
                    "type get_weather = (_: {\n// City name\ncity: string,\nunit?: \"c\" | \"f\",\n}) => any;"), text)
            XCTAssertTrue(
                text.contains(
                    "<|start|>assistant to=functions.get_weather<|channel|>commentary <|constrain|>json<|message|>{\"city\":\"SF\"}<|call|>"
                ), text)
            XCTAssertTrue(
                text.contains(
                    "<|start|>functions.get_weather to=assistant<|channel|>commentary<|message|>{\"sunny\":true}<|end|>"
                ), text)
            XCTAssertTrue(text.contains("# Instructions\n\nBe brief."), text)
            // tool_choice "none" leaves the tools out of the prompt
            let none = round.replacingOccurrences(of: #""max_tokens":3"#, with: #""max_tokens":3,"tool_choice":"none""#)
            let plain = try s.server.tokenizer.decode(try s.server.chatPrompt(requestBody: Array(none.utf8)))
            XCTAssertFalse(plain.contains("namespace functions"), plain)
        } catch {
            try await s.stop()
            throw error
        }
        try await s.stop()
    }

    /// 8 simultaneous streams at temperature 0 give the same tokens as 8 sequential runs.
    func testConcurrentGreedyStreamsMatchSequentialRuns() async throws {
        let s = try await ServerFixture(parallel: 8, prefillChunk: 8)
        do {
            try await s.assertConcurrentGreedyStreamsMatchSequentialRuns(vocab: 199_000)
            // tiny-o200k never ends a completion early: all 16 ran their 12 tokens
            let generated = try await s.metric("oss_generated_tokens_total")
            XCTAssertEqual(generated, 16 * 12)
        } catch {
            try await s.stop()
            throw error
        }
        try await s.stop()
    }

    func testBadRequestsGetOpenAIErrors() async throws {
        let s = try await ServerFixture(context: 256, maxBodyBytes: 8 << 10)
        do {
            let cases: [(String, String, Int, String?)] = [
                ("/v1/chat/completions", "{not json", 400, nil),
                ("/v1/chat/completions", "[1,2]", 400, nil),
                ("/v1/chat/completions", #"{"messages":[]}"#, 400, "messages"),
                ("/v1/chat/completions", #"{"messages":"hi"}"#, 400, "messages"),
                ("/v1/chat/completions", #"{"messages":[{"role":"wizard","content":"x"}]}"#, 400, "messages"),
                (
                    "/v1/chat/completions", #"{"model":"gpt-5","messages":[{"role":"user","content":"x"}]}"#, 400,
                    "model"
                ),
                (
                    "/v1/chat/completions", #"{"messages":[{"role":"user","content":"x"}],"max_tokens":-3}"#, 400,
                    "max_tokens"
                ),
                (
                    "/v1/chat/completions", #"{"messages":[{"role":"user","content":"x"}],"max_tokens":1e12}"#, 400,
                    "max_tokens"
                ),
                (
                    "/v1/chat/completions", #"{"messages":[{"role":"user","content":"x"}],"max_tokens":"5"}"#, 400,
                    "max_tokens"
                ),
                (
                    "/v1/chat/completions", #"{"messages":[{"role":"user","content":"x"}],"temperature":9}"#, 400,
                    "temperature"
                ),
                ("/v1/chat/completions", #"{"messages":[{"role":"user","content":"x"}],"top_p":0}"#, 400, "top_p"),
                (
                    "/v1/chat/completions", #"{"messages":[{"role":"user","content":"x"}],"stream":"yes"}"#, 400,
                    "stream"
                ),
                ("/v1/chat/completions", #"{"messages":[{"role":"user","content":"x"}],"n":2}"#, 400, "n"),
                (
                    "/v1/chat/completions", #"{"messages":[{"role":"user","content":"x"}],"reasoning_effort":"max"}"#,
                    400, "reasoning_effort"
                ),
                (
                    "/v1/chat/completions", #"{"messages":[{"role":"user","content":"x"}],"tools":[{"type":"web"}]}"#,
                    400, "tools"
                ),
                (
                    "/v1/chat/completions", #"{"messages":[{"role":"tool","tool_call_id":"nope","content":"x"}]}"#, 400,
                    "messages"
                ),
                (
                    "/v1/chat/completions", #"{"messages":[{"role":"user","content":"x"}],"logprobs":true}"#, 400,
                    "logprobs"
                ),
                (
                    "/v1/chat/completions", #"{"messages":[{"role":"user","content":"x"}],"tool_choice":"required"}"#,
                    400,
                    "tool_choice"
                ),
                (
                    "/v1/chat/completions", #"{"messages":[{"role":"user","content":"x"}],"presence_penalty":0.5}"#,
                    400,
                    "presence_penalty"
                ),
                (
                    "/v1/chat/completions",
                    #"{"messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_object"}}"#,
                    400, "response_format"
                ),
                ("/v1/completions", #"{"prompt":"x","suffix":"y"}"#, 400, "suffix"),
                ("/v1/responses", #"{"input":"x","previous_response_id":"resp_1"}"#, 400, "previous_response_id"),
                ("/v1/completions", #"{"prompt":[1,-5]}"#, 400, "prompt"),
                ("/v1/completions", #"{"prompt":{}}"#, 400, "prompt"),
                ("/v1/responses", #"{"input":[]}"#, 400, "input"),
                ("/v1/responses", #"{"input":"x","stream":1}"#, 400, "stream"),
            ]
            for (path, body, status, param) in cases {
                let (code, json) = try await s.json(.POST, path, body)
                XCTAssertEqual(code, status, "\(body): \(json.serialized)")
                XCTAssertEqual(json["error"]?["type"], .string("invalid_request_error"), body)
                XCTAssertNotNil(json["error"]?["message"]?.stringValue, body)
                if let param { XCTAssertEqual(json["error"]?["param"], .string(param), body) }
            }
            // a prompt over the context names the numbers
            let long = #"{"prompt":[\#((0..<300).map { _ in "11" }.joined(separator: ","))]}"#
            let (code, json) = try await s.json(.POST, "/v1/completions", long)
            XCTAssertEqual(code, 400)
            XCTAssertEqual(json["error"]?["message"]?.stringValue?.contains("300 tokens"), true, json.serialized)
            XCTAssertEqual(json["error"]?["message"]?.stringValue?.contains("256"), true, json.serialized)
            // a body over the limit
            let big = #"{"prompt":"\#(String(repeating: "a", count: 9000))"}"#
            let v4 = try await s.send(.POST, "/v1/completions", body: big).status
            XCTAssertEqual(v4, 413)
            // the server still serves
            let v5 = try await s.send(.POST, "/v1/completions", body: #"{"prompt":"ok","max_tokens":2}"#).status
            XCTAssertEqual(v5, 200)
            let v6 = try await s.metric(#"oss_requests_total{route="/v1/chat/completions",status="400"}"#)
            XCTAssertEqual(v6, 20)
        } catch {
            try await s.stop()
            throw error
        }
        try await s.stop()
    }

    func testAPIKey() async throws {
        let s = try await ServerFixture(apiKey: "sekrit")
        do {
            let v7 = try await s.send(.GET, "/v1/models").status
            XCTAssertEqual(v7, 401)
            let v8 = try await s.send(.GET, "/v1/models", headers: [("Authorization", "Bearer wrong")]).status
            XCTAssertEqual(v8, 401)
            let v9 = try await s.send(.GET, "/v1/models", headers: [("Authorization", "Bearer sekrit")]).status
            XCTAssertEqual(v9, 200)
            let v10 = try await s.send(.GET, "/health").status
            XCTAssertEqual(v10, 200)
        } catch {
            try await s.stop()
            throw error
        }
        try await s.stop()
    }

    /// One slot, a queue of one: a third request gets 429; a client that disconnects mid-stream frees its slot
    /// for the queued request.
    func testQueueFullAndDisconnect() async throws {
        let s = try await ServerFixture(parallel: 1, queue: 1)
        do {
            let long = #"{"prompt":"Tell me a long story","max_tokens":100000,"stream":true}"#
            let (firstChunk, signal) = AsyncStream<Void>.makeStream()
            let streaming = Task {
                var request = HTTPClientRequest(url: "http://127.0.0.1:\(s.port)/v1/completions")
                request.method = .POST
                request.body = .bytes(ByteBuffer(string: long))
                let response = try await s.client.execute(request, timeout: .seconds(120))
                for try await _ in response.body { signal.yield() }
            }
            var it = firstChunk.makeAsyncIterator()
            _ = await it.next()  // the first job runs
            let queued = Task { try await s.json(.POST, "/v1/completions", #"{"prompt":"queued","max_tokens":3}"#) }
            var waited = 0
            while try await s.json(.GET, "/health").json["queued"] != .integer(1) {
                try await Task.sleep(nanoseconds: 20_000_000)
                waited += 1
                XCTAssertLessThan(waited, 500, "the second request never queued")
            }
            let (code, json) = try await s.json(.POST, "/v1/completions", #"{"prompt":"third","max_tokens":3}"#)
            XCTAssertEqual(code, 429, json.serialized)
            XCTAssertEqual(json["error"]?["type"], .string("rate_limit_error"))
            streaming.cancel()  // the client goes away
            let (qs, q) = try await queued.value
            XCTAssertEqual(qs, 200, q.serialized)
            XCTAssertEqual(q["usage"]?["completion_tokens"], .integer(3))
            waited = 0
            while try await s.json(.GET, "/health").json["active"] != .integer(0) {
                try await Task.sleep(nanoseconds: 20_000_000)
                waited += 1
                XCTAssertLessThan(waited, 500)
            }
            let v11 = try await s.metric(#"oss_requests_total{route="/v1/completions",status="429"}"#)
            XCTAssertEqual(v11, 1)
            let v12 = try await s.metric("oss_active_slots")
            XCTAssertEqual(v12, 0)
            let v13 = try await s.metric("oss_time_to_first_token_seconds_count")
            XCTAssertGreaterThan(v13, 1)
        } catch {
            try await s.stop()
            throw error
        }
        try await s.stop()
    }

    /// A graceful shutdown lets the request in flight finish with all its tokens.
    func testGracefulShutdownFinishesInFlightRequests() async throws {
        let s = try await ServerFixture(parallel: 1)
        let inFlight = Task { try await s.json(.POST, "/v1/completions", #"{"prompt":"last words","max_tokens":40}"#) }
        var waited = 0
        while try await s.json(.GET, "/health").json["active"] != .integer(1) {
            try await Task.sleep(nanoseconds: 5_000_000)
            waited += 1
            if waited > 2000 { break }
        }
        try await s.stopServer()
        // the response may still be on its way to the client: shut the client down only once it has arrived
        let result = await inFlight.result
        try await s.stopClient()
        let (status, reply) = try result.get()
        XCTAssertEqual(status, 200, reply.serialized)
        XCTAssertEqual(reply["usage"]?["completion_tokens"], .integer(40))
    }

    /// The next turn of a conversation reuses the slot whose cache holds its start: only the new tokens are
    /// prefilled.
    func testNextTurnReusesTheSlotsCachePrefix() async throws {
        let s = try await ServerFixture(parallel: 2)
        do {
            let first =
                #"{"messages":[{"role":"user","content":"Tell me about the sea."}],"max_tokens":4,"temperature":0}"#
            let (status, reply) = try await s.json(.POST, "/v1/chat/completions", first)
            XCTAssertEqual(status, 200, reply.serialized)
            let firstPrompt = reply["usage"]?["prompt_tokens"]?.intValue ?? 0
            let prefilled = try await s.metric("oss_prompt_tokens_total")
            XCTAssertEqual(prefilled, Double(firstPrompt))
            let next = #"""
                {"messages":[{"role":"user","content":"Tell me about the sea."},
                  {"role":"assistant","content":"It is large."},{"role":"user","content":"And the sky?"}],
                 "max_tokens":4,"temperature":0}
                """#
            let (status2, reply2) = try await s.json(.POST, "/v1/chat/completions", next)
            XCTAssertEqual(status2, 200, reply2.serialized)
            let nextPrompt = reply2["usage"]?["prompt_tokens"]?.intValue ?? 0
            let added = try await s.metric("oss_prompt_tokens_total") - prefilled
            // the first prompt (it ends with <|start|>assistant) stays in the cache; only the rest is prefilled
            XCTAssertEqual(added, Double(nextPrompt - firstPrompt))
        } catch {
            try await s.stop()
            throw error
        }
        try await s.stop()
    }

    /// `/v1/responses` with `stream: true`: Responses API events whose deltas add up to the final response.
    func testResponsesStream() async throws {
        let s = try await ServerFixture()
        do {
            let body =
                #"{"input":[{"role":"user","content":"Hi"}],"max_output_tokens":6,"stream":true,"temperature":0}"#
            let events = try await s.events("/v1/responses", body)
            XCTAssertEqual(events.last, "[DONE]")
            let parsed = try events.dropLast().map { try JSONValue.parse(Array($0.utf8)) }
            let types = parsed.compactMap { $0["type"]?.stringValue }
            XCTAssertEqual(types.first, "response.created")
            XCTAssertEqual(types.last, "response.incomplete")
            XCTAssertEqual(parsed.map { $0["sequence_number"]?.intValue ?? -1 }, Array(0..<parsed.count))
            let final = parsed.last?["response"]
            XCTAssertEqual(final?["usage"]?["output_tokens"], .integer(6))
            var text = ""
            var reasoning = ""
            for e in parsed {
                if e["type"] == .string("response.output_text.delta") { text += e["delta"]?.stringValue ?? "" }
                if e["type"] == .string("response.reasoning_text.delta") { reasoning += e["delta"]?.stringValue ?? "" }
            }
            let output = final?["output"]?.arrayValue ?? []
            let message = output.first { $0["type"] == .string("message") }
            XCTAssertEqual(text, message?["content"]?.arrayValue?.first?["text"]?.stringValue ?? "")
            let thought = output.first { $0["type"] == .string("reasoning") }
            XCTAssertEqual(reasoning, thought?["content"]?.arrayValue?.first?["text"]?.stringValue ?? "")
            XCTAssertEqual(types.filter { $0 == "response.output_item.added" }.count, output.count)
            // the same request unstreamed gives the same output text
            let plain = body.replacingOccurrences(of: #","stream":true"#, with: "")
            let (status, reply) = try await s.json(.POST, "/v1/responses", plain)
            XCTAssertEqual(status, 200, reply.serialized)
            let plainMessage = reply["output"]?.arrayValue?.first { $0["type"] == .string("message") }
            XCTAssertEqual(plainMessage?["content"]?.arrayValue?.first?["text"]?.stringValue ?? "", text)
        } catch {
            try await s.stop()
            throw error
        }
        try await s.stop()
    }

    /// A request past `requestTimeout` is cut: 504 with an OpenAI error body, and its slot is freed.
    func testRequestTimeout() async throws {
        let s = try await ServerFixture(parallel: 1, timeout: 0.3)
        do {
            let (status, reply) = try await s.json(
                .POST, "/v1/completions", #"{"prompt":"on and on","max_tokens":1000000}"#)
            XCTAssertEqual(status, 504, reply.serialized)
            XCTAssertEqual(reply["error"]?["type"], .string("timeout_error"))
            let (again, _) = try await s.json(.POST, "/v1/completions", #"{"prompt":"short","max_tokens":2}"#)
            XCTAssertEqual(again, 200)
        } catch {
            try await s.stop()
            throw error
        }
        try await s.stop()
    }
}
