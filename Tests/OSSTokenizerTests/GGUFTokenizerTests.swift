import XCTest

@testable import OSSTokenizer

/// GGUF tokenizers (gguf.md §5) on small vocabularies whose results are worked out by hand in the comments.
final class GGUFTokenizerTests: XCTestCase {
    // MARK: SentencePiece

    /// `<unk>`, `<s>`, `</s>`, the 256 byte tokens, then pieces with falling scores.
    static func sentencePiece(addSpacePrefix: Bool? = nil) throws -> Tokenizer {
        var tokens = ["<unk>", "<s>", "</s>"]
        var types: [Int32] = [2, 3, 3]
        for b in 0..<256 {
            tokens.append(String(format: "<0x%02X>", b))
            types.append(6)
        }
        let pieces = ["▁", "h", "e", "l", "o", "▁h", "ll", "he", "llo", "▁hello", "▁he", "w"]
        tokens += pieces
        types += Array(repeating: 1, count: pieces.count)
        let scores = tokens.indices.map { $0 < 259 ? Float(0) : -Float($0 - 258) }
        return try Tokenizer.fromGGUF(
            GGUFVocabulary(
                model: "llama", tokens: tokens, scores: scores, tokenTypes: types,
                addSpacePrefix: addSpacePrefix))
    }

    func testSentencePieceMergesByScore() throws {
        let t = try Self.sentencePiece()
        // "▁hello": ▁h (−1… highest) merges first, then ll, llo, ▁he, and ▁he+llo = ▁hello (268).
        XCTAssertEqual(t.encode("hello"), [268])
        XCTAssertEqual(t.encode("hello", allowSpecial: false, addSpecial: true), [1, 268])
        // "▁hell": ▁h, ll, ▁he, and "▁hell" is no token: ▁he (269) ll (265).
        XCTAssertEqual(t.encode("hell"), [269, 265])
        // "▁▁hello": the first ▁ has no partner.
        XCTAssertEqual(t.encode(" hello"), [259, 268])
        // Byte fallback: "ü" is C3 BC; ▁ stays a piece of its own.
        XCTAssertEqual(t.encode("ü"), [259, 3 + 0xC3, 3 + 0xBC])
        // A special splits the text; the fragment after it gets the space prefix again.
        XCTAssertEqual(t.encode("<s>hello", allowSpecial: true), [1, 268])
        XCTAssertEqual(try t.decode([1, 268, 269]), "<s> hello he")
        XCTAssertEqual(try t.decode([3 + 0xC3, 3 + 0xBC]), "ü")
        XCTAssertEqual(t.bosID, 1)
        XCTAssertEqual(t.eosID, 2)
        XCTAssertTrue(t.addBOS)
        XCTAssertEqual(t.endOfGeneration, [2])
        XCTAssertEqual(t.vocabularySize, 271)
        // add_space_prefix off: no leading ▁, so "hello" is h e llo merged as "he"+"llo"="hello" (no token) → he, llo.
        XCTAssertEqual(try Self.sentencePiece(addSpacePrefix: false).encode("hello"), [266, 267])
    }

    // MARK: Byte-level BPE

    /// Bytes 0…255 as tokens 0…255 (GPT-2 strings), merges he, ll, hell, hello, Ġh, Ġhe; `<|eot|>` control and
    /// `<x>` user-defined.
    static func bytePair(pre: String? = "gpt-2") throws -> Tokenizer {
        var tokens = (0..<256).map { GPT2ByteMap.string(of: [UInt8($0)]) }
        tokens += ["he", "ll", "hell", "hello", "Ġh", "Ġhe", "<|eot|>", "<x>"]
        let types = Array(repeating: Int32(1), count: 262) + [3, 4]
        return try Tokenizer.fromGGUF(
            GGUFVocabulary(
                model: "gpt2", pre: pre, tokens: tokens, tokenTypes: types,
                merges: ["h e", "l l", "he ll", "hell o", "Ġ h", "Ġh e"], eotID: 262))
    }

    func testBytePairFollowsMergeRanks() throws {
        let t = try Self.bytePair()
        // "hello": he (rank 0), ll (1), hell (2), hello (3). " hello": he first, so Ġ never meets h: Ġ + hello.
        XCTAssertEqual(t.encode("hello hello"), [259, 32, 259])
        // " he": he (rank 0) merges before Ġh (rank 4), and "Ġ he" is no merge: [Ġ, he] although Ġhe is a token
        // (tiktoken's rank order would give Ġhe).
        XCTAssertEqual(t.encode(" he"), [32, 256])
        // User-defined tokens split out always, control tokens only when asked.
        XCTAssertEqual(t.encode("a<x>b"), [97, 263, 98])
        XCTAssertEqual(t.encode("a<|eot|>", allowSpecial: true), [97, 262])
        XCTAssertEqual(t.encode("<|eot|>"), [60, 124, 101, 111, 116, 124, 62])
        XCTAssertEqual(try t.decode([259, 32, 259, 263, 262]), "hello hello<x><|eot|>")
        XCTAssertEqual(t.bosID, 11)  // llama.cpp's BPE default
        XCTAssertFalse(t.addBOS)
        XCTAssertEqual(t.endOfGeneration, [11, 262])
        // llama-bpe: whole pieces that are tokens skip merging, and BOS is added by default.
        let llama3 = try Self.bytePair(pre: "llama-bpe")
        XCTAssertTrue(llama3.addBOS)
        XCTAssertEqual(llama3.encode("hello"), [259])
    }

    func testUnknownPreTokenizerAndModelAreNamed() throws {
        XCTAssertThrowsError(try Self.bytePair(pre: "tekken")) { error in
            guard case TokenizerError.unknownPreTokenizer(let pre, let known) = error else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual(pre, "tekken")
            XCTAssertTrue(known.contains("llama-bpe") && known.contains("qwen2"))
            XCTAssertTrue("\(error)".contains("'tekken'"))
        }
        XCTAssertThrowsError(try Tokenizer.fromGGUF(GGUFVocabulary(model: "bert", tokens: ["a"]))) { error in
            XCTAssertEqual(error as? TokenizerError, .unsupportedTokenizerModel("bert", known: ["gpt2", "llama"]))
        }
    }

    func testInconsistentMetadataIsATypedError() throws {
        let tokens = (0..<256).map { GPT2ByteMap.string(of: [UInt8($0)]) }
        func fails(_ v: GGUFVocabulary, _ fragment: String, line: UInt = #line) {
            XCTAssertThrowsError(try Tokenizer.fromGGUF(v), line: line) { error in
                XCTAssertTrue("\(error)".contains(fragment), "\(error)", line: line)
            }
        }
        fails(GGUFVocabulary(model: "gpt2", tokens: tokens, tokenTypes: [1]), "256 tokens but 1 token types")
        fails(
            GGUFVocabulary(model: "gpt2", tokens: tokens, tokenTypes: Array(repeating: 9, count: 256), merges: []),
            "unknown token type 9")
        fails(GGUFVocabulary(model: "gpt2", tokens: tokens, merges: ["abc"]), "merge 0")
        fails(GGUFVocabulary(model: "gpt2", tokens: tokens), "without tokenizer.ggml.merges")
        fails(GGUFVocabulary(model: "gpt2", tokens: tokens, merges: [], eosID: 999), "eos_token_id 999")
        fails(GGUFVocabulary(model: "gpt2", tokens: Array(tokens.dropLast()), merges: []), "byte 0xff has no token")
        fails(GGUFVocabulary(model: "llama", tokens: ["a", "a"]), "repeat")
    }

    // MARK: Pre-tokenizers

    /// The splits of one text under each pre-tokenizer, worked out from llama.cpp's splitters (unicode.cpp).
    func testPreTokenizerSplits() throws {
        let text = "Hello world! It's 2024.\n\n  ok?"
        let expected: [BPEPreTokenizer: [String]] = [
            .gpt2: ["Hello", " world", "!", " It", "'s", " 2024", ".", "\n\n ", " ok", "?"],
            .llama3: ["Hello", " world", "!", " It", "'s", " ", "202", "4", ".\n\n", " ", " ok", "?"],
            .qwen2: ["Hello", " world", "!", " It", "'s", " ", "2", "0", "2", "4", ".\n\n", " ", " ok", "?"],
            .smollm: ["Hello", " world", "!", " It", "'s", " ", "2", "0", "2", "4", ".", "\n\n ", " ok", "?"],
            .defaultSplit: ["Hello", " world", "!", " It", "'", "s", " ", "202", "4", ".", "\n\n ", " ok", "?"],
            .gpt4o: ["Hello", " world", "!", " It's", " ", "202", "4", ".\n\n", " ", " ok", "?"],
        ]
        for splitter in BPEPreTokenizer.allCases {
            XCTAssertEqual(splitter.pieces(text), expected[splitter], splitter.rawValue)
            XCTAssertEqual(splitter.pieces(text).joined(), text, splitter.rawValue)
        }
        // Case-insensitive contractions in llama3/qwen2, lowercase only in gpt-2.
        XCTAssertEqual(BPEPreTokenizer.llama3.pieces("IT'S"), ["IT", "'S"])
        XCTAssertEqual(BPEPreTokenizer.gpt2.pieces("IT'S"), ["IT", "'", "S"])
        // A punctuation prefix joins letters in llama3, not in gpt-2; non-ASCII letters are letters.
        XCTAssertEqual(BPEPreTokenizer.llama3.pieces("(naïve)"), ["(naïve", ")"])
        XCTAssertEqual(BPEPreTokenizer.gpt2.pieces("(naïve)"), ["(", "naïve", ")"])
        XCTAssertEqual(try BPEPreTokenizer.named("llama3").splitter, .llama3)
        XCTAssertEqual(try BPEPreTokenizer.named(nil).splitter, .defaultSplit)
    }
}
