import AsyncHTTPClient
import BLASBackend
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import OSSBackends
import OSSCore
import OSSModel
import OSSServer
import OSSTokenizer
import XCTest

/// A running server on a free loopback port over a small model: the `tiny-o200k` preset (tiny shapes, the real
/// vocabulary, harmony chat) or a Llama-family GGUF preset (its own tokenizer and chat template), written into a
/// temporary directory.
final class ServerFixture: @unchecked Sendable {
    /// The model served.
    enum Model: String {
        /// gpt-oss shapes of §6 with the o200k vocabulary: harmony.
        case tinyO200k = "tiny-o200k"
        /// qwen2, byte-level BPE of 1024 tokens, ChatML.
        case qwenTiny = "qwen-tiny"
        /// llama, SentencePiece of 512 tokens, Llama 2 chat template.
        case llamaTiny = "llama-tiny"
    }

    let server: OSSServer
    let port: Int
    let task: Task<Void, any Error>
    let client = HTTPClient(eventLoopGroupProvider: .singleton)

    nonisolated(unsafe) private static var root: URL?
    nonisolated(unsafe) private static var written: [Model: String] = [:]
    private static let lock = NSLock()

    /// The model's checkpoint directory or GGUF file, written once per test process into a temporary directory
    /// removed at exit.
    static func path(_ model: Model) throws -> String {
        lock.lock()
        defer { lock.unlock() }
        if let p = written[model] { return p }
        let r =
            root
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("oss-server-tests-\(UUID().uuidString)")
        if root == nil {
            try FileManager.default.createDirectory(at: r, withIntermediateDirectories: true)
            root = r
            atexit { if let r = ServerFixture.root { try? FileManager.default.removeItem(at: r) } }
        }
        let url: URL
        switch model {
        case .tinyO200k:
            url = r.appendingPathComponent("tiny-o200k")
            try SyntheticModel.write(.tinyO200k, to: url)
        case .qwenTiny, .llamaTiny:
            url = r.appendingPathComponent("\(model.rawValue).gguf")
            try SyntheticModel.writeGGUF(model == .qwenTiny ? .qwenTiny : .llamaTiny, type: .f32, to: url)
        }
        written[model] = url.path
        return url.path
    }

    /// The model through `ModelLoader`, as `oss serve` loads it, and its slots.
    static func load(_ model: Model, parallel: Int, context: Int, prefillChunk: Int) throws
        -> (LoadedModel, ModelBatch)
    {
        let options = ModelLoadOptions(
            backend: try BackendKind.blas.make(threads: 2), contextLength: context,
            prefillChunk: 1, rewindRows: 64)
        let loaded = try ModelLoader.load(path: try path(model), options: options)
        let batch = try ModelBatch(
            model: loaded.model, slots: parallel, maxStepRows: parallel + prefillChunk,
            rewindRows: 64)
        return (loaded, batch)
    }

    init(
        _ model: Model = .tinyO200k, parallel: Int = 4, context: Int = 1024, queue: Int = 16,
        apiKey: String? = nil, prefillChunk: Int = 64, maxBodyBytes: Int = 64 << 10, timeout: Double = 120
    )
        async throws
    {
        var c = OSSServer.Configuration()
        c.port = 0
        c.apiKey = apiKey
        c.maxBodyBytes = maxBodyBytes
        c.requestTimeout = timeout
        c.engine = Engine.Configuration(queueCapacity: queue, prefillChunk: prefillChunk)
        c.modelID = model.rawValue
        c.shutdownSignals = []
        var logger = Logger(label: "oss.serve.test")
        logger.logLevel = .warning
        let (loaded, batch) = try Self.load(model, parallel: parallel, context: context, prefillChunk: prefillChunk)
        let server = try OSSServer(
            model: batch, tokenizer: loaded.tokenizer, chatFormat: try loaded.chatFormat(),
            configuration: c, logger: logger)
        self.server = server
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        task = Task { try await server.run { port in continuation.yield(port) } }
        var it = ports.makeAsyncIterator()
        let bound = await it.next()
        port = try XCTUnwrap(bound, "the server stopped before it bound a port")
    }

    func stop() async throws {
        try await stopServer()
        try await client.shutdown()
    }

    /// Shuts the server down gracefully (its in-flight requests finish) and waits for it; the client stays up, so a
    /// request still reading its response is not cancelled by the client's own shutdown. Then call `stopClient()`.
    func stopServer() async throws {
        await server.shutdown()
        try await task.value
    }

    func stopClient() async throws { try await client.shutdown() }

    /// Sends a request; returns status and body text.
    func send(_ method: HTTPMethod, _ path: String, body: String? = nil, headers: [(String, String)] = [])
        async throws -> (status: Int, body: String)
    {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = method
        request.headers.add(name: "Content-Type", value: "application/json")
        for (k, v) in headers { request.headers.add(name: k, value: v) }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await client.execute(request, timeout: .seconds(120))
        let bytes = try await response.body.collect(upTo: 16 << 20)
        return (Int(response.status.code), String(buffer: bytes))
    }

    func json(_ method: HTTPMethod, _ path: String, _ body: String? = nil, headers: [(String, String)] = [])
        async throws -> (status: Int, json: JSONValue)
    {
        let (status, text) = try await send(method, path, body: body, headers: headers)
        return (status, try JSONValue.parse(Array(text.utf8)))
    }

    /// A streaming request: the `data:` payloads in order (`[DONE]` included as a string).
    func events(_ path: String, _ body: String) async throws -> [String] {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: body))
        let response = try await client.execute(request, timeout: .seconds(120))
        XCTAssertEqual(response.status.code, 200)
        XCTAssertEqual(response.headers.first(name: "Content-Type"), "text/event-stream")
        var text = ""
        for try await buffer in response.body { text += String(buffer: buffer) }
        return text.components(separatedBy: "\n\n").filter { !$0.isEmpty }.map {
            XCTAssertTrue($0.hasPrefix("data: "), $0)
            return String($0.dropFirst(6))
        }
    }

    func metric(_ name: String) async throws -> Double {
        let text = try await send(.GET, "/metrics").body
        return text.split(separator: "\n").filter { $0.hasPrefix(name + " ") || $0.hasPrefix(name + "{") }
            .compactMap { Double($0.split(separator: " ").last!) }.reduce(0, +)
    }

    /// 8 greedy completions of token-id prompts (ids below `vocab`, lengths 3…38) run one by one, then as 8
    /// simultaneous streams: the texts must be equal, the streams must have shared steps (some step ran more than
    /// four rows), and the generated-tokens metric must count both rounds. Needs a server with 8 slots.
    func assertConcurrentGreedyStreamsMatchSequentialRuns(
        vocab: Int, file: StaticString = #filePath,
        line: UInt = #line
    ) async throws {
        // Batch invariance holds where every linear rounds its activations the same way at any T. With the default 8-bit
        // VNNI GEMM tiles (MXFP4 past T = 12, the GGUF block types past 32) and bf16 GEMM (BF16 past T = 16) a step's
        // rounding depends on how many rows an expert or linear gets, and that can flip a near-tie of these models' flat
        // logits; `oss serve --int8-gemm off --bf16-dot off` keeps the GEMVs' rounding at every T, as here. Float
        // weights also need every step within the batched GEMV's range (T ≤ 16): past it a GEMM sums in another order,
        // so the callers' servers take `prefillChunk: 8` (at most 7 decode rows + 8 prompt rows per step; with 32 a
        // stream's rows met a GEMM in some steps and not in others, depending on timing, and a near-tie flipped once
        // under load).
        let int8 = BLASBackend.int8GEMM
        let bf16 = BLASBackend.bf16DotProducts
        BLASBackend.int8GEMM = false
        BLASBackend.bf16DotProducts = false
        defer {
            BLASBackend.int8GEMM = int8
            BLASBackend.bf16DotProducts = bf16
        }
        let bodies = (0..<8).map { i in
            #"{"prompt":[\#((0..<(3 + 5 * i)).map { String(($0 * 7919 + i * 131) % vocab) }.joined(separator: ","))],"max_tokens":12,"temperature":0}"#
        }
        func text(_ reply: JSONValue) -> String {
            reply["choices"]?.arrayValue?.first?["text"]?.stringValue ?? "<none>"
        }
        var sequential: [String] = []
        var generated = 0
        for b in bodies {
            let reply = try await json(.POST, "/v1/completions", b).json
            sequential.append(text(reply))
            generated += reply["usage"]?["completion_tokens"]?.intValue ?? 0
        }
        // the same requests as 8 simultaneous streams, batched into the same steps
        let concurrent = try await withThrowingTaskGroup(of: (Int, String).self) { group in
            for (i, b) in bodies.enumerated() {
                let streamed = b.replacingOccurrences(of: #""temperature":0"#, with: #""temperature":0,"stream":true"#)
                group.addTask {
                    let chunks = try await self.events("/v1/completions", streamed).dropLast()
                    return (i, try chunks.map { text(try JSONValue.parse(Array($0.utf8))) }.joined())
                }
            }
            var out = [String](repeating: "", count: 8)
            for try await (i, text) in group { out[i] = text }
            return out
        }
        XCTAssertEqual(concurrent, sequential, file: file, line: line)
        let steps = try await metric("oss_step_rows_count")
        let small = try await metric(#"oss_step_rows_bucket{le="4.0"}"#)
        XCTAssertLessThan(small, steps, "the streams never shared a step", file: file, line: line)
        let total = try await metric("oss_generated_tokens_total")
        XCTAssertEqual(total, Double(2 * generated), file: file, line: line)
    }
}
