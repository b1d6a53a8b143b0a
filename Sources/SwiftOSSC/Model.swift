import Foundation
import OSSBackends
import OSSCore
import OSSModel
import OSSTokenizer
import SwiftOSSABI

// The model level: a model loaded by `ModelLoader` (a gpt-oss checkpoint directory or a GGUF file of any supported
// architecture), shared read-only by its contexts.

/// A model behind an `oss_model` handle. Immutable after load. `prototype` is a one-position instance that holds the
/// weights and backends; each context gets its own instance from `makeInstance` (KV cache and activation buffers)
/// over the same weights.
final class ModelHandle: HandleObject {
    override class var kindName: String { "model" }
    let loaded: LoadedModel
    let prototype: any LanguageModel
    let tokenizer: TokenizerHandle
    /// KV positions of a context created with context_length 0, and the most a context may have.
    let contextLength: Int
    let maxContextLength: Int
    let prefillChunk: Int
    /// The backend the sampler runs on (that of single-token steps).
    let decodeBackend: any Backend
    /// Ids never sampled: ≥ `sampleableLimit`, or below it with no token (`Generator.makeSampler`'s rule).
    let sampleableLimit: Int
    let bannedIDs: [Int32]
    /// What `oss_model_get_info` returns (its strings live as long as this object).
    private(set) var info = oss_model_info()
    private var strings: [UnsafeMutablePointer<CChar>] = []

    var vocabSize: Int { prototype.vocabSize }

    init(path: String, options o: oss_model_options) throws {
        let kind = try BackendKind(abiCode: o.backend)
        let threads = try resolveThreads(o.threads, "options.threads")
        for (value, name) in [
            (o.decode_threads, "decode_threads"), (o.context_length, "context_length"),
            (o.prefill_chunk, "prefill_chunk"),
        ] where value < 0 {
            throw ABIError.invalid("options.\(name) must be ≥ 0, got \(value)")
        }
        let kvCache: KVCacheType
        switch UInt32(bitPattern: o.kv_cache) {
        case OSS_KV_CACHE_F32.rawValue: kvCache = .f32
        case OSS_KV_CACHE_F16.rawValue: kvCache = .f16
        default:
            throw ABIError.invalid("options.kv_cache \(o.kv_cache) is not OSS_KV_CACHE_F32 or OSS_KV_CACHE_F16")
        }
        let backend = try kind.make(threads: threads)
        let decodeThreads = Int(o.decode_threads)
        let decode = decodeThreads == 0 || decodeThreads == threads ? nil : try kind.make(threads: decodeThreads)
        // One position and one-token steps: the prototype reads and checks the file and binds the weights; contexts
        // make their own instances of the sizes they need.
        let options = ModelLoadOptions(
            backend: backend, decodeBackend: decode, contextLength: 1, prefillChunk: 1, kvCache: kvCache,
            vocabularyDirectories: TokenizerHandle.libraryDirectory.map { [URL(fileURLWithPath: $0)] } ?? [])
        loaded = try ModelLoader.load(path: path, options: options)
        prototype = loaded.model
        decodeBackend = loaded.decodeBackend
        maxContextLength = loaded.info.trainedContextLength
        contextLength =
            o.context_length == 0
            ? min(maxContextLength, GPTOSSModel.defaultContextLength) : Int(o.context_length)
        guard contextLength <= maxContextLength else {
            throw ABIError.invalid(
                "options.context_length \(contextLength) exceeds the model's \(maxContextLength) positions")
        }
        prefillChunk = o.prefill_chunk == 0 ? 512 : Int(o.prefill_chunk)
        let tok = TokenizerHandle(loaded.tokenizer)
        tokenizer = tok
        sampleableLimit = min(loaded.info.vocabSize, tok.tokenizer.sampleableLimit)
        var banned: [Int32] = []
        for id in 0..<Int32(sampleableLimit) where !tok.tokenizer.hasToken(id) { banned.append(id) }
        bannedIDs = banned
        super.init()
        info = makeInfo()
    }

    deinit { for s in strings { free(s) } }

    /// A fresh model instance (own KV cache and buffers) of `positions` positions over the shared weights.
    func makeInstance(positions: Int) throws -> any LanguageModel {
        try prototype.makeInstance(contextLength: positions, prefillChunk: prefillChunk)
    }

    private func makeInfo() -> oss_model_info {
        func keep(_ s: String?) -> UnsafePointer<CChar>? {
            guard let s, let p = strdup(s) else { return nil }
            strings.append(p)
            return UnsafePointer(p)
        }
        let i = loaded.info
        let moe = (prototype as? GPTOSSModel)?.config
        return oss_model_info(
            architecture: keep(i.architecture), vocabulary_size: Int64(i.vocabSize),
            max_context_length: Int64(maxContextLength), context_length: Int64(contextLength),
            layers: Int64(i.layers), hidden_size: Int64(i.hiddenSize), experts: Int64(moe?.experts ?? 0),
            experts_per_token: Int64(moe?.expertsPerToken ?? 0), format: keep(i.format.rawValue), name: keep(i.name),
            weight_dtypes: keep(i.weightDTypes), chat_format: keep((try? loaded.chatFormat())?.rawValue))
    }
}

@_cdecl("oss_model_options_default")
public func ossModelOptionsDefault(_ options: UnsafeMutablePointer<oss_model_options>?) {
    options?.pointee = oss_model_options(
        backend: Int32(OSS_BACKEND_BLAS.rawValue), threads: 0, decode_threads: 0,
        context_length: 0, prefill_chunk: 0, kv_cache: Int32(OSS_KV_CACHE_F32.rawValue))
}

@_cdecl("oss_model_load")
public func ossModelLoad(
    _ path: UnsafePointer<CChar>?, _ options: UnsafePointer<oss_model_options>?,
    _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> oss_status {
    abiCall("oss_model_load") {
        try makeHandle(out, "model_out") {
            guard let path else { throw ABIError.null("path") }
            var o = oss_model_options()
            if let options { o = options.pointee } else { ossModelOptionsDefault(&o) }
            return try ModelHandle(path: String(cString: path), options: o)
        }
    }
}

@_cdecl("oss_model_retain")
public func ossModelRetain(_ h: OpaquePointer?) -> oss_status {
    abiCall("oss_model_retain") { try Handles.retain(h, as: ModelHandle.self) }
}

@_cdecl("oss_model_release")
public func ossModelRelease(_ h: OpaquePointer?) -> oss_status {
    abiCall("oss_model_release") { try Handles.release(h, as: ModelHandle.self) }
}

@_cdecl("oss_model_get_info")
public func ossModelGetInfo(_ h: OpaquePointer?, _ info: UnsafeMutablePointer<oss_model_info>?) -> oss_status {
    abiCall("oss_model_get_info") {
        let m = try Handles.get(h, as: ModelHandle.self)
        guard let info else { throw ABIError.null("info_out") }
        info.pointee = m.info
    }
}

@_cdecl("oss_model_get_tokenizer")
public func ossModelGetTokenizer(_ h: OpaquePointer?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> oss_status {
    abiCall("oss_model_get_tokenizer") {
        let m = try Handles.get(h, as: ModelHandle.self)
        try makeHandle(out, "tokenizer_out") { TokenizerHandle(sharing: m.tokenizer) }
    }
}
