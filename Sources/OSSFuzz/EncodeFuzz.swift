import OSSModel
import OSSTokenizer

/// Tokenizer encode and decode on arbitrary bytes, for each engine: o200k_harmony (tiktoken), byte-level BPE with
/// every llama.cpp pre-tokenizer SwiftOSS implements, and SentencePiece with byte fallback. The first byte picks the
/// tokenizer and whether special names are parsed; the rest is the text.
///
/// Properties: invalid UTF-8 gives `TokenizerError.invalidUTF8` at the offset of the first bad sequence; valid UTF-8
/// gives ids inside the vocabulary with decode(encode(s)) == s (SentencePiece: `▁` decodes as a space and a space
/// leads) and a streaming decode equal to decode.
struct EncodeFuzz: FuzzHarness {
    static let name = "encode"
    static let summary =
        "tokenizer encode on arbitrary bytes (tiktoken, BPE × every pre-tokenizer, SentencePiece): "
        + "invalidUTF8 at the right offset, or decode(encode(s)) == s"
    static let maxLength = 4 << 10
    // Per-scalar arrays (scalars, classes, offsets, flags), merge parts and output ids: a few words per byte.
    static let allocationBound = (perInputByte: 512, fixed: 1 << 20)

    /// The tokenizers, with how decoding spells their text.
    let tokenizers: [(name: String, tokenizer: Tokenizer, spelling: TokenizerRoundTrip.Spelling)]

    init() throws {
        var list: [(String, Tokenizer, TokenizerRoundTrip.Spelling)] = [
            ("o200k_harmony", try Tokenizer.o200kHarmony(), .exact)
        ]
        for pre in ["default", "llama-bpe", "qwen2", "gpt-2", "smollm", "gpt-4o"] {
            let v = try GGUFVocabulary.syntheticBPE(
                size: 1024, pre: pre, specials: GGUFVocabulary.qwenSpecials, bos: nil,
                eos: "<|endoftext|>", eot: "<|im_end|>", addBOS: false,
                chatTemplate: GGUFVocabulary.chatMLTemplate)
            list.append(("bpe \(pre)", try Tokenizer.fromGGUF(v), .exact))
        }
        list.append(
            (
                "sentencepiece", try Tokenizer.fromGGUF(.syntheticSentencePiece(size: 512)),
                .sentencePiece(spacePrefix: true)
            ))
        tokenizers = list
    }

    func run(_ input: [UInt8]) throws(FuzzFailure) -> FuzzOutcome {
        let check = FuzzCheck(target: Self.name)
        guard let selector = input.first else { return .accepted }
        let (name, tokenizer, spelling) = tokenizers[Int(selector >> 1) % tokenizers.count]
        let allowSpecial = selector & 1 == 1
        let bytes = Array(input.dropFirst())
        let ids: [Int32]
        do {
            ids = try tokenizer.encode(utf8: bytes, allowSpecial: allowSpecial)
        } catch let TokenizerError.invalidUTF8(offset) {
            try check.require(
                offset == Self.firstInvalidUTF8(bytes),
                "\(name): invalidUTF8 at \(offset), the first bad "
                    + "sequence starts at \(Self.firstInvalidUTF8(bytes).map(String.init) ?? "none")")
            return .rejected("invalid UTF-8 at byte \(offset)")
        } catch {
            throw FuzzFailure(target: Self.name, property: "\(name): encode threw \(error)")
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw FuzzFailure(target: Self.name, property: "\(name): invalid UTF-8 accepted (\(ids.count) ids)")
        }
        try check.require(
            ids == tokenizer.encode(text, allowSpecial: allowSpecial), "\(name): encode(utf8:) ≠ encode(String)")
        if case .sentencePiece = spelling, allowSpecial {
            // Specials split the text into fragments, each with its own leading space: the ids are checked.
            for id in ids { try check.require(tokenizer.hasToken(id), "\(name): id \(id) has no token") }
            return .accepted
        }
        try TokenizerRoundTrip.check(tokenizer, text, allowSpecial: allowSpecial, spelling: spelling, check)
        return .accepted
    }

    /// Offset of the first byte that does not start a valid UTF-8 sequence, nil for valid UTF-8.
    static func firstInvalidUTF8(_ bytes: [UInt8]) -> Int? {
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let scalar): offset += scalar.count
            case .emptyInput: return nil
            case .error: return offset
            }
        }
    }
}
