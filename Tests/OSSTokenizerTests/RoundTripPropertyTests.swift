import XCTest

@testable import OSSTokenizer

/// decode(encode(s)) == s for thousands of random strings mixing scripts, digits, whitespace runs, contractions,
/// emoji (with ZWJ sequences and modifiers) and combining marks; also for the byte API and with specials allowed.
final class RoundTripPropertyTests: XCTestCase {
    static let atoms: [String] =
        Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789").map(String.init)
        + Array(" \t\n\r.,;:!?-_/\\'\"()[]{}<>@#$%^&*+=|~`").map(String.init)
        + [
            " ", "   ", "\r\n", "\n\n", "\u{a0}", "\u{3000}", "\u{2028}", "\u{b}", "\u{c}", "\u{85}",
            "'s", "'S", "'t", "'T", "'re", "'RE", "'ve", "'VE", "'m", "'M", "'ll", "'LL", "'d", "'D", "'\u{17f}",
            "你", "好", "世界", "日本", "の", "テ", "한국어", "Привет", "Ελληνικά", "مرحبا", "٣٤٥", "हिन्दी", "नमस्ते", "ไทย",
            "\u{301}", "\u{308}", "\u{20dd}", "ǅ", "ʰ", "ᾈ", "Ⅻ", "²", "½", "１２３", "Ａ", "😀", "👍🏽", "👨‍👩‍👧", "🏳️‍🌈",
            "❤️", "€", "—", "…", "\u{200d}", "\u{feff}", "ß", "İ", "ﬁ", "<|end|>", "<|start|>", "<|reserved_200999|>",
            "hello", "The", "don't", "I'M", "HTTPServer", "3.14159", "https://x.org/a/b",
        ]

    func testRandomStringsRoundTrip() throws {
        let t = try TokenizerFixture.o200k()
        var rng = TestRandom(seed: 0x5eed)
        for _ in 0..<3000 {
            let length = rng.next(below: 24)
            var s = ""
            for _ in 0..<length {
                // Mostly atoms; one in four a random scalar from anywhere in the code space (surrogates excluded).
                if rng.next(below: 4) == 0, let scalar = Unicode.Scalar(UInt32(rng.next(below: 0x110000))) {
                    s.unicodeScalars.append(scalar)
                } else {
                    s += Self.atoms[rng.next(below: Self.atoms.count)]
                }
            }
            let ids = t.encode(s)
            XCTAssertEqual(try t.decode(ids), s)
            XCTAssertFalse(ids.contains { t.isSpecial($0) }, "specials not allowed: \(s.debugDescription)")
            XCTAssertEqual(try t.encode(utf8: Array(s.utf8)), ids)
            let withSpecials = t.encode(s, allowSpecial: true)
            XCTAssertEqual(try t.decode(withSpecials), s)
            if !s.contains("<|") { XCTAssertEqual(withSpecials, ids) }
        }
    }

    /// Every prefix split of a random string's ids streams back to the same text through `StreamingDecoder`.
    func testStreamingDecoderReassemblesSplitUTF8() throws {
        let t = try TokenizerFixture.o200k()
        var rng = TestRandom(seed: 42)
        for _ in 0..<300 {
            var s = ""
            for _ in 0..<rng.next(below: 16) { s += Self.atoms[rng.next(below: Self.atoms.count)] }
            var decoder = StreamingDecoder(tokenizer: t)
            var streamed = ""
            for id in t.encode(s) {
                let piece = decoder.append(id)
                XCTAssertFalse(piece.contains("\u{fffd}"), "piece of \(s.debugDescription) holds a broken character")
                streamed += piece
            }
            streamed += decoder.finish()
            XCTAssertEqual(streamed, s)
        }
        // "🫠" is four bytes in three tokens (F0 9F | AB | A0): nothing shows until the character is complete.
        let ids = t.encode("🫠")
        XCTAssertEqual(ids, [4103, 104, 254])
        var decoder = StreamingDecoder(tokenizer: t)
        let pieces = ids.map { decoder.append($0) }
        XCTAssertEqual(pieces.dropLast().joined(), "")
        XCTAssertEqual(pieces.last, "🫠")
    }

    /// The heap merge used for long pieces takes exactly the merge order of the quadratic scan.
    func testLongPieceMergeMatchesQuadraticMerge() throws {
        let t = try TokenizerFixture.o200k()
        var rng = TestRandom(seed: 7)
        let alphabets: [[UInt8]] = [
            Array("ab".utf8), Array("aeiouxyz".utf8), Array("abcdefghijklmnopqrstuvwxyz".utf8),
            Array("é你a".utf8), Array("0!".utf8),
        ]
        for k in 0..<40 {
            let alphabet = alphabets[k % alphabets.count]
            let bytes = (0..<(2 + rng.next(below: 600))).map { _ in alphabet[rng.next(below: alphabet.count)] }
            var quadratic = BytePairMerger()
            quadratic.longPieceThreshold = Int.max
            var heap = BytePairMerger()
            heap.longPieceThreshold = 0
            var a: [Int32] = []
            var b: [Int32] = []
            bytes.withUnsafeBufferPointer { p in
                quadratic.merge(p.baseAddress!, count: p.count, table: t.table, into: &a)
                heap.merge(p.baseAddress!, count: p.count, table: t.table, into: &b)
            }
            XCTAssertEqual(a, b)
            XCTAssertEqual(try t.decodeBytes(a), bytes)
        }
        // One megabyte-scale run of one letter is a single piece; it must still encode quickly and exactly.
        let run = String(repeating: "a", count: 50_000)
        XCTAssertEqual(try t.decode(t.encode(run)), run)
    }
}

/// SplitMix64, for reproducible random test inputs.
struct TestRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
    mutating func next(below n: Int) -> Int { Int(next() % UInt64(n)) }
}
