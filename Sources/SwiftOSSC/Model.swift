import Foundation
import OSSBackends
import OSSCore
import OSSModel
import OSSTokenizer
import SwiftOSSABI

// The model level: a loaded model (config, mapped weights, backends, tokenizer), shared read-only by its contexts.

/// A model behind an `oss_model` handle. Immutable after load; each context builds its own `GPTOSSModel` (KV cache
/// and activation buffers) over these weights and backends.
final class ModelHandle: HandleObject {
    override class var kindName: String { "model" }
    let config: ModelConfig
    let weights: GPTOSSWeights
    let backend: any Backend
    let decodeBackend: any Backend
    let tokenizer: TokenizerHandle
    /// KV positions of a context created with context_length 0.
    let contextLength: Int
    let prefillChunk: Int
    /// Ids never sampled: ≥ `sampleableLimit`, or below it with no token (`Generator.makeSampler`'s rule).
    let sampleableLimit: Int
    let bannedIDs: [Int32]

    nonisolated(unsafe) static let architecture = permanentCString("gpt-oss")

    init(path: String, options o: oss_model_options) throws {
        let kind = try BackendKind(abiCode: o.backend)
        let threads = try resolveThreads(o.threads, "options.threads")
        guard o.decode_threads >= 0 else { throw ABIError.invalid("options.decode_threads must be ≥ 0, got \(o.decode_threads)") }
        guard o.context_length >= 0 else { throw ABIError.invalid("options.context_length must be ≥ 0, got \(o.context_length)") }
        guard o.prefill_chunk >= 0 else { throw ABIError.invalid("options.prefill_chunk must be ≥ 0, got \(o.prefill_chunk)") }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ABIError(OSS_ERROR_MODEL_FILE, "\(path): not a directory")
        }
        backend = try kind.make(threads: threads)
        let decodeThreads = Int(o.decode_threads)
        decodeBackend = decodeThreads == 0 || decodeThreads == threads ? backend : try kind.make(threads: decodeThreads)
        // A one-position instance reads and checks config and weights; contexts reuse them (the weights keep their
        // mapped files alive).
        let probe = try GPTOSSModel.load(directory: URL(fileURLWithPath: path), backend: backend, contextLength: 1,
                                         prefillChunk: 1)
        config = probe.config
        weights = probe.weights
        contextLength = o.context_length == 0 ? min(config.maxPositions, GPTOSSModel.defaultContextLength)
            : Int(o.context_length)
        guard contextLength <= config.maxPositions else {
            throw ABIError.invalid("options.context_length \(contextLength) exceeds the model's \(config.maxPositions) positions")
        }
        prefillChunk = o.prefill_chunk == 0 ? 512 : Int(o.prefill_chunk)
        let tok = try TokenizerHandle.load(modelDirectory: path)
        tokenizer = tok
        sampleableLimit = min(config.vocabSize, tok.tokenizer.sampleableLimit)
        var banned: [Int32] = []
        for id in 0..<Int32(sampleableLimit) where !tok.tokenizer.hasToken(id) { banned.append(id) }
        bannedIDs = banned
    }

    /// A fresh model instance (own KV cache and buffers) of `positions` positions over the shared weights.
    func makeInstance(positions: Int) throws -> GPTOSSModel {
        try GPTOSSModel(config: config, weights: weights, backend: backend, decodeBackend: decodeBackend,
                        contextLength: positions, prefillChunk: prefillChunk)
    }
}

@_cdecl("oss_model_options_default")
public func ossModelOptionsDefault(_ options: UnsafeMutablePointer<oss_model_options>?) {
    options?.pointee = oss_model_options(backend: Int32(OSS_BACKEND_BLAS.rawValue), threads: 0, decode_threads: 0,
                                         context_length: 0, prefill_chunk: 0)
}

@_cdecl("oss_model_load")
public func ossModelLoad(_ path: UnsafePointer<CChar>?, _ options: UnsafePointer<oss_model_options>?,
                         _ out: UnsafeMutablePointer<OpaquePointer?>?) -> oss_status {
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
        let c = m.config
        info.pointee = oss_model_info(
            architecture: ModelHandle.architecture, vocabulary_size: Int64(c.vocabSize),
            max_context_length: Int64(c.maxPositions), context_length: Int64(m.contextLength), layers: Int64(c.layers),
            hidden_size: Int64(c.hiddenSize), experts: Int64(c.experts), experts_per_token: Int64(c.expertsPerToken))
    }
}

@_cdecl("oss_model_get_tokenizer")
public func ossModelGetTokenizer(_ h: OpaquePointer?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> oss_status {
    abiCall("oss_model_get_tokenizer") {
        let m = try Handles.get(h, as: ModelHandle.self)
        try makeHandle(out, "tokenizer_out") { TokenizerHandle(m.tokenizer.tokenizer) }
    }
}
