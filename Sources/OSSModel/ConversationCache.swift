/// The token ids a `LanguageModel`'s KV cache holds, so that the next prompt of a conversation (the whole history,
/// rendered again) only prefills what differs from them: the model is rewound to the longest common prefix
/// (`LanguageModel.truncate(to:)`), or reset when the rewind is impossible.
///
/// Keep it in step with the model: after `prepare(_:)`, report every token fed to the model with `record(_:)`
/// (the generator does, when given the cache); anything else that runs the model must `invalidate()` it.
public final class ConversationCache {
    public let model: any LanguageModel
    /// Tokens of positions `0..<model.position` (capacity reserved for the model's whole context).
    public private(set) var tokens: [Int32]

    /// Resets `model` and starts empty.
    public init(model: any LanguageModel) {
        self.model = model
        model.reset()
        tokens = []
        tokens.reserveCapacity(model.contextLength)
    }

    /// What `prepare(_:)` did with a prompt.
    public struct Reuse: Equatable, Sendable {
        /// Prompt tokens already in the cache (not prefilled again).
        public let reused: Int
        /// Tokens of the whole prompt.
        public let promptTokens: Int
        /// The longest common prefix of the cache and the prompt was kept, but rewinding to it was impossible
        /// (a sliding layer had lost rows it needs), so the model was reset.
        public let rewindFailed: Bool
    }

    /// Prompt tokens that can be kept: the longest common prefix of `cached` and `prompt`, at most
    /// `prompt.count − 1` (the last prompt token is always run, for its logits).
    public static func reusableCount(cached: [Int32], prompt: [Int32]) -> Int {
        let limit = min(cached.count, prompt.count - 1)
        var n = 0
        while n < limit && cached[n] == prompt[n] { n += 1 }
        return max(n, 0)
    }

    /// Brings the model to the longest reusable prefix of `prompt` (rewinding, or resetting when a rewind is
    /// impossible) and returns what it kept; the caller then prefills `prompt[reuse.reused...]` and reports those
    /// tokens with `record(_:)`.
    public func prepare(_ prompt: [Int32]) throws -> Reuse {
        // The model may have moved past our record (a failed step): only what both agree on counts.
        if tokens.count > model.position { tokens.removeSubrange(model.position...) }
        let keep = Self.reusableCount(cached: tokens, prompt: prompt)
        var failed = false
        do {
            try model.truncate(to: keep)
        } catch let error as ModelError {
            guard case .rewindUnavailable = error else { throw error }
            model.reset()
            failed = true
        }
        tokens.removeSubrange(model.position...)
        return Reuse(reused: model.position, promptTokens: prompt.count, rewindFailed: failed)
    }

    /// Records tokens the model was just run on (appended after the position `prepare` left it at); tokens past
    /// `model.position` (a step that failed) are not recorded.
    public func record<C: Collection<Int32>>(_ fed: C) {
        let room = model.position - tokens.count
        guard room > 0 else { return }
        tokens.append(contentsOf: fed.prefix(room))
    }

    /// Records one token (a decode step); no allocation while within the reserved capacity.
    public func record(_ token: Int32) {
        if tokens.count < model.position { tokens.append(token) }
    }

    /// Forgets the cached tokens and resets the model.
    public func invalidate() {
        tokens.removeAll(keepingCapacity: true)
        model.reset()
    }
}
