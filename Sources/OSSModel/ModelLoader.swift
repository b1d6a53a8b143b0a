import Foundation
import OSSCore
import OSSFormats
import OSSTokenizer

/// The one entry point that turns a path into a runnable model, for the CLI, the server and the C ABI.
///
/// Accepts a gpt-oss checkpoint directory (config.json + safetensors, as `GPTOSSModel.load`; tokenizer.json when
/// present, else the bundled o200k_harmony vocabulary) or a GGUF file (a split model by any of its shards). A GGUF
/// model's architecture comes from `general.architecture`; its tokenizer and chat template from its metadata.
public enum ModelLoader {
    /// Architectures a GGUF file may have.
    public static let supportedGGUFArchitectures = ["gpt-oss"] + LlamaArchitecture.allCases.map(\.rawValue)

    /// Loads the model at `path` (a directory or a `.gguf` file).
    /// - Throws: `ModelError` (unrecognised path, unsupported architecture, missing or misshapen tensors, bad
    ///   options), `GGUFError`, `SafetensorsError`, `ModelConfigError` or `TokenizerError`, each naming the file.
    public static func load(path: String, options: ModelLoadOptions) throws -> LoadedModel {
        let url = URL(fileURLWithPath: path)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ModelError.unrecognizedModelPath(path: path, reason: "no such file or directory")
        }
        if isDirectory.boolValue { return try loadCheckpointDirectory(url, options: options) }
        guard isGGUF(url) else {
            throw ModelError.unrecognizedModelPath(
                path: path, reason: "neither a checkpoint directory (config.json + safetensors) nor a GGUF file")
        }
        return try loadGGUF(try GGUFArchive(url: url, residency: options.residency), path: path, options: options)
    }

    /// Whether the file starts with the GGUF magic (or, when it cannot be read, is named `*.gguf`).
    static func isGGUF(_ url: URL) -> Bool {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return url.pathExtension.lowercased() == "gguf" }
        defer { try? handle.close() }
        let magic = (try? handle.read(upToCount: 4)) ?? Data()
        return magic.count < 4 ? url.pathExtension.lowercased() == "gguf" : Array(magic) == Array("GGUF".utf8)
    }

    /// A gpt-oss safetensors checkpoint directory.
    static func loadCheckpointDirectory(_ url: URL, options: ModelLoadOptions) throws -> LoadedModel {
        let model = try GPTOSSModel.load(
            directory: url, backend: options.backend, decodeBackend: options.decodeBackend,
            contextLength: options.contextLength, prefillChunk: options.prefillChunk, rewindRows: options.rewindRows,
            residency: options.residency, requantize: options.requantize, kvCache: options.kvCache)
        let tokenizerFile = url.appendingPathComponent("tokenizer.json").path
        let tokenizer =
            FileManager.default.fileExists(atPath: tokenizerFile)
            ? try Tokenizer.loadHuggingFace(path: tokenizerFile)
            : try Tokenizer.o200kHarmony(searching: options.vocabularyDirectories)
        let footprint = model.footprint
        let info = ModelInfo(
            architecture: "gpt-oss", name: url.lastPathComponent, format: .safetensors, path: url.path,
            vocabSize: model.vocabSize, contextLength: model.contextLength,
            trainedContextLength: model.config.maxPositions, layers: model.config.layers,
            hiddenSize: model.config.hiddenSize, weightDTypes: footprint.dtypes)
        return LoadedModel(
            model: model, tokenizer: tokenizer, chatTemplate: nil, info: info, footprint: footprint,
            options: options, defaultChatFormat: .harmony, weightFiles: model.archive)
    }

    /// A GGUF model of a supported architecture.
    static func loadGGUF(_ archive: GGUFArchive, path: String, options: ModelLoadOptions) throws -> LoadedModel {
        let architecture = try archive.string("general.architecture")
        let model: any LanguageModel
        let footprint: ModelFootprint
        let info: ModelInfo
        let name = try archive.optionalString("general.name") ?? archive.url.deletingPathExtension().lastPathComponent
        switch architecture {
        case "gpt-oss":
            let m = try GPTOSSModel.load(
                gguf: archive, backend: options.backend, decodeBackend: options.decodeBackend,
                contextLength: options.contextLength, prefillChunk: options.prefillChunk,
                rewindRows: options.rewindRows, requantize: options.requantize, kvCache: options.kvCache)
            model = m
            footprint = m.footprint
            info = ModelInfo(
                architecture: architecture, name: name, format: .gguf, path: path, vocabSize: m.vocabSize,
                contextLength: m.contextLength, trainedContextLength: m.config.maxPositions,
                layers: m.config.layers, hiddenSize: m.config.hiddenSize, weightDTypes: footprint.dtypes)
        case _ where LlamaArchitecture(rawValue: architecture) != nil:
            let m = try LlamaModel.load(
                gguf: archive, backend: options.backend, decodeBackend: options.decodeBackend,
                contextLength: options.contextLength, prefillChunk: options.prefillChunk,
                requantize: options.requantize, kvCache: options.kvCache)
            model = m
            footprint = m.footprint
            info = ModelInfo(
                architecture: architecture, name: name, format: .gguf, path: path, vocabSize: m.vocabSize,
                contextLength: m.contextLength, trainedContextLength: m.config.contextLength,
                layers: m.config.layers, hiddenSize: m.config.hiddenSize, weightDTypes: footprint.dtypes)
        default:
            throw ModelError.unsupportedArchitecture(
                file: archive.url.path, architecture: architecture, supported: supportedGGUFArchitectures)
        }
        let vocabulary = try GGUFVocabulary(archive: archive)
        let tokenizer = try Tokenizer.fromGGUF(vocabulary)
        return LoadedModel(
            model: model, tokenizer: tokenizer, chatTemplate: vocabulary.chatTemplate, info: info,
            footprint: footprint, options: options, defaultChatFormat: nil, weightFiles: archive)
    }
}
