/// Errors raised while loading a vocabulary or encoding/decoding text. Each case names the source and the reason.
public enum TokenizerError: Error, Equatable, CustomStringConvertible {
    /// A `.tiktoken` file line that is not `base64 rank` (file, 1-based line number, reason).
    case malformedTikTokenLine(file: String, line: Int, reason: String)
    /// A Hugging Face `tokenizer.json` that does not describe a byte-level BPE we can load (file, reason).
    case malformedTokenizerJSON(file: String, reason: String)
    /// A vocabulary file that could not be read (path, underlying error text).
    case unreadableFile(path: String, reason: String)
    /// Input bytes that are not valid UTF-8 (byte offset of the first bad sequence).
    case invalidUTF8(offset: Int)
    /// A special token name this tokenizer does not know.
    case unknownSpecialToken(String)
    /// A token id outside the tokenizer's id space.
    case unknownTokenID(Int32)
    /// Vocabulary contents that contradict each other (duplicate token, id clash, gap in ranks, …).
    case inconsistentVocabulary(String)
    /// The vocabulary file bundled with the package is missing from the built resources.
    case missingBundledVocabulary(String)
    /// A GGUF `tokenizer.ggml.pre` value SwiftOSS has no pre-tokenizer for (the value, the supported ones).
    case unknownPreTokenizer(String, known: [String])
    /// A GGUF `tokenizer.ggml.model` SwiftOSS cannot tokenize with (the value, the supported ones).
    case unsupportedTokenizerModel(String, known: [String])

    public var description: String {
        switch self {
        case .malformedTikTokenLine(let file, let line, let reason):
            return "\(file):\(line): malformed .tiktoken line: \(reason)"
        case .malformedTokenizerJSON(let file, let reason): return "\(file): malformed tokenizer.json: \(reason)"
        case .unreadableFile(let path, let reason): return "\(path): cannot read: \(reason)"
        case .invalidUTF8(let offset): return "encode: input is not valid UTF-8 (bad sequence at byte \(offset))"
        case .unknownSpecialToken(let name): return "unknown special token '\(name)'"
        case .unknownTokenID(let id): return "unknown token id \(id)"
        case .inconsistentVocabulary(let detail): return "inconsistent vocabulary: \(detail)"
        case .missingBundledVocabulary(let detail): return "bundled vocabulary missing: \(detail)"
        case .unknownPreTokenizer(let pre, let known):
            return
                "unknown tokenizer.ggml.pre '\(pre)' (supported: \(known.joined(separator: ", ")) and their llama.cpp aliases)"
        case .unsupportedTokenizerModel(let model, let known):
            return "unsupported tokenizer.ggml.model '\(model)' (supported: \(known.joined(separator: ", ")))"
        }
    }
}
