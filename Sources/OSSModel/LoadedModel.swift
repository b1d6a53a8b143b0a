import OSSCore
import OSSTokenizer

/// Where a model was loaded from.
public enum ModelFileFormat: String, Sendable, CaseIterable {
    /// A gpt-oss checkpoint directory (config.json + safetensors).
    case safetensors
    /// A GGUF file (or the shards of a split GGUF model).
    case gguf
}

/// What a loaded model is: its architecture, sizes and source.
public struct ModelInfo: Sendable, Equatable {
    /// `general.architecture` names: `gpt-oss`, `llama`, `qwen2`, `qwen3`.
    public var architecture: String
    /// `general.name` of a GGUF file, else the file or directory name.
    public var name: String
    public var format: ModelFileFormat
    /// The path given to the loader (for a split model: its first shard).
    public var path: String
    /// Rows of the embedding / logits per position.
    public var vocabSize: Int
    /// KV cache positions of this instance.
    public var contextLength: Int
    /// The longest context the model itself supports (`{arch}.context_length`, `max_position_embeddings`).
    public var trainedContextLength: Int
    public var layers: Int
    public var hiddenSize: Int
    /// Weight dtypes of the matrices, e.g. "bf16+mxfp4".
    public var weightDTypes: String

    public init(
        architecture: String, name: String, format: ModelFileFormat, path: String, vocabSize: Int,
        contextLength: Int, trainedContextLength: Int, layers: Int, hiddenSize: Int, weightDTypes: String
    ) {
        self.architecture = architecture
        self.name = name
        self.format = format
        self.path = path
        self.vocabSize = vocabSize
        self.contextLength = contextLength
        self.trainedContextLength = trainedContextLength
        self.layers = layers
        self.hiddenSize = hiddenSize
        self.weightDTypes = weightDTypes
    }
}

/// A model ready to run, with what a caller needs around it: its tokenizer, chat format, stop tokens and sizes.
/// Made by `ModelLoader.load(path:options:)`.
public struct LoadedModel {
    /// The forward pass with its KV cache.
    public let model: any LanguageModel
    /// The tokenizer the model was trained with (from the GGUF metadata, the checkpoint's tokenizer.json, or the
    /// bundled o200k_harmony vocabulary).
    public let tokenizer: Tokenizer
    /// The model's `tokenizer.chat_template` (nil when it has none; harmony checkpoints have none).
    public let chatTemplate: String?
    /// Tokens that end a generation (the tokenizer's end-of-generation set; harmony: `<|return|>`, `<|call|>`, …).
    public let stopTokens: Set<Int32>
    public let info: ModelInfo
    /// Weight bytes and FLOPs per token (for rooflines and reports).
    public let footprint: ModelFootprint
    /// The backend of prompt chunks, and the one of single-token steps (the same object unless one was given).
    public let backend: any Backend
    public let decodeBackend: any Backend
    /// Tokens per batched prefill step (the options' chunk, capped at the context).
    public let prefillChunk: Int
    /// The files the weights come from: resident share, prefault, page-cache eviction (nil for weights built in
    /// memory).
    public let weightFiles: (any ResidentWeights)?
    /// `ModelLoadOptions.chatFormat`, or nil to detect.
    let forcedChatFormat: ChatFormat?
    /// The format of checkpoints that carry no template (gpt-oss safetensors: harmony).
    let defaultChatFormat: ChatFormat?

    init(
        model: any LanguageModel, tokenizer: Tokenizer, chatTemplate: String?, info: ModelInfo,
        footprint: ModelFootprint, options: ModelLoadOptions, defaultChatFormat: ChatFormat?,
        weightFiles: (any ResidentWeights)?
    ) {
        self.weightFiles = weightFiles
        self.model = model
        self.tokenizer = tokenizer
        self.chatTemplate = chatTemplate
        self.stopTokens = tokenizer.endOfGeneration
        self.info = info
        self.footprint = footprint
        self.backend = options.backend
        self.decodeBackend = options.decodeBackend ?? options.backend
        self.prefillChunk = max(1, min(options.prefillChunk, model.contextLength))
        self.forcedChatFormat = options.chatFormat
        self.defaultChatFormat = defaultChatFormat
    }

    /// The chat format: the one forced by the options, else the one detected from `chatTemplate` (gguf.md §6).
    /// Throws `ChatFormatError` when the template is unrecognised or absent, listing the known formats.
    public func chatFormat() throws -> ChatFormat {
        if let f = forcedChatFormat { return f }
        if let t = chatTemplate { return try ChatFormat.detect(template: t) }
        if let f = defaultChatFormat { return f }
        throw ChatFormatError.noTemplate(model: info.path, known: ChatFormat.names)
    }

    /// A renderer of chats into this model's prompts (format from `chatFormat()`).
    public func chatRenderer(harmonySystem: HarmonySystemContent = HarmonySystemContent()) throws -> ChatRenderer {
        try ChatRenderer(format: try chatFormat(), tokenizer: tokenizer, harmonySystem: harmonySystem)
    }

    /// "blas, 8 threads (decode 4)": the backends and thread counts the model runs on.
    public var engineSummary: String {
        let threads = "\(backend.threads) thread\(backend.threads == 1 ? "" : "s")"
        return decodeBackend === backend
            ? "\(backend.name), \(threads)"
            : "\(backend.name), \(threads) (decode \(decodeBackend.threads))"
    }
}
