import OSSCore

/// A causal language model with a KV cache, as the generator, CLI and benchmarks drive it.
///
/// Positions count from the first prompt token; `prefill` appends T tokens at `position`, `decode` one.
/// The returned logits tensor is a view into the model's preallocated run state: read it before the next call.
public protocol LanguageModel: AnyObject {
    /// Rows of the unembedding (logits per position).
    var vocabSize: Int { get }
    /// Maximum positions this instance's KV cache holds.
    var contextLength: Int { get }
    /// Tokens already in the KV cache (the position of the next token).
    var position: Int { get }
    /// The backend every op runs on.
    var backend: any Backend { get }
    /// Empties the KV cache (position = 0).
    func reset()
    /// Rewinds the KV cache to `position` (keeps positions `0..<position`, drops the rest) so that the next
    /// `prefill`/`decode` gives the same logits as a fresh model that prefilled the same tokens.
    /// `truncate(to: 0)` equals `reset()`. Throws (changing nothing) when `position` is outside `0...self.position`,
    /// or when the cache no longer holds what continuing from `position` needs (a model with bounded per-layer
    /// caches, e.g. sliding-window ring buffers); `reset()` and a full prefill always work.
    func truncate(to position: Int) throws
    /// Runs T tokens through the model (batched, GEMM-class kernels) and returns the logits of the last one `[vocab]`.
    /// Throws on an empty prompt, a token id ≥ vocab, or position + T > contextLength.
    func prefill(_ tokens: [Int32]) throws -> Tensor
    /// Runs one token (GEMV-class kernels) and returns its logits `[vocab]`.
    func decode(_ token: Int32) throws -> Tensor
    /// Appends `tokens` at `position` (as `prefill`) and returns logits: `[T, V]` for every position when
    /// `allLogits` (a new tensor), else `[1, V]` for the last one (run state, valid until the next call).
    func forward(tokens: [Int32], allLogits: Bool) throws -> Tensor
    /// A new instance over the same weights and backends (no weight copies) with its own KV cache and run state, so
    /// several sequences of one loaded model run independently: `contextLength` KV positions and `prefillChunk`
    /// tokens per step (nil = this instance's). Throws `ModelError.invalidParameter` for sizes the model refuses.
    func makeInstance(contextLength: Int?, prefillChunk: Int?) throws -> Self
}
