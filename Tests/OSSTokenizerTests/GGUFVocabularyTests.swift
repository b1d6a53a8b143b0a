import XCTest

@testable import OSSTokenizer

/// GGUF vocabulary arrays (as llama.cpp writes them for gpt-oss) load to the same tokenizer as the tiktoken file.
final class GGUFVocabularyTests: XCTestCase {
    func testGGUFArraysGiveIdenticalIDs() throws {
        let t = try TokenizerFixture.o200k()
        var tokens: [String] = []
        var types: [Int32] = []
        for id in 0..<Int32(t.vocabularySize) {
            if let bytes = t.table.bytes(ofRank: Int(id)) {
                tokens.append(GPT2ByteMap.string(of: bytes))
                types.append(Tokenizer.GGUFTokenType.normal.rawValue)
            } else {
                let name = String(decoding: t.tokenBytes(id) ?? [], as: UTF8.self)
                tokens.append(name)
                types.append(
                    name.hasPrefix("<|reserved_")
                        ? Tokenizer.GGUFTokenType.unused.rawValue : Tokenizer.GGUFTokenType.control.rawValue)
            }
        }
        // The first merges of o200k in rank order ("Ġ Ġ" style strings).
        var merges: [String] = []
        for rank in 256..<2000 {
            guard let bytes = t.table.bytes(ofRank: rank) else { continue }
            for split in 1..<bytes.count
            where t.table.rank(of: Array(bytes[..<split])) != nil && t.table.rank(of: Array(bytes[split...])) != nil {
                merges.append(
                    GPT2ByteMap.string(of: Array(bytes[..<split])) + " "
                        + GPT2ByteMap.string(of: Array(bytes[split...])))
                break
            }
        }
        let gguf = try Tokenizer.fromGGUF(tokens: tokens, tokenTypes: types, merges: merges, preTokenizer: "gpt-4o")
        XCTAssertEqual(gguf.vocabularySize, 201_088)
        XCTAssertEqual(gguf.sampleableLimit, 200_013)
        for text in [
            "hello world", "<|start|>assistant<|channel|>final<|message|>Ünïcödé 123<|return|>", "  x\n\n y 'LL",
        ] {
            XCTAssertEqual(gguf.encode(text, allowSpecial: true), t.encode(text, allowSpecial: true))
            XCTAssertEqual(gguf.encode(text), t.encode(text))
        }
        XCTAssertThrowsError(
            try Tokenizer.fromGGUF(tokens: tokens, tokenTypes: types, merges: nil, preTokenizer: "llama3")
        ) {
            guard case .inconsistentVocabulary = $0 as? TokenizerError else { return XCTFail("\($0)") }
        }
        XCTAssertThrowsError(
            try Tokenizer.fromGGUF(tokens: tokens, tokenTypes: Array(types.dropLast()), merges: nil, preTokenizer: nil))
        XCTAssertThrowsError(
            try Tokenizer.fromGGUF(tokens: tokens, tokenTypes: types, merges: ["Ġ"], preTokenizer: nil))
        XCTAssertThrowsError(
            try Tokenizer.fromGGUF(
                tokens: tokens, tokenTypes: types, merges: [merges[5], merges[0]], preTokenizer: nil))
    }

    func testTikTokenTextRoundTrip() throws {
        let t = try TokenizerFixture.o200k()
        let text = Tokenizer.tikTokenText(t.table)
        let reparsed = try Array(text.utf8).withUnsafeBufferPointer {
            try Tokenizer.parseTikToken($0, file: "roundtrip")
        }
        XCTAssertEqual(reparsed.count, t.table.count)
        XCTAssertEqual(reparsed.arena, t.table.arena)
        XCTAssertEqual(reparsed.starts, t.table.starts)
        // The bundled file is exactly what tikTokenText writes.
        let bundled = try String(contentsOfFile: try Tokenizer.bundledVocabularyPath(), encoding: .utf8)
        XCTAssertEqual(bundled, text)
    }
}
