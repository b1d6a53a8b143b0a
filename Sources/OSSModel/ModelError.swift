import OSSCore

/// Errors of loading and running a model; each names the tensor, file or token involved.
public enum ModelError: Error, Equatable, CustomStringConvertible {
    /// The directory holds neither layout's tensors (or something else is wrong with it as a whole).
    case unrecognizedCheckpoint(directory: String, reason: String)
    /// A tensor the config requires is absent.
    case missingTensor(name: String, directory: String)
    /// A tensor's shape differs from what the config implies.
    case tensorShape(name: String, expected: Shape, found: Shape)
    /// A tensor's dtype cannot be used for its role.
    case tensorDType(name: String, found: String, expected: String)
    /// `prefill` / `forward` was called with no tokens.
    case emptyPrompt
    /// A token id outside `0..<vocab`.
    case tokenOutOfRange(token: Int32, index: Int, vocab: Int)
    /// The tokens do not fit in the KV cache.
    case contextOverflow(position: Int, tokens: Int, contextLength: Int)
    /// A load or run parameter out of range.
    case invalidParameter(name: String, reason: String)
    /// `truncate(to:)` was asked for a position outside `0...position` (the tokens cached).
    case truncateOutOfRange(to: Int, position: Int)
    /// `truncate(to:)` cannot keep positions `0..<to`: sliding layer `layer` (window `window`) needs positions
    /// `needed..<to` for the next token, but its ring buffer holds only positions from `heldFrom` on (the others were
    /// overwritten by positions written after them). Reset and prefill instead.
    case rewindUnavailable(to: Int, layer: Int, window: Int, needed: Int, heldFrom: Int)

    /// The path is neither a checkpoint directory nor a GGUF file.
    case unrecognizedModelPath(path: String, reason: String)
    /// A GGUF file of an architecture SwiftOSS does not run.
    case unsupportedArchitecture(file: String, architecture: String, supported: [String])

    public var description: String {
        switch self {
        case .unrecognizedModelPath(let p, let r): return "\(p): cannot load a model: \(r)"
        case .unsupportedArchitecture(let f, let a, let s):
            return "\(f): architecture '\(a)' is not supported (supported: "
                + (s.isEmpty ? "none in GGUF yet; gpt-oss checkpoint directories" : s.joined(separator: ", ")) + ")"
        case .unrecognizedCheckpoint(let d, let r): return "\(d): not a gpt-oss checkpoint: \(r)"
        case .missingTensor(let n, let d): return "\(d): missing tensor \(n)"
        case .tensorShape(let n, let e, let f): return "tensor \(n): shape \(f), expected \(e)"
        case .tensorDType(let n, let f, let e): return "tensor \(n): dtype \(f), expected \(e)"
        case .emptyPrompt: return "empty prompt: at least one token is needed"
        case .tokenOutOfRange(let t, let i, let v): return "token \(t) at index \(i) is outside the vocabulary 0..<\(v)"
        case .contextOverflow(let p, let t, let c):
            return "\(t) tokens at position \(p) exceed the context length \(c)"
        case .invalidParameter(let n, let r): return "\(n): \(r)"
        case .truncateOutOfRange(let to, let p):
            return "cannot truncate to position \(to): the cache holds positions 0..<\(p)"
        case .rewindUnavailable(let to, let l, let w, let n, let h):
            return "cannot rewind to position \(to): layer \(l) (sliding window \(w)) needs positions \(n)..<\(to), "
                + "but its ring buffer holds positions from \(h) on (the rest were overwritten by later positions)"
        }
    }
}
