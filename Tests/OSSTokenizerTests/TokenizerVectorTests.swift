import XCTest

@testable import OSSTokenizer

/// Test vectors of gpt-oss.md §5 and splits/ids produced by tiktoken 0.14 with the o200k pattern.
final class TokenizerVectorTests: XCTestCase {
    func testSpecVectors() throws {
        let t = try TokenizerFixture.o200k()
        XCTAssertEqual(t.encode("hello world"), [24912, 2375])
        XCTAssertEqual(
            t.encode(#"User asks: "What is 2 + 2?" Simple arithmetic. Provide answer."#),
            [1844, 31064, 25, 392, 4827, 382, 220, 17, 659, 220, 17, 16842, 12295, 81645, 13, 51441, 6052, 13])
        XCTAssertEqual(t.encode("2 + 2 = 4."), [17, 659, 220, 17, 314, 220, 19, 13])
        XCTAssertEqual(t.encode("analysis"), [35644])
        XCTAssertEqual(t.encode("final"), [17196])
        XCTAssertEqual(t.encode("assistant"), [173781])
    }

    func testSpecialTokenIDs() throws {
        let t = try TokenizerFixture.o200k()
        XCTAssertEqual(
            t.encode("<|start|>assistant<|channel|>final<|message|>hi<|return|>", allowSpecial: true),
            [200006, 173781, 200005, 17196, 200008, 3686, 200002])
        XCTAssertEqual(try t.specialID("<|call|>"), 200012)
        XCTAssertEqual(try t.specialID("<|constrain|>"), 200003)
        XCTAssertEqual(try t.specialID("<|endofprompt|>"), 200018)
        XCTAssertEqual(try t.specialID("<|reserved_200018|>"), 200018)
        XCTAssertEqual(try t.specialID("<|reserved_201087|>"), 201087)
        XCTAssertEqual(try t.decode([200018]), "<|endofprompt|>")
        XCTAssertEqual(try t.decode([200000, 200013]), "<|reserved_200000|><|reserved_200013|>")
        XCTAssertEqual(t.vocabularySize, 201088)
        XCTAssertEqual(t.sampleableLimit, 200013)
        XCTAssertEqual(t.table.count, 199998)
    }

    func testSpecialsDisallowedAreOrdinaryText() throws {
        let t = try TokenizerFixture.o200k()
        let ids = t.encode("<|end|>", allowSpecial: false)
        XCTAssertFalse(ids.contains(200007))
        XCTAssertFalse(ids.contains { t.isSpecial($0) })
        XCTAssertEqual(try t.decode(ids), "<|end|>")
    }

    /// Splits and ids from tiktoken 0.14 (`Encoding(pat_str=o200k pattern, mergeable_ranks=o200k_base)`).
    func testKnownTikTokenSplitsAndIDs() throws {
        let t = try TokenizerFixture.o200k()
        let cases: [(String, [String], [Int32])] = [
            ("I'M here", ["I'M", " here"], [40, 95346, 2105]),
            ("  hello", [" ", " hello"], [220, 40617]),
            ("a\n\n b", ["a", "\n\n", " b"], [64, 279, 287]),
            ("123456", ["123", "456"], [7633, 19354]),
            ("don't", ["don't"], [91418]),
            ("你好世界，我是", ["你好世界", "，我是"], [177519, 28428, 40824, 3221]),
            ("\u{301}ABC", ["\u{301}", "ABC"], [13430, 44197]),
            ("HTTPServer helloWorld", ["HTTPServer", " hello", "World"], [17893, 6444, 40617, 13046]),
            ("x  \n  y", ["x", "  \n", " ", " y"], [87, 4066, 220, 342]),
            ("...\n/", ["...\n/"], [4908, 14]),
            ("hello   world  ", ["hello", "  ", " world", "  "], [24912, 256, 2375, 256]),
            ("I'ſ we'LL", ["I'ſ", " we'LL"], [40, 6, 70067, 581, 6, 7454]),
            ("日本語のテキストです。", ["日本語のテキストです", "。"], [9048, 40909, 3385, 16056, 18368, 38236, 15121, 788]),
        ]
        for (text, pieces, ids) in cases {
            XCTAssertEqual(t.pieces(text), pieces, "pieces of \(text.debugDescription)")
            XCTAssertEqual(t.encode(text), ids, "ids of \(text.debugDescription)")
        }
    }
}
