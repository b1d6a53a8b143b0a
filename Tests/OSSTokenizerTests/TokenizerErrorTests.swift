import XCTest

@testable import OSSTokenizer

/// Bad input gives typed errors: invalid UTF-8, unknown specials and ids, malformed vocabulary files.
final class TokenizerErrorTests: XCTestCase {
    func testInvalidUTF8IsATypedError() throws {
        let t = try TokenizerFixture.o200k()
        let bad: [([UInt8], Int)] = [
            ([0x61, 0xFF, 0x62], 1),  // byte that never occurs in UTF-8
            ([0x68, 0x69, 0xC3], 2),  // truncated two-byte sequence
            ([0xC0, 0xAF], 0),  // overlong '/'
            ([0x61, 0xED, 0xA0, 0x80], 1),  // UTF-16 surrogate U+D800
            ([0xF4, 0x90, 0x80, 0x80], 0),  // beyond U+10FFFF
            ([0x80], 0),  // lone continuation byte
        ]
        for (bytes, offset) in bad {
            XCTAssertThrowsError(try t.encode(utf8: bytes)) { error in
                XCTAssertEqual(error as? TokenizerError, .invalidUTF8(offset: offset), "\(bytes)")
            }
        }
        XCTAssertThrowsError(try t.encode(utf8: Data([0x61, 0xFE]), allowSpecial: true)) { error in
            XCTAssertEqual(error as? TokenizerError, .invalidUTF8(offset: 1))
        }
    }

    func testUnknownSpecialAndIDAreTypedErrors() throws {
        let t = try TokenizerFixture.o200k()
        XCTAssertThrowsError(try t.specialID("<|refusal|>")) { error in
            XCTAssertEqual(error as? TokenizerError, .unknownSpecialToken("<|refusal|>"))
        }
        XCTAssertThrowsError(try t.decode([24912, 201_088])) { error in
            XCTAssertEqual(error as? TokenizerError, .unknownTokenID(201_088))
        }
        XCTAssertThrowsError(try t.decode([-1])) { error in
            XCTAssertEqual(error as? TokenizerError, .unknownTokenID(-1))
        }
    }

    func testMalformedTikTokenLines() throws {
        let single = (0..<256).map { "\(Base64Decoder.encode([UInt8($0)])) \($0)" }.joined(separator: "\n")
        let cases: [(String, Int, String)] = [
            (single + "\nYWJj", 257, "expected 'base64 rank'"),
            (single + "\nYW*j 256", 257, "invalid base64 token"),
            (single + "\nYWJj 25x", 257, "rank is not a decimal number"),
            (single + "\nYWJj ", 257, "missing or out-of-range rank"),
            ("QQ= 0", 1, "invalid base64 token"),
        ]
        for (text, line, reason) in cases {
            let bytes = Array(text.utf8)
            XCTAssertThrowsError(
                try bytes.withUnsafeBufferPointer { try Tokenizer.parseTikToken($0, file: "v.tiktoken") }
            ) { error in
                XCTAssertEqual(
                    error as? TokenizerError, .malformedTikTokenLine(file: "v.tiktoken", line: line, reason: reason))
            }
        }
        // Duplicate token bytes and duplicate ranks are inconsistent vocabularies.
        for text in [single + "\nYWJj 256\nYWJj 257", single + "\nYWJj 256\nYWJk 256"] {
            XCTAssertThrowsError(
                try Array(text.utf8).withUnsafeBufferPointer { try Tokenizer.parseTikToken($0, file: "v") }
            ) { error in
                guard case .inconsistentVocabulary = error as? TokenizerError else { return XCTFail("\(error)") }
            }
        }
        // A vocabulary missing a single byte cannot encode arbitrary text.
        let table = try Array((single.split(separator: "\n").dropFirst().joined(separator: "\n")).utf8)
            .withUnsafeBufferPointer { try Tokenizer.parseTikToken($0, file: "v") }
        XCTAssertThrowsError(try Tokenizer(table: table, specials: [])) { error in
            guard case .inconsistentVocabulary = error as? TokenizerError else { return XCTFail("\(error)") }
        }
    }

    func testUnreadableFiles() {
        XCTAssertThrowsError(try Tokenizer.loadTikToken(path: "/nonexistent/o200k.tiktoken")) { error in
            guard case .unreadableFile(let path, _) = error as? TokenizerError else { return XCTFail("\(error)") }
            XCTAssertEqual(path, "/nonexistent/o200k.tiktoken")
        }
        XCTAssertThrowsError(try Tokenizer.loadHuggingFace(path: "/nonexistent/tokenizer.json")) { error in
            guard case .unreadableFile = error as? TokenizerError else { return XCTFail("\(error)") }
        }
    }

    func testMalformedTokenizerJSON() {
        let bytesVocab = (0..<256).map { "\"\(jsonEscape(GPT2ByteMap.string(of: [UInt8($0)])))\": \($0)" }.joined(
            separator: ", ")
        let cases: [(String, String)] = [
            ("{", "not JSON"),
            ("[1, 2]", "top level is not an object"),
            ("{}", "missing 'model' object"),
            (#"{"model": {"type": "WordPiece", "vocab": {}}}"#, "model.type is 'WordPiece'"),
            (#"{"model": {"type": "BPE"}}"#, "missing 'model.vocab'"),
            (#"{"model": {"type": "BPE", "vocab": {"a": "x"}}}"#, "is not a non-negative integer"),
            (#"{"model": {"type": "BPE", "vocab": {"\u0000": 0}}}"#, "not in the GPT-2 byte alphabet"),
            (
                "{\"model\": {\"type\": \"BPE\", \"vocab\": {\(bytesVocab)}, \"merges\": [[\"a\", \"zz\"]]}}",
                "does not join two vocab tokens"
            ),
            ("{\"model\": {\"type\": \"BPE\", \"vocab\": {\(bytesVocab)}, \"merges\": [7]}}", "is neither"),
            (
                "{\"added_tokens\": [{\"id\": 300}], \"model\": {\"type\": \"BPE\", \"vocab\": {\(bytesVocab)}}}",
                "added_tokens[0]"
            ),
            (
                "{\"added_tokens\": [{\"id\": 300, \"content\": \"<|a|>\"}, {\"id\": 300, \"content\": \"<|b|>\"}], "
                    + "\"model\": {\"type\": \"BPE\", \"vocab\": {\(bytesVocab)}}}",
                "added_tokens[1] ('<|b|>') reuses id 300 of '<|a|>'"
            ),
            ("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}}}", "has no single-byte token"),
            (
                #"{"pre_tokenizer": {"type": "Split", "pattern": {"Regex": "\\w+"}}, "model": {"type": "BPE", "vocab": {}}}"#,
                "not the o200k pattern"
            ),
        ]
        for (json, reason) in cases {
            XCTAssertThrowsError(try Tokenizer.parseHuggingFace(Data(json.utf8), file: "tokenizer.json")) { error in
                guard case .malformedTokenizerJSON(let file, let detail) = error as? TokenizerError else {
                    return XCTFail("\(error)")
                }
                XCTAssertEqual(file, "tokenizer.json")
                XCTAssertTrue(detail.contains(reason), "'\(detail)' should mention '\(reason)'")
            }
        }
    }
}

/// JSON string escaping for test-written JSON.
func jsonEscape(_ s: String) -> String {
    var out = ""
    for u in s.unicodeScalars {
        switch u {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        default:
            if u.value < 0x20 || u.value == 0x7f {
                out += String(format: "\\u%04x", u.value)
            } else {
                out.unicodeScalars.append(u)
            }
        }
    }
    return out
}
