import Foundation
import OSSFormats
import OSSModel
import OSSTokenizer

/// The tokenizer metadata of a GGUF file (`tokenizer.ggml.model`/`pre`/`tokens`/`scores`/`token_type`/`merges`, the
/// special ids and flags, `tokenizer.chat_template`), as `oss tokenize --tokenizer FILE.gguf` reads it.
///
/// Properties: a `GGUFError` or `TokenizerError`, or a tokenizer whose BOS/EOS/end-of-generation ids are tokens and
/// whose encoding of sample text decodes back (exactly for byte-level BPE; spaces spelled ▁ with a leading space for
/// SentencePiece, whose unknown token may stand for bytes it lacks, so only ids and decodability are checked there);
/// the chat template is detected or gives a `ChatFormatError`.
struct GGUFTokenizerFuzz: FuzzHarness {
    static let name = "gguf-tokenizer"
    static let summary =
        "GGUF tokenizer metadata (gpt2 BPE / llama SentencePiece): typed error, or a tokenizer "
        + "whose special ids exist and whose encoding decodes back"
    static let maxLength = 64 << 10
    // GGUF values (see gguf), then the token table, merges map and per-token pieces.
    static let allocationBound = (perInputByte: 192, fixed: 2 << 20)

    let file: URL

    init() { file = FuzzScratch.shared.subdirectory(Self.name).appendingPathComponent("vocab.gguf") }

    func run(_ input: [UInt8]) throws(FuzzFailure) -> FuzzOutcome {
        let check = FuzzCheck(target: Self.name)
        try FuzzScratch.shared.write(input, to: file)
        let vocabulary: GGUFVocabulary
        let tokenizer: Tokenizer
        do {
            vocabulary = try GGUFVocabulary(archive: GGUFArchive(url: file))
            tokenizer = try Tokenizer.fromGGUF(vocabulary)
        } catch {
            return try check.typedError(error, allowed: [GGUFError.self, TokenizerError.self], naming: nil)
        }
        try check.require(
            tokenizer.vocabularySize == vocabulary.tokens.count,
            "vocabulary size \(tokenizer.vocabularySize) for \(vocabulary.tokens.count) tokens")
        for id in [tokenizer.bosID, tokenizer.eosID].compactMap({ $0 }) + tokenizer.endOfGeneration.sorted() {
            try check.require(id >= 0 && Int(id) < vocabulary.tokens.count, "special id \(id) outside the vocabulary")
        }
        let specials = tokenizer.specialIDs.keys.sorted().prefix(4).joined()
        let sample = "Hello, wörld!  12345 \u{1F600}\n" + specials + String(decoding: input.suffix(48), as: UTF8.self)
        if vocabulary.model == "gpt2" {
            for allow in [false, true] {
                try TokenizerRoundTrip.check(tokenizer, sample, allowSpecial: allow, spelling: .exact, check)
            }
        } else {
            let ids = tokenizer.encode(sample, allowSpecial: true, addSpecial: true)
            for id in ids { try check.require(tokenizer.hasToken(id), "encode produced id \(id) with no token") }
            do { _ = try tokenizer.decode(ids) } catch {
                throw FuzzFailure(target: Self.name, property: "decode of its own encoding failed: \(error)")
            }
        }
        if let template = vocabulary.chatTemplate {
            do { _ = try ChatFormat.detect(template: template) } catch {
                try check.typedError(error, allowed: [ChatFormatError.self], naming: nil)
            }
        }
        return .accepted
    }
}
