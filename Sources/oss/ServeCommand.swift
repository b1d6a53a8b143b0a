import ArgumentParser
import Foundation
import Logging
import OSSModel
import OSSServer
import OSSTokenizer

/// `oss serve`: parses the flags, loads the model through `ModelLoader` and starts `OSSServer`.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "An OpenAI-compatible HTTP server with continuous batching "
            + "(chat/completions, completions, responses).",
        discussion: "gpt-oss models chat in harmony (reasoning, tool calls, /v1/responses); Llama-family GGUF "
            + "models in their chat template's format (--chat-format to force one), content only.")

    @OptionGroup var model: ModelOptions

    @Option(name: .long, help: "Address to bind (loopback by default).")
    var host = "127.0.0.1"

    @Option(name: .long, help: "Port (0 = any free port; the log names it).")
    var port = 8080

    @Option(name: .long, help: "Slots: sequences decoded together in one batched step.")
    var parallel = 4

    @Option(name: .long, help: "Prompt tokens per step over all slots (long prompts are read in chunks this size).")
    var prefillChunk = 128

    @Option(name: .long, help: "Requests that may wait for a slot; more get 429.")
    var queueSize = 64

    @Option(name: .long, help: "Require 'Authorization: Bearer KEY' on /v1/* requests.")
    var apiKey: String?

    @Option(name: .long, help: "Seconds a request may run before it is cut.")
    var timeout: Double = 600

    @Option(name: .long, help: "Largest request body in bytes (413 beyond).")
    var maxBodyBytes = 4 << 20

    @Option(name: .long, help: "The model's name in requests and /v1/models (default: the directory's or file's name).")
    var alias: String?

    func validate() throws {
        guard parallel >= 1 else { throw ValidationError("--parallel must be ≥ 1, got \(parallel)") }
        if let c = model.context, c < 2 { throw ValidationError("--ctx-size must be ≥ 2, got \(c)") }
        guard prefillChunk >= 1 else { throw ValidationError("--prefill-chunk must be ≥ 1, got \(prefillChunk)") }
        guard queueSize >= 0 else { throw ValidationError("--queue-size must be ≥ 0, got \(queueSize)") }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be in 0...65535, got \(port)") }
        guard timeout > 0 else { throw ValidationError("--timeout must be > 0, got \(timeout)") }
        guard maxBodyBytes >= 1024 else { throw ValidationError("--max-body-bytes must be ≥ 1024") }
    }

    func run() async throws {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        let logger: Logger = {
            var l = Logger(label: "oss.serve")
            l.logLevel = .info
            return l
        }()
        do {
            // The slots have their own activation buffers: the model's own are one row. Rewind rows let a slot keep
            // the previous prompt of a conversation while it generated up to 256 tokens (sliding layers).
            let loaded = try model.load(rewindRows: 256, prefillChunk: 1)
            let batch = try ModelBatch(
                model: loaded.model, slots: parallel, maxStepRows: parallel + prefillChunk,
                rewindRows: 256)
            // A model without a recognised chat template still serves /v1/completions.
            var chatFormat: ChatFormat?
            do { chatFormat = try loaded.chatFormat() } catch {
                logger.warning("no chat format, /v1/chat/completions is off (--chat-format picks one): \(error)")
            }
            var configuration = OSSServer.Configuration()
            configuration.host = host
            configuration.port = port
            configuration.apiKey = apiKey
            configuration.requestTimeout = timeout
            configuration.maxBodyBytes = maxBodyBytes
            configuration.engine = Engine.Configuration(queueCapacity: queueSize, prefillChunk: prefillChunk)
            let url = URL(fileURLWithPath: model.model).standardizedFileURL
            configuration.modelID =
                alias
                ?? (loaded.info.format == .gguf
                    ? url.deletingPathExtension().lastPathComponent : url.lastPathComponent)
            let server = try OSSServer(
                model: batch, tokenizer: loaded.tokenizer, chatFormat: chatFormat,
                configuration: configuration, logger: logger)
            logger.info(
                """
                serving \(configuration.modelID) (\(loaded.info.architecture), \(loaded.info.weightDTypes), chat \
                format \(chatFormat?.rawValue ?? "none")) on \(loaded.engineSummary): \(parallel) slots × \
                \(batch.contextLength) positions, KV \(batch.cacheBytes >> 20) MiB
                """)
            try await server.run { port in logger.info("listening on http://\(host):\(port)") }
        } catch {
            FileHandle.standardError.write(Data("oss serve: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}
