import ArgumentParser
import Foundation
import OSSBackends
import OSSCore
import OSSFormats
import OSSModel
import OSSTokenizer

extension KVCacheType: ExpressibleByArgument {}

/// `--model`, `--context`, `--chat-format` and the backend options: shared by the commands that run a model.
struct ModelOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "Model: a GGUF file (a split model by any shard) or a gpt-oss checkpoint directory.",
            discussion:
                "A directory holds config.json + safetensors (tokenizer.json if present, else the bundled o200k). "
                + "A GGUF file brings its own tokenizer and chat template; architectures: gpt-oss, llama, qwen2, qwen3."
        ))
    var model: String

    @OptionGroup var engine: BackendOptions

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Threads for single-token decode steps (default: --threads, else the decode threads of `oss tune`).",
            discussion:
                "Decode is bound by memory bandwidth, which fewer threads than prefill needs may already reach; "
                + "`oss bench run --suite e2e --threads …` shows tokens/s of both per thread count."))
    var decodeThreads: Int?

    @Option(
        name: [.long, .customLong("ctx-size")],
        help: "KV cache positions (per slot in `serve`; default: min(model's own context, 4096)).")
    var context: Int?

    @Option(
        name: .long,
        help: "Chat format instead of the one detected from the model's chat template: \(ChatFormat.names).")
    var chatFormat: String?

    @Flag(
        name: .long,
        help: ArgumentHelp(
            "Pin the mapped weights in memory (mlock; needs `ulimit -l` ≥ the model's size).",
            discussion:
                "Every page is read in at load and cannot be evicted, so decode keeps its speed when other large "
                + "files compete for the page cache."))
    var mlock = false

    @Flag(
        name: .long,
        help: ArgumentHelp(
            "Read the weights into anonymous memory on transparent huge pages instead of mapping the file.",
            discussion:
                "Costs a full read at load and the model's size in RAM; afterwards independent of the page cache "
                + "(with no swap it cannot be evicted) and with fewer TLB misses. --no-hugepages keeps 4 KiB pages."))
    var noMmap = false

    @Flag(name: .long, help: "With --no-mmap: 4 KiB pages instead of huge pages (to measure what huge pages give).")
    var noHugepages = false

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Convert dense float matrices once at load, e.g. q8_0 (gpt-oss: attention and unembedding).",
            discussion: "Fewer bytes per decoded token; the accuracy cost is in the README."))
    var requant: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "KV cache element type: f32 (default, the reference's arithmetic) or f16 (llama.cpp's default).",
            discussion:
                "f16 halves the cache's memory and the bytes attention reads per token at long context; keys and "
                + "values are rounded to the nearest half when stored (the logit difference is in the README)."))
    var kvCache: KVCacheType = .f32

    /// How the weights reach memory: `--no-mmap` (`--no-hugepages`), `--mlock`, else mapped.
    var residency: WeightResidency {
        noMmap ? (noHugepages ? .anonymous4K : .anonymous) : mlock ? .mlock : .mmap
    }

    /// `--requant` as a dtype.
    var requantDType: DType? { requant.flatMap { DType(name: $0) } }

    /// `--requant NAME` checked: a quantised dtype, else a ValidationError naming it (shared with `oss logits`).
    static func checkRequant(_ name: String?) throws {
        if let r = name, DType(name: r)?.isQuantized != true {
            throw ValidationError("--requant: '\(r)' is not a quantised dtype (e.g. q8_0, q4_0, q4_k)")
        }
    }

    func validate() throws {
        if let c = context, c < 1 { throw ValidationError("--context must be ≥ 1, got \(c)") }
        if let t = decodeThreads, t < 1 { throw ValidationError("--decode-threads must be ≥ 1, got \(t)") }
        if let f = chatFormat {
            do { _ = try ChatFormat(name: f) } catch { throw ValidationError("--chat-format: \(error)") }
        }
        if mlock && noMmap { throw ValidationError("--mlock and --no-mmap exclude each other (a copy is not mapped)") }
        if noHugepages && !noMmap { throw ValidationError("--no-hugepages only applies with --no-mmap") }
        try Self.checkRequant(requant)
    }

    /// The model on the chosen backend through `ModelLoader` (`rewindRows`: extra sliding-window cache rows, see
    /// `GPTOSSModel.init`); with `--decode-threads` other than the prompt's thread count, decode steps run on a
    /// second backend instance.
    /// `prefillChunk`: rows of the model's own forward steps (1 when a `ModelBatch` with its own buffers runs it).
    func load(rewindRows: Int = 0, contextLength: Int? = nil, prefillChunk: Int = 512) throws -> LoadedModel {
        let decodeCount = decodeThreads ?? engine.tunedThreads?.decode
        let decode = try decodeCount.flatMap { $0 == engine.threadCount ? nil : try engine.makeBackend(threads: $0) }
        let options = ModelLoadOptions(
            backend: try engine.makeBackend(), decodeBackend: decode,
            contextLength: contextLength ?? context, prefillChunk: prefillChunk,
            rewindRows: rewindRows, chatFormat: try chatFormat.map { try ChatFormat(name: $0) },
            residency: residency, requantize: requantDType, kvCache: kvCache)
        return try ModelLoader.load(path: model, options: options)
    }
}

/// Rejects a prompt with ids the model has no embedding row for (e.g. harmony control tokens on the 1024-token
/// synthetic `tiny` model), naming the first such id.
func checkPromptFitsModel(_ ids: [Int32], model: any LanguageModel) throws {
    if let bad = ids.first(where: { Int($0) >= model.vocabSize }) {
        throw GenerationCommandError(
            "prompt token \(bad) is outside the model's \(model.vocabSize)-token vocabulary "
                + "(the tokenizer does not match this model; harmony chat needs the o200k vocabulary of 201088 rows)")
    }
}

/// `--max-tokens`, `--temperature`, `--top-k`, `--top-p`, `--min-p`, `--seed`.
struct SamplingOptions: ParsableArguments {
    @Option(name: .long, help: "Most tokens to generate (per turn in chat).")
    var maxTokens: Int = 512

    @Option(name: .long, help: "Softmax temperature; 0 = greedy.")
    var temperature: Float = 1

    @Option(name: .long, help: "Keep the k most likely tokens; 0 = off.")
    var topK: Int = 0

    @Option(name: .long, help: "Nucleus sampling mass in (0, 1]; 1 = off.")
    var topP: Float = 1

    @Option(name: .long, help: "Drop tokens below min-p × the top probability; 0 = off.")
    var minP: Float = 0

    @Option(name: .long, help: "Random seed (default: random, printed on stderr).")
    var seed: UInt64?

    func validate() throws {
        guard maxTokens >= 1 else { throw ValidationError("--max-tokens must be ≥ 1, got \(maxTokens)") }
        do { try parameters(seed: 0).validate() } catch { throw ValidationError("\(error)") }
    }

    func parameters(seed: UInt64) -> SamplingParameters {
        SamplingParameters(temperature: temperature, topK: topK, topP: topP, minP: minP, seed: seed)
    }

    /// The `--seed` value, or a fresh random one.
    var resolvedSeed: UInt64 { seed ?? UInt64.random(in: 0...UInt64.max) }
}

/// A run-time failure of `oss generate` / `oss chat` with a readable reason (no usage text).
struct GenerationCommandError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Terminal output helpers for the generating commands.
enum Console {
    static func out(_ text: String) { if !text.isEmpty { FileHandle.standardOutput.write(Data(text.utf8)) } }
    static func err(_ text: String) { if !text.isEmpty { FileHandle.standardError.write(Data(text.utf8)) } }
    static var stdoutIsTerminal: Bool { isatty(STDOUT_FILENO) != 0 }
    static var stderrIsTerminal: Bool { isatty(STDERR_FILENO) != 0 }
    static let dim = "\u{1B}[2m", reset = "\u{1B}[0m"
}
