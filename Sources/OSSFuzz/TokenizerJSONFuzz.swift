import Foundation
import OSSTokenizer

/// A Hugging Face `tokenizer.json` (byte-level BPE: `model.vocab` in the GPT-2 byte alphabet, `model.merges` as
/// pairs or strings, `added_tokens`, the o200k `Split` pre-tokenizer).
///
/// Properties: a `TokenizerError` naming the file, or a tokenizer whose encoding of sample text (specials included)
/// decodes back exactly.
struct TokenizerJSONFuzz: FuzzHarness {
    static let name = "tokenizer-json"
    static let summary =
        "tokenizer.json loading: TokenizerError naming the file, or a tokenizer with "
        + "decode(encode(s)) == s"
    static let maxLength = 16 << 10
    // JSON values of the file, the token table (up to 65,536 missing ranks: 512 KB), specials, merges check.
    static let allocationBound = (perInputByte: 128, fixed: 2 << 20)

    let file = "fuzz/tokenizer.json"

    init() {}

    func run(_ input: [UInt8]) throws(FuzzFailure) -> FuzzOutcome {
        let check = FuzzCheck(target: Self.name)
        let tokenizer: Tokenizer
        do {
            tokenizer = try Tokenizer.parseHuggingFace(Data(input), file: file)
        } catch {
            return try check.typedError(error, allowed: [TokenizerError.self], naming: file)
        }
        let specials = tokenizer.specialIDs.keys.sorted().prefix(4).joined()
        let sample = "Hello, wörld! 123 \u{1F600}\r\n" + specials + String(decoding: input.suffix(64), as: UTF8.self)
        for allow in [false, true] {
            try TokenizerRoundTrip.check(tokenizer, sample, allowSpecial: allow, spelling: .exact, check)
        }
        return .accepted
    }
}
