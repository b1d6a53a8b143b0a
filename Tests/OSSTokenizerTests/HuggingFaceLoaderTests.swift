import XCTest

@testable import OSSTokenizer

/// A tokenizer.json written from the tiktoken vocabulary in Hugging Face's format loads to the same tokenizer.
final class HuggingFaceLoaderTests: XCTestCase {
    func testTokenizerJSONGivesIdenticalIDs() throws {
        let tiktoken = try TokenizerFixture.o200k()
        let dir = try TokenizerFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("tokenizer.json")
        try Self.huggingFaceJSON(from: tiktoken).write(to: url)

        let hf = try Tokenizer.loadHuggingFace(path: url.path)
        XCTAssertEqual(hf.table.count, tiktoken.table.count)
        XCTAssertEqual(hf.vocabularySize, tiktoken.vocabularySize)
        XCTAssertEqual(hf.sampleableLimit, 200_013)
        for id in stride(from: Int32(0), to: Int32(tiktoken.vocabularySize), by: 1) {
            guard hf.tokenBytes(id) == tiktoken.tokenBytes(id) else { return XCTFail("token \(id) differs") }
        }
        let texts = [
            "hello world", #"User asks: "What is 2 + 2?" Simple arithmetic. Provide answer."#,
            "<|start|>user<|message|>Größe? 你好 👨‍👩‍👧<|end|>", "  a\n\n b\r\n'LL 123456",
        ]
        for text in texts {
            XCTAssertEqual(hf.encode(text), tiktoken.encode(text))
            XCTAssertEqual(hf.encode(text, allowSpecial: true), tiktoken.encode(text, allowSpecial: true))
        }
        XCTAssertEqual(hf.encode("<|channel|>", allowSpecial: true), [200_005])
    }

    /// tokenizer.json (tokenizers 0.21 layout, as in the gpt-oss repositories) for a tiktoken vocabulary.
    /// Merges follow transformers' tiktoken converter: every split of a token into two tokens, ordered by the merged
    /// token's rank, then by the ranks of the two parts (446,189 merges for o200k, as in gpt-oss's tokenizer.json).
    /// Written as text: JSONSerialization takes seconds for this size.
    static func huggingFaceJSON(from t: Tokenizer) throws -> Data {
        var vocab: [String] = []
        var merges: [String] = []
        for rank in 0..<t.table.rankLimit {
            guard let bytes = t.table.bytes(ofRank: rank) else { continue }
            vocab.append("\"\(jsonEscape(GPT2ByteMap.string(of: bytes)))\": \(rank)")
            guard bytes.count > 1 else { continue }
            var local: [(Int, Int, String)] = []
            for split in 1..<bytes.count {
                let left = Array(bytes[..<split])
                let right = Array(bytes[split...])
                if let l = t.table.rank(of: left), let r = t.table.rank(of: right) {
                    local.append(
                        (
                            l, r,
                            "[\"\(jsonEscape(GPT2ByteMap.string(of: left)))\", \"\(jsonEscape(GPT2ByteMap.string(of: right)))\"]"
                        ))
                }
            }
            local.sort { ($0.0, $0.1) < ($1.0, $1.1) }
            merges += local.map(\.2)
        }
        XCTAssertEqual(merges.count, 446_189)
        let added = t.specialIDs.sorted { ($0.value, $0.key) < ($1.value, $1.key) }
            .filter { $0.key != "<|reserved_200018|>" }
            .map {
                "{\"id\": \($0.value), \"content\": \"\(jsonEscape($0.key))\", \"single_word\": false, \"lstrip\": false, "
                    + "\"rstrip\": false, \"normalized\": false, \"special\": true}"
            }
        let pattern = jsonEscape(Tokenizer.o200kPattern)
        let text = """
            {
              "version": "1.0",
              "truncation": null,
              "padding": null,
              "added_tokens": [\(added.joined(separator: ",\n    "))],
              "normalizer": null,
              "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
                {"type": "Split", "pattern": {"Regex": "\(pattern)"}, "behavior": "Isolated", "invert": false},
                {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false}]},
              "post_processor": null,
              "decoder": {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true},
              "model": {"type": "BPE", "dropout": null, "unk_token": null, "continuing_subword_prefix": null,
                "end_of_word_suffix": null, "fuse_unk": false, "byte_fallback": false, "ignore_merges": false,
                "vocab": {\(vocab.joined(separator: ",\n      "))},
                "merges": [\(merges.joined(separator: ",\n      "))]}
            }
            """
        return Data(text.utf8)
    }
}
