import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import OSSCore
import OSSModel
import OSSServer
import OSSTokenizer
import XCTest

/// `oss serve` of Llama-family GGUF models (their own tokenizer, chat template and stop tokens) over HTTP: chat in
/// the model's text format, completions, batching equivalence, and a 400 for what only harmony can express.
final class LlamaServerTests: XCTestCase {
    static let chat =
        #"{"model":"qwen-tiny","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hello there"}],"#

    func testChatInTheModelsFormatAndCompletions() async throws {
        let s = try await ServerFixture(.qwenTiny)
        do {
            let models = try await s.json(.GET, "/v1/models")
            XCTAssertEqual(models.json["data"]?.arrayValue?.first?["id"], .string("qwen-tiny"))
            let chat = try XCTUnwrap(s.server.chat)
            XCTAssertEqual(chat.format, .chatml)
            XCTAssertNil(s.server.harmony)
            let imEnd = try s.server.tokenizer.specialID("<|im_end|>")
            XCTAssertTrue(chat.stopTokens.contains(imEnd))
            XCTAssertTrue(s.server.completionStopTokens.isSuperset(of: chat.stopTokens))

            // the prompt is the ChatML rendering of the messages
            let body = Self.chat + #""max_tokens":6,"temperature":0}"#
            let prompt = try s.server.chatPrompt(requestBody: Array(body.utf8))
            XCTAssertEqual(prompt, chat.prompt([.system("Be brief."), .user("Hello there")]))
            XCTAssertEqual(
                try s.server.tokenizer.decode(prompt),
                "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHello there<|im_end|>\n"
                    + "<|im_start|>assistant\n")
            let (status, reply) = try await s.json(.POST, "/v1/chat/completions", body)
            XCTAssertEqual(status, 200, reply.serialized)
            let choice = reply["choices"]?.arrayValue?.first
            let message = choice?["message"]
            XCTAssertEqual(message?["role"], .string("assistant"))
            XCTAssertNil(message?["reasoning_content"])
            XCTAssertNil(message?["tool_calls"])
            let generated = reply["usage"]?["completion_tokens"]?.intValue ?? -1
            XCTAssertEqual(reply["usage"]?["prompt_tokens"], .integer(prompt.count))
            XCTAssertEqual(choice?["finish_reason"], .string(generated == 6 ? "length" : "stop"))
            XCTAssertLessThanOrEqual(generated, 6)

            // streaming gives the same content
            let events = try await s.events(
                "/v1/chat/completions",
                Self.chat + #""max_tokens":6,"temperature":0,"stream":true}"#)
            XCTAssertEqual(events.last, "[DONE]")
            var content = ""
            var finishes: [String] = []
            for e in events.dropLast() {
                let c = try JSONValue.parse(Array(e.utf8))
                guard let choice = c["choices"]?.arrayValue?.first else { continue }
                XCTAssertNil(choice["delta"]?["reasoning_content"])
                content += choice["delta"]?["content"]?.stringValue ?? ""
                if let f = choice["finish_reason"]?.stringValue { finishes.append(f) }
            }
            XCTAssertEqual(content, message?["content"]?.stringValue)
            XCTAssertEqual(finishes, [choice?["finish_reason"]?.stringValue ?? ""])

            // completions: the same greedy continuation as the model run alone
            let (cs, c) = try await s.json(
                .POST, "/v1/completions",
                #"{"prompt":"Once upon","max_tokens":5,"temperature":0}"#)
            XCTAssertEqual(cs, 200, c.serialized)
            let ids = s.server.tokenizer.encode("Once upon", allowSpecial: false, addSpecial: true)
            let expected = try Self.greedy(.qwenTiny, prompt: ids, count: 5, stop: s.server.completionStopTokens)
            XCTAssertEqual(c["usage"]?["completion_tokens"], .integer(expected.count))
            var decoder = StreamingDecoder(tokenizer: s.server.tokenizer)
            let text =
                expected.filter { !s.server.completionStopTokens.contains($0) }.map { decoder.append($0) }
                .joined() + decoder.finish()
            XCTAssertEqual(c["choices"]?.arrayValue?.first?["text"]?.stringValue, text)
        } catch {
            try await s.stop()
            throw error
        }
        try await s.stop()
    }

    /// What only harmony expresses gets a 400 naming the parameter; `tool_choice: none` leaves tools out.
    func testHarmonyOnlyFeaturesAreBadRequests() async throws {
        let s = try await ServerFixture(.qwenTiny)
        do {
            let tools = #""tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}]"#
            let cases: [(String, String, String?)] = [
                ("/v1/chat/completions", Self.chat + tools + "}", "tools"),
                ("/v1/chat/completions", Self.chat + #""reasoning_effort":"low"}"#, "reasoning_effort"),
                (
                    "/v1/chat/completions",
                    #"{"messages":[{"role":"user","content":"x"},{"role":"assistant","content":null,"tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}]}]}"#,
                    "messages"
                ),
                (
                    "/v1/chat/completions",
                    #"{"messages":[{"role":"user","content":"x"},{"role":"tool","tool_call_id":"c","content":"1"}]}"#,
                    "messages"
                ),
                ("/v1/chat/completions", #"{"messages":[{"role":"assistant","content":"x"}]}"#, "messages"),
                ("/v1/responses", #"{"input":"x"}"#, nil),
            ]
            for (path, body, param) in cases {
                let (code, json) = try await s.json(.POST, path, body)
                XCTAssertEqual(code, 400, "\(body): \(json.serialized)")
                XCTAssertEqual(json["error"]?["type"], .string("invalid_request_error"), body)
                if let param { XCTAssertEqual(json["error"]?["param"], .string(param), body) }
                let message = json["error"]?["message"]?.stringValue ?? ""
                if path == "/v1/responses" || param != "messages" || body.contains("tool") {
                    XCTAssertTrue(message.contains("harmony"), message)
                }
            }
            let none = Self.chat + tools + #","tool_choice":"none","max_tokens":2,"temperature":0}"#
            let (code, json) = try await s.json(.POST, "/v1/chat/completions", none)
            XCTAssertEqual(code, 200, json.serialized)
        } catch {
            try await s.stop()
            throw error
        }
        try await s.stop()
    }

    /// The Llama 2 template of the SentencePiece preset: BOS first, `[INST] … [/INST]`.
    func testLlama2Format() async throws {
        let s = try await ServerFixture(.llamaTiny)
        do {
            let chat = try XCTUnwrap(s.server.chat)
            XCTAssertEqual(chat.format.rawValue.hasPrefix("llama2"), true, chat.format.rawValue)
            let body = #"{"messages":[{"role":"user","content":"Hi"}],"max_tokens":4,"temperature":0}"#
            let prompt = try s.server.chatPrompt(requestBody: Array(body.utf8))
            XCTAssertEqual(prompt, chat.prompt([.user("Hi")]))
            XCTAssertEqual(prompt.first, s.server.tokenizer.bosID)
            let (status, reply) = try await s.json(.POST, "/v1/chat/completions", body)
            XCTAssertEqual(status, 200, reply.serialized)
            XCTAssertEqual(reply["usage"]?["prompt_tokens"], .integer(prompt.count))
        } catch {
            try await s.stop()
            throw error
        }
        try await s.stop()
    }

    /// 8 simultaneous streams at temperature 0 give the same tokens as 8 sequential runs (Llama family).
    func testConcurrentGreedyStreamsMatchSequentialRuns() async throws {
        let s = try await ServerFixture(.qwenTiny, parallel: 8, prefillChunk: 8)
        do {
            try await s.assertConcurrentGreedyStreamsMatchSequentialRuns(vocab: 1000)
        } catch {
            try await s.stop()
            throw error
        }
        try await s.stop()
    }

    /// Greedy tokens of the preset run alone (single-sequence model, the server's masks), up to a stop token.
    static func greedy(_ model: ServerFixture.Model, prompt: [Int32], count: Int, stop: Set<Int32>) throws -> [Int32] {
        let (loaded, _) = try ServerFixture.load(model, parallel: 1, context: 256, prefillChunk: 8)
        let tokenizer = loaded.tokenizer
        let limit = min(loaded.model.vocabSize, tokenizer.sampleableLimit)
        let sampler = try Sampler(
            parameters: .greedy, sampleableLimit: limit,
            bannedIDs: (0..<Int32(limit)).filter { !tokenizer.hasToken($0) })
        var logits = try loaded.model.prefill(prompt)
        var out: [Int32] = []
        while out.count < count {
            let t = try sampler.sample(logits)
            out.append(t)
            if stop.contains(t) { break }
            logits = try loaded.model.decode(t)
        }
        return out
    }
}
