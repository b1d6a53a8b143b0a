import Foundation
import Hummingbird
import Logging
import OSSCore
import OSSModel
import OSSTokenizer
import ServiceLifecycle
import UnixSignals

/// `oss serve`: an OpenAI-compatible HTTP server over a batched model (continuous batching), in the model's chat
/// format: harmony for gpt-oss (reasoning, tool calls, `/v1/responses`), a text chat format (`ChatFormat`: Llama 2/3,
/// ChatML, Mistral, …) for Llama-family models (plain content; tools and the responses API are harmony-only).
///
/// The HTTP layer (this file and the endpoint files) decodes requests into plain Swift values — a harmony
/// conversation or chat messages, an `EngineJob` — and renders responses; the `Engine` owns the model, the slots and
/// the step loop.
public final class OSSServer: Sendable {
    /// Server settings (the CLI's flags).
    public struct Configuration: Sendable {
        public var host = "127.0.0.1"
        /// 0 = any free port (see `onRunning`).
        public var port = 8080
        /// Requests must carry `Authorization: Bearer KEY` on `/v1/*` when set.
        public var apiKey: String?
        /// Largest request body in bytes (413 beyond).
        public var maxBodyBytes = 4 << 20
        /// Seconds a request may take from submission to its last token.
        public var requestTimeout: Double = 600
        /// Jobs waiting for a slot (429 beyond) and prompt rows per step.
        public var engine = Engine.Configuration()
        /// The model's name in requests and `/v1/models`.
        public var modelID = "gpt-oss"
        /// Signals that shut the server down gracefully (none in tests, which cancel the task instead).
        public var shutdownSignals: [UnixSignal] = [.sigterm, .sigint]
        public init() {}
    }

    public let configuration: Configuration
    public let engine: Engine
    public let tokenizer: Tokenizer
    /// Renders chat requests into prompts; nil when the model has no chat format (the chat endpoints answer 400,
    /// `/v1/completions` works).
    public let chat: ChatRenderer?
    /// Tokens that end a `/v1/completions` generation: the tokenizer's end-of-generation set and the chat format's
    /// end-of-turn tokens.
    public let completionStopTokens: Set<Int32>
    public let metrics: ServerMetrics
    let logger: Logger
    let created = Int(Date().timeIntervalSince1970)
    private let running = RunningGroup()

    /// The service group of `run`, for `shutdown()`.
    final class RunningGroup: @unchecked Sendable {
        let lock = NSLock()
        var group: ServiceGroup?
    }

    /// Serves `model` (slots, context and rows per step already chosen) with `tokenizer`, rendering chats in
    /// `chatFormat` (`.harmony` for gpt-oss; nil: no chat endpoints). Throws when the tokenizer lacks a control token
    /// the format writes.
    public init(
        model: any BatchedLanguageModel, tokenizer: Tokenizer, chatFormat: ChatFormat?,
        configuration: Configuration, logger: Logger = Logger(label: "oss.serve")
    ) throws {
        self.configuration = configuration
        self.tokenizer = tokenizer
        chat = try chatFormat.map { try ChatRenderer(format: $0, tokenizer: tokenizer) }
        completionStopTokens = tokenizer.endOfGeneration.union(chat?.stopTokens ?? [])
        metrics = ServerMetrics()
        self.logger = logger
        let limit = min(model.vocabSize, tokenizer.sampleableLimit)
        let banned = (0..<Int32(limit)).filter { !tokenizer.hasToken($0) }
        engine = try Engine(
            model: model, configuration: configuration.engine, sampleableLimit: limit,
            bannedIDs: banned, metrics: metrics, logger: logger)
    }

    /// Runs until a shutdown signal (or the task is cancelled): in-flight streams finish first, then the engine ends
    /// what is left. `onRunning` gets the bound port.
    public func run(onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let app = Application(
            router: makeRouter(),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "oss"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? 0) },
            logger: logger)
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: EngineService(engine: engine)), .init(service: app)],
                gracefulShutdownSignals: configuration.shutdownSignals, logger: logger))
        running.lock.withLock { running.group = group }
        try await group.run()
    }

    /// Shuts a running server down as a signal would: it stops accepting connections, lets in-flight requests
    /// finish, then stops the engine; `run` returns.
    public func shutdown() async {
        await running.lock.withLock { running.group }?.triggerGracefulShutdown()
    }

    /// Starts the engine's step loop with the service group and stops it after the HTTP server has shut down.
    struct EngineService: Service {
        let engine: Engine
        func run() async throws {
            engine.start()
            try? await gracefulShutdown()
            engine.shutdown()
        }
    }

    /// The harmony renderer when the chat format is harmony (gpt-oss).
    public var harmony: HarmonyRenderer? { chat?.harmony }

    /// A fresh id with a prefix (`chatcmpl-…`, `call_…`).
    static func newID(_ prefix: String) -> String {
        prefix + String((0..<24).map { _ in "0123456789abcdefghijklmnopqrstuvwxyz".randomElement()! })
    }
}
