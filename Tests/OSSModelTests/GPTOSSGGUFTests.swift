import Foundation
import OSSCore
import OSSFormats
import OSSTokenizer
import XCTest

@testable import OSSModel

/// gpt-oss from llama.cpp's GGUF layout: the tiny preset written as GGUF (gate/up split, and fused) gives exactly
/// the safetensors logits and the §6 golden logits, on both backends.
final class GPTOSSGGUFTests: XCTestCase {
    func testGGUFGivesTheSafetensorsLogitsAndTheGoldens() throws {
        for backend in TinyModelFixture.backends {
            let reference = try GPTOSSModel.load(directory: TinyModelFixture.directory(.original), backend: backend)
                .forward(tokens: TinyModelFixture.tokens, allLogits: true)
            for fused in [false, true] {
                let model = try GPTOSSModel.load(
                    gguf: GGUFArchive(url: TinyModelFixture.gguf(fusedGateUp: fused)),
                    backend: backend)
                XCTAssertEqual(model.weights.layout, .gguf)
                XCTAssertEqual(model.config, try SyntheticPreset.tiny.config)
                let logits = try model.forward(tokens: TinyModelFixture.tokens, allLogits: true)
                XCTAssertEqual(logits.toArray(), reference.toArray(), "\(backend.name) fused \(fused)")
                try GoldenLogitsTests.assertGolden(logits, backend: "\(backend.name) gguf fused=\(fused)")
            }
        }
    }

    /// Incremental decode through the KV cache equals the full prefill on the GGUF model too.
    func testDecodeEqualsPrefill() throws {
        let backend = TinyModelFixture.backends[1]
        let url = try TinyModelFixture.gguf()
        let full = try GPTOSSModel.load(gguf: GGUFArchive(url: url), backend: backend)
            .forward(tokens: TinyModelFixture.tokens, allLogits: true).toArray()
        let model = try GPTOSSModel.load(
            gguf: GGUFArchive(url: url), backend: backend, contextLength: 16, prefillChunk: 4)
        var rows = try model.prefill(Array(TinyModelFixture.tokens.prefix(5))).toArray()
        for t in TinyModelFixture.tokens.dropFirst(5) { rows += try model.decode(t).toArray() }
        let tail = Array(full[(4 * 1024)...])
        XCTAssertEqual(rows.count, tail.count)
        for (a, b) in zip(rows, tail) { XCTAssertEqual(a, b, accuracy: 1e-3) }
    }

    /// Through `ModelLoader`: the tokenizer, chat format and stop tokens come from the GGUF metadata.
    func testLoaderReadsTokenizerAndChatTemplate() throws {
        let url = try TinyModelFixture.gguf()
        let loaded = try ModelLoader.load(
            path: url.path, options: ModelLoadOptions(backend: TinyModelFixture.backends[0]))
        XCTAssertEqual(loaded.info.architecture, "gpt-oss")
        XCTAssertEqual(loaded.info.format, .gguf)
        XCTAssertEqual(loaded.info.name, "SwiftOSS synthetic tiny")
        XCTAssertEqual(loaded.info.contextLength, 4096)
        XCTAssertEqual(loaded.info.trainedContextLength, 131_072)
        XCTAssertEqual(try loaded.chatFormat(), .harmony)
        let t = loaded.tokenizer
        XCTAssertEqual(t.vocabularySize, 1024)
        // The nine harmony control tokens are the last ids; <|return|> and <|call|> end a generation, <|end|> does not.
        XCTAssertEqual(try t.specialID("<|startoftext|>"), 1015)
        XCTAssertEqual(try t.specialID("<|call|>"), 1023)
        XCTAssertEqual(try t.specialID("<|return|>"), 1017)
        XCTAssertEqual(loaded.stopTokens, [1016, 1017, 1023])  // <|endoftext|>, <|return|>, <|call|>
        XCTAssertEqual(t.bosID, 1015)
        XCTAssertEqual(t.eosID, 1017)
        // Text tokenizes as o200k does for the ids the truncated vocabulary keeps.
        let o200k = try Tokenizer.o200kHarmony()
        for text in ["hello", "a b c", "0 1 2"] where o200k.encode(text).allSatisfy({ $0 < 1015 }) {
            XCTAssertEqual(t.encode(text), o200k.encode(text), text)
        }
        let renderer = try loaded.chatRenderer()
        let prompt = renderer.prompt([.user("hi")])
        XCTAssertEqual(prompt.first, try t.specialID("<|start|>"))
        XCTAssertEqual(renderer.stopTokens, [try t.specialID("<|return|>"), try t.specialID("<|call|>")])
    }

    /// A missing expert tensor and a wrong type are typed errors naming the tensor.
    func testMissingAndMisshapenTensorsAreNamed() throws {
        let url = try TinyModelFixture.gguf()
        let file = try GGUFFile(url: url)
        let dir = try TinyModelFixture.temporaryDirectory("gguf-broken")
        func rewrite(_ name: String, dropping dropped: String? = nil, reshaping reshaped: String? = nil) throws -> URL {
            let out = dir.appendingPathComponent(name)
            let metadata = file.metadataKeys.map { (key: $0, value: file.metadata[$0]!) }
            let entries: [GGUFWriter.Entry] = file.tensors.compactMap { info in
                if info.name == dropped { return nil }
                var ne = info.ne
                if info.name == reshaped { ne = [ne[0] * ne[1]] }
                return GGUFWriter.Entry(name: info.name, type: info.type, ne: ne) { buffer in
                    buffer.copyMemory(from: try file.rawBytes(info.name))
                }
            }
            try GGUFWriter.write(metadata: metadata, tensors: entries, to: out)
            return out
        }
        let backend = TinyModelFixture.backends[0]
        XCTAssertThrowsError(
            try GPTOSSModel.load(
                gguf: GGUFArchive(url: rewrite("a.gguf", dropping: "blk.2.ffn_up_exps.weight")),
                backend: backend)
        ) { error in
            XCTAssertEqual(
                error as? ModelError,
                .missingTensor(name: "blk.2.ffn_up_exps.weight", directory: dir.appendingPathComponent("a.gguf").path))
        }
        XCTAssertThrowsError(
            try GPTOSSModel.load(
                gguf: GGUFArchive(url: rewrite("b.gguf", reshaping: "blk.1.attn_k.weight")),
                backend: backend)
        ) { error in
            guard case ModelError.tensorShape(let name, let expected, let found) = error else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual(name, "blk.1.attn_k.weight")
            XCTAssertEqual(expected, [32, 96])
            XCTAssertEqual(found, [3072])
        }
    }
}

/// Split GGUF models (`name-0000i-of-0000N.gguf`, gguf.md §7) load as one model by any shard's path.
final class SplitGGUFTests: XCTestCase {
    /// Splits `source` into `count` shards as llama.cpp's gguf-split does: every shard gets `split.no`/`split.count`
    /// (shard 0 also the model metadata and `split.tensors.count`), tensors are dealt out in order.
    static func split(_ source: URL, into count: Int, directory: URL, prefix: String) throws -> [URL] {
        let file = try GGUFFile(url: source)
        let tensors = file.tensors
        let per = (tensors.count + count - 1) / count
        var urls: [URL] = []
        for s in 0..<count {
            let url = directory.appendingPathComponent(String(format: "\(prefix)-%05d-of-%05d.gguf", s + 1, count))
            var metadata: [(key: String, value: GGUFValue)] =
                s == 0 ? file.metadataKeys.map { ($0, file.metadata[$0]!) } : []
            metadata += [
                ("split.no", .uint16(UInt16(s))), ("split.count", .uint16(UInt16(count))),
                ("split.tensors.count", .int32(Int32(tensors.count))),
            ]
            let mine = tensors[min(s * per, tensors.count)..<min((s + 1) * per, tensors.count)]
            try GGUFWriter.write(
                metadata: metadata,
                tensors: mine.map { info in
                    GGUFWriter.Entry(name: info.name, type: info.type, ne: info.ne) {
                        $0.copyMemory(from: try file.rawBytes(info.name))
                    }
                }, to: url)
            urls.append(url)
        }
        return urls
    }

    func testSplitModelGivesTheSameLogitsFromAnyShard() throws {
        let dir = try TinyModelFixture.temporaryDirectory("split")
        let shards = try Self.split(try TinyModelFixture.gguf(), into: 3, directory: dir, prefix: "tiny")
        let backend = TinyModelFixture.backends[1]
        let whole = try ModelLoader.load(
            path: try TinyModelFixture.gguf().path, options: ModelLoadOptions(backend: backend)
        )
        .model.forward(tokens: TinyModelFixture.tokens, allLogits: true).toArray()
        for shard in shards {
            let loaded = try ModelLoader.load(path: shard.path, options: ModelLoadOptions(backend: backend))
            XCTAssertEqual(try loaded.model.forward(tokens: TinyModelFixture.tokens, allLogits: true).toArray(), whole)
            XCTAssertEqual(loaded.tokenizer.vocabularySize, 1024)
        }
        let archive = try GGUFArchive(url: shards[2])
        XCTAssertEqual(archive.files.count, 3)
        XCTAssertEqual(archive.url, shards[0])
    }

    func testInconsistentShardsAreTypedErrors() throws {
        let dir = try TinyModelFixture.temporaryDirectory("split-bad")
        let shards = try Self.split(try TinyModelFixture.gguf(), into: 3, directory: dir, prefix: "m")
        try FileManager.default.removeItem(at: shards[1])
        XCTAssertThrowsError(try GGUFArchive(url: shards[0])) { error in
            guard case GGUFError.invalidSplit(_, let reason) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains("shard 2 of 3 is missing"), reason)
        }
        // A shard that repeats another's tensor.
        let dup = try TinyModelFixture.temporaryDirectory("split-dup")
        let a = try Self.split(try TinyModelFixture.gguf(), into: 2, directory: dup, prefix: "d")
        let first = try GGUFFile(url: a[0])
        let second = try GGUFFile(url: a[1])
        let extra = first.tensors[0]
        try GGUFWriter.write(
            metadata: second.metadataKeys.map { ($0, second.metadata[$0]!) },
            tensors: (second.tensors + [extra]).map { info in
                let owner = info.name == extra.name ? first : second
                return GGUFWriter.Entry(name: info.name, type: info.type, ne: info.ne) {
                    $0.copyMemory(from: try owner.rawBytes(info.name))
                }
            }, to: a[1])
        XCTAssertThrowsError(try GGUFArchive(url: a[0])) { error in
            guard case GGUFError.invalidSplit(_, let reason) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains(extra.name), reason)
        }
    }
}

/// The full o200k_harmony vocabulary as llama.cpp's converter writes it, in a vocabulary-only GGUF file, gives the
/// bundled tokenizer's ids.
final class O200kGGUFVocabularyTests: XCTestCase {
    func testVocabularyOnlyFileRoundTrips() throws {
        let vocabulary = try GGUFVocabulary.o200kHarmony(size: 201_088)
        XCTAssertEqual(vocabulary.tokens.count, 201_088)
        XCTAssertEqual(vocabulary.merges?.count, 199_998 - 256)
        XCTAssertEqual(vocabulary.tokens[200_005], "<|channel|>")
        XCTAssertEqual(vocabulary.tokens[200_018], "<|endofprompt|>")
        XCTAssertEqual(vocabulary.tokens[201_087], "[PAD201087]")
        XCTAssertEqual(vocabulary.tokenTypes?[201_087], Tokenizer.GGUFTokenType.unused.rawValue)
        let url = try TinyModelFixture.temporaryDirectory("vocab").appendingPathComponent("o200k.gguf")
        try GGUFWriter.write(
            metadata: [("general.architecture", .string("gpt-oss"))] + vocabulary.metadata, tensors: [], to: url)
        let read = try GGUFVocabulary(archive: GGUFArchive(url: url))
        XCTAssertEqual(read, vocabulary)
        let t = try Tokenizer.fromGGUF(read)
        let o200k = try Tokenizer.o200kHarmony()
        XCTAssertEqual(t.sampleableLimit, 200_013)
        XCTAssertEqual(t.bosID, 199_998)
        XCTAssertEqual(t.eosID, 200_002)
        XCTAssertFalse(t.addBOS)
        XCTAssertEqual(t.endOfGeneration, [199_999, 200_002, 200_012])
        for text in ["hello world", "<|start|>user<|message|>Ünïcödé 123 🙂<|end|>", "  x\n\n y 'LL", "2 + 2 = 4."] {
            XCTAssertEqual(t.encode(text, allowSpecial: true), o200k.encode(text, allowSpecial: true), text)
            XCTAssertEqual(t.encode(text), o200k.encode(text), text)
        }
    }
}
