import AsyncHTTPClient
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

/// A running server on a free loopback port over the `tiny-o200k` preset (tiny shapes, the real vocabulary).
final class ServerFixture: @unchecked Sendable {
    let server: OSSServer
    let port: Int
    let task: Task<Void, any Error>
    let client = HTTPClient(eventLoopGroupProvider: .singleton)

    nonisolated(unsafe) private static var modelDirectory: URL?
    private static let lock = NSLock()

    /// The preset's checkpoint, written once per test process into a temporary directory removed at exit.
    static func directory() throws -> URL {
        lock.lock()
        defer { lock.unlock() }
        if let d = modelDirectory { return d }
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("oss-server-tests-\(UUID().uuidString)")
        try SyntheticModel.write(.tinyO200k, to: d)
        modelDirectory = d
        atexit { if let d = ServerFixture.modelDirectory { try? FileManager.default.removeItem(at: d) } }
        return d
    }

    static func model(parallel: Int, context: Int, prefillChunk: Int) throws -> GPTOSSBatch {
        let base = try GPTOSSModel.load(directory: try directory(), backend: try BackendKind.blas.make(threads: 2),
                                        contextLength: context, prefillChunk: 1)
        return try GPTOSSBatch(model: base, slots: parallel, contextLength: context,
                               maxStepRows: parallel + prefillChunk, rewindRows: 64)
    }

    init(parallel: Int = 4, context: Int = 1024, queue: Int = 16, apiKey: String? = nil, prefillChunk: Int = 64,
         maxBodyBytes: Int = 64 << 10, timeout: Double = 120) async throws {
        var c = OSSServer.Configuration()
        c.port = 0
        c.apiKey = apiKey
        c.maxBodyBytes = maxBodyBytes
        c.requestTimeout = timeout
        c.engine = Engine.Configuration(queueCapacity: queue, prefillChunk: prefillChunk)
        c.modelID = "tiny-o200k"
        c.shutdownSignals = []
        var logger = Logger(label: "oss.serve.test")
        logger.logLevel = .warning
        let server = try OSSServer(model: try Self.model(parallel: parallel, context: context, prefillChunk: prefillChunk),
                                   tokenizer: try Tokenizer.o200kHarmony(), configuration: c, logger: logger)
        self.server = server
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        task = Task { try await server.run { port in continuation.yield(port) } }
        var it = ports.makeAsyncIterator()
        guard let p = await it.next() else { throw XCTSkip("server did not start") }
        port = p
    }

    func stop() async throws {
        await server.shutdown()
        try await task.value
        try await client.shutdown()
    }

    /// Sends a request; returns status and body text.
    func send(_ method: HTTPMethod, _ path: String, body: String? = nil, headers: [(String, String)] = [])
        async throws -> (status: Int, body: String) {
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
        async throws -> (status: Int, json: JSONValue) {
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
}
