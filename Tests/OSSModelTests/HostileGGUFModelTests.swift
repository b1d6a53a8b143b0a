import Foundation
import OSSCore
import OSSFormats
import OSSTokenizer
import XCTest

@testable import OSSModel

/// Valid GGUF containers that are bad models: missing required keys, keys of the wrong type, impossible values,
/// bad tokenizer metadata. Each is a typed error naming the key or tensor, one line long; the `oss` CLI exits
/// non-zero with that one line.
final class HostileGGUFModelTests: XCTestCase {
    private func load(_ url: URL) throws -> LoadedModel {
        try ModelLoader.load(path: url.path, options: ModelLoadOptions(backend: TinyModelFixture.backends[0]))
    }

    /// Loads a rewritten `base` and returns the error's description (failing when it loads).
    private func failure(
        _ base: URL, _ name: String, metadata: [String: GGUFValue?] = [:], dropping: Set<String> = [],
        line: UInt = #line
    ) throws -> String {
        let url = try TinyModelFixture.rewrite(base, name: name, metadata: metadata, dropping: dropping)
        do {
            _ = try load(url)
            XCTFail("\(name) loaded", line: line)
            return ""
        } catch {
            let text = "\(error)"
            XCTAssertFalse(text.contains("\n"), "one line: \(text)", line: line)
            XCTAssertFalse(error is DecodingError, line: line)
            return text
        }
    }

    func testMissingRequiredKeysAreNamed() throws {
        let llama = try TinyModelFixture.dense(.llamaTiny)
        let gptOSS = try TinyModelFixture.gguf()
        for key in [
            "llama.block_count", "llama.embedding_length", "llama.attention.head_count", "llama.context_length",
            "llama.attention.layer_norm_rms_epsilon", "llama.feed_forward_length", "general.architecture",
            "tokenizer.ggml.model", "tokenizer.ggml.tokens",
        ] {
            let text = try failure(llama, "missing.gguf", metadata: [key: nil])
            XCTAssertTrue(text.contains("missing metadata key \"\(key)\""), text)
        }
        for key in ["gpt-oss.expert_count", "gpt-oss.attention.sliding_window", "gpt-oss.expert_feed_forward_length"] {
            let text = try failure(gptOSS, "missing-moe.gguf", metadata: [key: nil])
            XCTAssertTrue(text.contains(key), text)
        }
    }

    func testWrongKeyTypesAreNamed() throws {
        let llama = try TinyModelFixture.dense(.llamaTiny)
        let cases: [(String, GGUFValue)] = [
            ("llama.block_count", .string("two")), ("llama.attention.head_count", .float32(4)),
            ("llama.rope.freq_base", .string("1e4")), ("general.architecture", .uint32(1)),
            ("tokenizer.ggml.tokens", .array(.uint32, [.uint32(1)])), ("tokenizer.ggml.add_bos_token", .uint8(1)),
            ("tokenizer.ggml.token_type", .array(.string, [.string("x")])),
            ("llama.attention.head_count_kv", .array(.uint32, [.uint32(2)])),  // 1 entry for 2 layers
            ("tokenizer.ggml.bos_token_id", .int64(1 << 40)),
        ]
        for (key, value) in cases {
            let text = try failure(llama, "type.gguf", metadata: [key: value])
            XCTAssertTrue(text.contains(key), "\(key): \(text)")
        }
    }

    func testImpossibleValuesAreNamed() throws {
        let llama = try TinyModelFixture.dense(.llamaTiny)
        let cases: [(String, GGUFValue, String)] = [
            ("llama.block_count", .uint32(0), "block_count"), ("llama.block_count", .uint64(1 << 40), "block_count"),
            ("llama.block_count", .uint32(3), "blk.2."),  // more layers than the file has tensors for
            ("llama.attention.head_count", .uint32(0), "head_count"),
            ("llama.attention.head_count_kv", .uint32(3), "head_count_kv"),
            ("llama.context_length", .uint32(0), "context_length"),
            ("llama.attention.layer_norm_rms_epsilon", .float32(-1), "layer_norm_rms_epsilon"),
            ("llama.rope.freq_base", .float32(.nan), "rope.freq_base"),
            ("llama.rope.dimension_count", .uint32(8), "rope.dimension_count"),
            ("llama.embedding_length", .uint32(96), "attn_q.weight"),  // tensors are 64 wide
            ("llama.rope.scaling.type", .string("longrope"), "longrope"),
            ("tokenizer.ggml.model", .string("bert"), "bert"),
            ("tokenizer.ggml.eos_token_id", .uint32(99_999), "eos_token_id"),
        ]
        for (key, value, fragment) in cases {
            let text = try failure(llama, "value.gguf", metadata: [key: value])
            XCTAssertTrue(text.contains(fragment), "\(key) = \(value): \(text)")
        }
        // Byte-level BPE: an unknown pre-tokenizer, merges of the wrong type or that are not pairs.
        let qwen = try TinyModelFixture.dense(.qwenTiny)
        let bpe: [(String, GGUFValue, String)] = [
            ("tokenizer.ggml.pre", .string("tekken"), "tekken"),
            ("tokenizer.ggml.merges", .array(.uint8, [.uint8(1)]), "tokenizer.ggml.merges"),
            ("tokenizer.ggml.merges", .array(.string, [.string("nospace")]), "merge 0"),
        ]
        for (key, value, fragment) in bpe {
            let text = try failure(qwen, "bpe.gguf", metadata: [key: value])
            XCTAssertTrue(text.contains(fragment), "\(key) = \(value): \(text)")
        }
    }

    /// The `oss` executable (built beside the test bundle by `make test`) prints one line and exits non-zero.
    func testCLIPrintsOneLine() throws {
        let bundle = Bundle(for: Self.self).bundleURL
        let candidates = [
            bundle.appendingPathComponent("oss"), bundle.deletingLastPathComponent().appendingPathComponent("oss"),
        ]
        let oss = try XCTUnwrap(
            candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }),
            "no oss executable beside \(bundle.path) (swift build --build-tests builds it)")
        let llama = try TinyModelFixture.dense(.llamaTiny)
        let dir = try TinyModelFixture.temporaryDirectory("cli")
        let truncated = dir.appendingPathComponent("truncated.gguf")
        try Data(try Data(contentsOf: llama).prefix(777)).write(to: truncated)
        let files = [
            truncated, try TinyModelFixture.rewrite(llama, name: "nokey.gguf", metadata: ["llama.block_count": nil]),
            try TinyModelFixture.rewrite(
                llama, name: "arch.gguf", metadata: ["general.architecture": .string("mamba")]),
            try TinyModelFixture.rewrite(llama, name: "tensor.gguf", dropping: ["blk.1.ffn_down.weight"]),
        ]
        for file in files {
            for arguments in [
                ["logits", "--model", file.path, "--tokens", "1,2"],
                ["generate", "--model", file.path, "--prompt", "hi", "--max-tokens", "2"],
                ["tokenize", "--tokenizer", file.path, "--text", "hi"],
            ] {
                let process = Process()
                process.executableURL = oss
                process.arguments = arguments
                let stderr = Pipe()
                process.standardError = stderr
                process.standardOutput = Pipe()
                try process.run()
                let text = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                process.waitUntilExit()
                // vocabulary intact
                if arguments[0] == "tokenize" && file.lastPathComponent != "truncated.gguf" { continue }
                XCTAssertNotEqual(process.terminationStatus, 0, "\(arguments)")
                let lines = text.split(separator: "\n")
                XCTAssertEqual(lines.count, 1, "\(arguments): \(text)")
                XCTAssertTrue(lines.first?.hasPrefix("Error: ") ?? false, text)
                XCTAssertTrue(text.contains(file.lastPathComponent) || text.contains("blk.1.ffn_down"), text)
            }
        }
    }
}
