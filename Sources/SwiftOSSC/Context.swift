import Foundation
import OSSCore
import OSSModel
import SwiftOSSABI

// Contexts: a token sequence plus the KV cache of its processed part, with longest-common-prefix reuse.

/// A context behind an `oss_context` handle: its own model instance (KV cache and run state over the model's shared
/// weights); `tokens` is what the caller appended; `cached` the tokens whose keys and values the instance holds
/// (always `instance.position` of them). `process` keeps their longest common prefix and runs the rest, so reset +
/// append of a sequence sharing a prefix, or truncate, reruns only what changed.
final class ContextHandle: HandleObject {
    override class var kindName: String { "context" }
    let model: ModelHandle
    let instance: any LanguageModel
    /// Serialises calls on this context.
    let lock = NSLock()
    var tokens: [Int32]
    var cached: [Int32]
    /// The last cached position's logits (`[V]`, run state of `instance`), or nil when they are not current.
    var logits: Tensor?
    var sampler: Sampler?
    /// Tokens run through the model since creation.
    var tokensRun: UInt64 = 0

    init(model: ModelHandle, positions: Int) throws {
        self.model = model
        instance = try model.makeInstance(positions: positions)
        tokens = []
        cached = []
        tokens.reserveCapacity(positions)
        cached.reserveCapacity(positions)
    }

    var maxTokens: Int { instance.contextLength }

    /// Appends ids after checking each against the vocabulary and the room left (nothing is appended on error).
    func append(_ ids: UnsafeBufferPointer<Int32>) throws {
        let vocab = model.vocabSize
        for (i, t) in ids.enumerated() where t < 0 || Int(t) >= vocab {
            throw ABIError(
                OSS_ERROR_TOKEN_OUT_OF_RANGE, "token \(t) at index \(i) is outside the vocabulary 0..<\(vocab)")
        }
        guard tokens.count + ids.count <= maxTokens else {
            throw ABIError(
                OSS_ERROR_CONTEXT_OVERFLOW,
                "\(ids.count) tokens after \(tokens.count) exceed the context's \(maxTokens) positions")
        }
        tokens.append(contentsOf: ids)
    }

    /// Runs the tokens not yet cached (see the type's comment); afterwards `logits` belongs to the last token.
    func process() throws {
        guard !tokens.isEmpty else { return }
        if logits != nil && cached.count == tokens.count && cached == tokens { return }
        var keep = 0
        let limit = min(cached.count, tokens.count - 1)  // the last token always runs, for its logits
        while keep < limit && cached[keep] == tokens[keep] { keep += 1 }
        logits = nil
        if keep < instance.position {
            do {
                try instance.truncate(to: keep)
            } catch ModelError.rewindUnavailable {
                instance.reset()
            }
            cached.removeSubrange(instance.position...)
        }
        let start = instance.position
        defer { tokensRun += UInt64(instance.position - start) }
        do {
            logits =
                tokens.count - start == 1
                ? try instance.decode(tokens[start])
                : try instance.prefill(Array(tokens[start...]))
        } catch {
            // Chunks that ran before the failure are in the cache: keep the record in step.
            cached.append(contentsOf: tokens[start..<instance.position])
            throw error
        }
        cached.append(contentsOf: tokens[start...])
    }

    /// The next token for `parameters` (not appended). The draw is seeded by (seed, token count).
    func sample(_ parameters: SamplingParameters) throws -> Int32 {
        try process()
        guard let logits else { throw ABIError(OSS_ERROR_INVALID_STATE, "the context has no tokens to sample after") }
        // The sampler (and its vocabulary-sized scratch) is kept while the parameters other than the seed stay.
        var kept = parameters
        kept.seed = 0
        if sampler == nil || sampler!.parameters != kept {
            sampler = try Sampler(parameters: kept, sampleableLimit: model.sampleableLimit, bannedIDs: model.bannedIDs)
        }
        let s = sampler!
        s.reseed(parameters.seed ^ (UInt64(tokens.count) &* 0x9E37_79B9_7F4A_7C15))
        return try s.sample(logits, backend: model.decodeBackend)
    }
}

/// The context behind `h`, with its lock held while `body` runs.
func withContext<R>(_ h: OpaquePointer?, _ body: (ContextHandle) throws -> R) throws -> R {
    let c = try Handles.get(h, as: ContextHandle.self)
    c.lock.lock()
    defer { c.lock.unlock() }
    return try body(c)
}

@_cdecl("oss_context_create")
public func ossContextCreate(
    _ h: OpaquePointer?, _ contextLength: Int64,
    _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> oss_status {
    abiCall("oss_context_create") {
        let m = try Handles.get(h, as: ModelHandle.self)
        try makeHandle(out, "context_out") {
            guard contextLength >= 0, contextLength <= Int64(m.maxContextLength) else {
                throw ABIError.invalid(
                    "context_length \(contextLength) is not in 0…\(m.maxContextLength) "
                        + "(0 = the model's default \(m.contextLength))")
            }
            return try ContextHandle(model: m, positions: contextLength == 0 ? m.contextLength : Int(contextLength))
        }
    }
}

@_cdecl("oss_context_retain")
public func ossContextRetain(_ h: OpaquePointer?) -> oss_status {
    abiCall("oss_context_retain") { try Handles.retain(h, as: ContextHandle.self) }
}

@_cdecl("oss_context_release")
public func ossContextRelease(_ h: OpaquePointer?) -> oss_status {
    abiCall("oss_context_release") { try Handles.release(h, as: ContextHandle.self) }
}

@_cdecl("oss_context_append_tokens")
public func ossContextAppendTokens(_ h: OpaquePointer?, _ tokens: UnsafePointer<Int32>?, _ count: Int) -> oss_status {
    abiCall("oss_context_append_tokens") {
        try withContext(h) { c in
            guard count >= 0 else { throw ABIError.invalid("count \(count) < 0") }
            guard count > 0 else { return }
            guard let tokens else { throw ABIError.null("tokens") }
            try c.append(UnsafeBufferPointer(start: tokens, count: count))
        }
    }
}

@_cdecl("oss_context_append_text")
public func ossContextAppendText(
    _ h: OpaquePointer?, _ text: UnsafePointer<CChar>?, _ length: Int, _ flags: Int32,
    _ count: UnsafeMutablePointer<Int>?
) -> oss_status {
    abiCall("oss_context_append_text") {
        try withContext(h) { c in
            let ids = try encode(c.model.tokenizer.tokenizer, text, length, flags)
            try ids.withUnsafeBufferPointer { try c.append($0) }
            store(ids.count, count)
        }
    }
}

@_cdecl("oss_context_process")
public func ossContextProcess(_ h: OpaquePointer?) -> oss_status {
    abiCall("oss_context_process") { try withContext(h) { try $0.process() } }
}

@_cdecl("oss_sampling_params_default")
public func ossSamplingParamsDefault(_ p: UnsafeMutablePointer<oss_sampling_params>?) {
    p?.pointee = oss_sampling_params(temperature: 1, top_k: 0, top_p: 1, min_p: 0, seed: 0)
}

@_cdecl("oss_context_sample")
public func ossContextSample(
    _ h: OpaquePointer?, _ params: UnsafePointer<oss_sampling_params>?,
    _ token: UnsafeMutablePointer<Int32>?
) -> oss_status {
    abiCall("oss_context_sample") {
        guard let token else { throw ABIError.null("token_out") }
        token.pointee = -1
        let p = params?.pointee ?? oss_sampling_params(temperature: 0, top_k: 0, top_p: 1, min_p: 0, seed: 0)
        let parameters = SamplingParameters(
            temperature: p.temperature, topK: Int(p.top_k), topP: p.top_p,
            minP: p.min_p, seed: p.seed)
        try parameters.validate()
        token.pointee = try withContext(h) { try $0.sample(parameters) }
    }
}

@_cdecl("oss_context_reset")
public func ossContextReset(_ h: OpaquePointer?) -> oss_status {
    abiCall("oss_context_reset") { try withContext(h) { $0.tokens.removeAll(keepingCapacity: true) } }
}

@_cdecl("oss_context_truncate")
public func ossContextTruncate(_ h: OpaquePointer?, _ count: Int) -> oss_status {
    abiCall("oss_context_truncate") {
        try withContext(h) { c in
            guard count >= 0, count <= c.tokens.count else {
                throw ABIError.invalid("cannot truncate to \(count) tokens: the context holds \(c.tokens.count)")
            }
            c.tokens.removeSubrange(count...)
        }
    }
}

@_cdecl("oss_context_get_counts")
public func ossContextGetCounts(
    _ h: OpaquePointer?, _ numTokens: UnsafeMutablePointer<Int>?,
    _ maxTokens: UnsafeMutablePointer<Int>?
) -> oss_status {
    abiCall("oss_context_get_counts") {
        try withContext(h) { c in
            store(c.tokens.count, numTokens)
            store(c.maxTokens, maxTokens)
        }
    }
}

@_cdecl("oss_context_get_cache_stats")
public func ossContextGetCacheStats(
    _ h: OpaquePointer?, _ kvTokens: UnsafeMutablePointer<Int>?,
    _ tokensRun: UnsafeMutablePointer<UInt64>?
) -> oss_status {
    abiCall("oss_context_get_cache_stats") {
        try withContext(h) { c in
            store(c.cached.count, kvTokens)
            store(c.tokensRun, tokensRun)
        }
    }
}

@_cdecl("oss_context_get_tokens")
public func ossContextGetTokens(
    _ h: OpaquePointer?, _ tokens: UnsafeMutablePointer<Int32>?, _ capacity: Int,
    _ count: UnsafeMutablePointer<Int>?
) -> oss_status {
    abiCall("oss_context_get_tokens") {
        try withContext(h) { c in
            try c.tokens.withUnsafeBufferPointer {
                try copyOut($0, to: tokens, capacity: capacity, countOut: count, "tokens_out")
            }
        }
    }
}

@_cdecl("oss_context_get_logits")
public func ossContextGetLogits(
    _ h: OpaquePointer?, _ logits: UnsafeMutablePointer<UnsafePointer<Float>?>?,
    _ count: UnsafeMutablePointer<Int>?
) -> oss_status {
    abiCall("oss_context_get_logits") {
        guard let logits else { throw ABIError.null("logits_out") }
        logits.pointee = nil
        try withContext(h) { c in
            try c.process()
            guard let l = c.logits else { throw ABIError(OSS_ERROR_INVALID_STATE, "the context has no tokens") }
            logits.pointee = UnsafePointer(l.pointer)
            store(l.count, count)
        }
    }
}
