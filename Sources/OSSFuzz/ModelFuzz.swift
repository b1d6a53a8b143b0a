import Foundation
import OSSCore
import OSSFormats
import OSSModel
import OSSTokenizer
import SwiftBackend

/// What the model targets check once `ModelLoader.load` returned: a model that runs a short prompt and a decode step
/// with logits of the vocabulary's size, a tokenizer that encodes, and a chat format detected or a typed error.
enum ModelRun {
    /// Options for a hostile model: one Swift thread, a 16-position context, 4-token prefill chunks.
    static func options() -> ModelLoadOptions {
        ModelLoadOptions(backend: SwiftBackend(threads: 1), contextLength: 16, prefillChunk: 4)
    }

    /// Every error `ModelLoader.load` may throw for a bad file.
    static let loadErrors: [any Error.Type] = [
        ModelError.self, GGUFError.self, SafetensorsError.self,
        ModelConfigError.self, TokenizerError.self, OSSError.self,
    ]

    static func check(_ loaded: LoadedModel, _ check: FuzzCheck) throws(FuzzFailure) {
        let m = loaded.model
        try check.require(
            m.vocabSize > 0 && m.contextLength > 0 && m.contextLength <= 16,
            "loaded model with vocab \(m.vocabSize), context \(m.contextLength)")
        let ids = loaded.tokenizer.encode("Hi!", allowSpecial: false).filter { Int($0) < m.vocabSize }
        let prompt = Array((ids.isEmpty ? [0] : ids).prefix(5))
        do {
            let logits = try m.prefill(prompt)
            try check.require(
                logits.count == m.vocabSize, "prefill gave \(logits.count) logits for vocab \(m.vocabSize)")
            let next = try m.decode(prompt[0])
            try check.require(next.count == m.vocabSize, "decode gave \(next.count) logits for vocab \(m.vocabSize)")
        } catch {
            throw FuzzFailure(target: check.target, property: "a loaded model fails to run \(prompt): \(error)")
        }
        do { _ = try loaded.chatRenderer().prompt([.user("Hi")]) } catch {
            try check.typedError(error, allowed: [ChatFormatError.self, TokenizerError.self], naming: nil)
        }
    }
}

/// `ModelLoader.load` on a hostile GGUF model file (gpt-oss or a Llama-family architecture): `{arch}.*`
/// hyper-parameters, tensor names, shapes and types, tokenizer metadata, chat template.
///
/// Properties: a typed error (model, GGUF, config or tokenizer) naming the file where it is a file error, or a model
/// that runs a prompt and a decode step (see ``ModelRun``); heap proportional to the file.
struct ModelGGUFFuzz: FuzzHarness {
    static let name = "model-gguf"
    static let summary =
        "ModelLoader on a GGUF model: typed error, or a model that runs prefill + decode with "
        + "vocabulary-sized logits"
    static let maxLength = 128 << 10
    // Float copies of vectors, MXFP4 repacks, KV cache and run state for 16 positions, tokenizer tables.
    static let allocationBound = (perInputByte: 256, fixed: 8 << 20)

    let file: URL

    init() { file = FuzzScratch.shared.subdirectory(Self.name).appendingPathComponent("model.gguf") }

    func run(_ input: [UInt8]) throws(FuzzFailure) -> FuzzOutcome {
        let check = FuzzCheck(target: Self.name)
        try FuzzScratch.shared.write(input, to: file)
        let loaded: LoadedModel
        do {
            loaded = try ModelLoader.load(path: file.path, options: ModelRun.options())
        } catch {
            return try check.typedError(error, allowed: ModelRun.loadErrors, naming: nil)
        }
        try ModelRun.check(loaded, check)
        return .accepted
    }
}

/// `ModelLoader.load` on a hostile gpt-oss checkpoint directory: the input is split into `config.json` and
/// `model.safetensors` (the first two bytes give the config's length).
///
/// Properties: as ``ModelGGUFFuzz``.
struct ModelDirectoryFuzz: FuzzHarness {
    static let name = "model-dir"
    static let summary =
        "ModelLoader on a checkpoint directory (config.json + safetensors): typed error, or a "
        + "model that runs prefill + decode"
    static let maxLength = 128 << 10
    static let allocationBound = (perInputByte: 256, fixed: 8 << 20)

    let directory: URL

    init() { directory = FuzzScratch.shared.subdirectory(Self.name) }

    /// The input of a directory: u16 config length, config.json, model.safetensors.
    static func input(config: [UInt8], safetensors: [UInt8]) -> [UInt8] {
        [UInt8(config.count & 0xFF), UInt8(config.count >> 8 & 0xFF)] + config + safetensors
    }

    func run(_ input: [UInt8]) throws(FuzzFailure) -> FuzzOutcome {
        let check = FuzzCheck(target: Self.name)
        var reader = FuzzInput(input)
        let configLength = Int(reader.integer(UInt16.self))
        try FuzzScratch.shared.write(reader.take(configLength), to: directory.appendingPathComponent("config.json"))
        try FuzzScratch.shared.write(reader.rest(), to: directory.appendingPathComponent("model.safetensors"))
        let loaded: LoadedModel
        do {
            loaded = try ModelLoader.load(path: directory.path, options: ModelRun.options())
        } catch {
            return try check.typedError(error, allowed: ModelRun.loadErrors, naming: nil)
        }
        try ModelRun.check(loaded, check)
        return .accepted
    }
}
