import OSSCore

/// The tokens one slot appends in a batched step.
public struct BatchEntry: Sendable {
    /// The slot (sequence) the tokens belong to, `0..<slotCount`; each slot appears at most once per step.
    public var slot: Int
    /// Tokens appended at the slot's position (a prompt chunk, or the one token a decoding sequence sampled last).
    /// A slice, so callers pass part of a request's token array without copying it.
    public var tokens: ArraySlice<Int32>
    /// Whether the step returns logits for this entry's last token (false for a prompt chunk that is not the last).
    public var wantsLogits: Bool

    public init(slot: Int, tokens: ArraySlice<Int32>, wantsLogits: Bool = true) {
        self.slot = slot
        self.tokens = tokens
        self.wantsLogits = wantsLogits
    }
}

/// A language model that advances several independent sequences ("slots") in one forward step: the rows of all
/// entries go through the linear and MoE layers together (T = total rows, so every weight byte read serves every
/// sequence), while RoPE, the KV cache and attention are per slot, each with its own positions.
///
/// A step with a single entry gives exactly the logits the single-sequence model gives for the same tokens at the
/// same position (`LanguageModel.prefill` / `decode`). A model family adopts this protocol by running its forward
/// pass over concatenated rows with per-slot attention (see `ModelBatch`, which runs every family here).
public protocol BatchedLanguageModel: AnyObject {
    /// Logits per position.
    var vocabSize: Int { get }
    /// Positions each slot's KV cache holds.
    var contextLength: Int { get }
    /// Number of slots.
    var slotCount: Int { get }
    /// Most rows (tokens over all entries) one step takes.
    var maxStepRows: Int { get }
    /// The backend of multi-row steps (samplers may use it too).
    var backend: any Backend { get }
    /// Tokens in slot `slot`'s KV cache (the position of its next token).
    func position(ofSlot slot: Int) -> Int
    /// Empties slot `slot` (position 0).
    func reset(slot: Int)
    /// Keeps positions `0..<position` of slot `slot`; throws like `LanguageModel.truncate(to:)` (changing nothing).
    func truncate(slot: Int, to position: Int) throws
    /// Runs one step. Returns logits `[n, vocab]`, row i for the i-th entry with `wantsLogits` (a view into the
    /// model's run state: read it before the next step). Throws `ModelError` for an unknown or repeated slot, an
    /// empty entry, more than `maxStepRows` rows, a token id outside the vocabulary, or a slot's context overflow;
    /// nothing is run then.
    func step(_ entries: [BatchEntry]) throws -> Tensor
}
