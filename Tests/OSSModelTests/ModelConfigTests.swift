import Foundation
import XCTest

@testable import OSSModel

/// config.json decoding: both key sets, and a typed error for every kind of bad value.
final class ModelConfigTests: XCTestCase {
    /// The original `config.json` of gpt-oss-20b (the torch `ModelConfig` fields).
    static var original20b: [String: Any] {
        [
            "num_hidden_layers": 24, "num_experts": 32, "experts_per_token": 4, "vocab_size": 201088,
            "hidden_size": 2880, "intermediate_size": 2880, "swiglu_limit": 7.0, "head_dim": 64,
            "num_attention_heads": 64, "num_key_value_heads": 8, "sliding_window": 128,
            "initial_context_length": 4096, "rope_theta": 150000, "rope_scaling_factor": 32.0,
            "rope_ntk_alpha": 1.0, "rope_ntk_beta": 32.0,
        ]
    }

    /// The Hugging Face `config.json` of gpt-oss-20b (abridged to the keys the model reads, plus a few others).
    static var hf20b: [String: Any] {
        [
            "architectures": ["GptOssForCausalLM"], "model_type": "gpt_oss", "attention_bias": true,
            "attention_dropout": 0.0, "eos_token_id": 200002, "experts_per_token": 4, "head_dim": 64,
            "hidden_act": "silu", "hidden_size": 2880, "initial_context_length": 4096, "intermediate_size": 2880,
            "layer_types": (0..<24).map { $0 % 2 == 0 ? "sliding_attention" : "full_attention" },
            "max_position_embeddings": 131072, "num_attention_heads": 64, "num_experts_per_tok": 4,
            "num_hidden_layers": 24, "num_key_value_heads": 8, "num_local_experts": 32, "rms_norm_eps": 1e-05,
            "rope_scaling": [
                "beta_fast": 32.0, "beta_slow": 1.0, "factor": 32.0,
                "original_max_position_embeddings": 4096, "rope_type": "yarn", "truncate": false,
            ],
            "rope_theta": 150000, "sliding_window": 128, "swiglu_limit": 7.0, "tie_word_embeddings": false,
            "vocab_size": 201088,
        ]
    }

    private func decode(_ dict: [String: Any]) throws -> ModelConfig {
        try ModelConfig.decode(json: JSONSerialization.data(withJSONObject: dict), file: "test/config.json")
    }

    private func expected20b() throws -> ModelConfig { try SyntheticPreset.twentyB.config }

    func testOriginalKeys() throws {
        let c = try decode(Self.original20b)
        XCTAssertEqual(c, try expected20b())
        XCTAssertEqual(c.maxPositions, 131072)
        XCTAssertEqual(c.yarn, YaRNScaling(factor: 32, originalContext: 4096, betaFast: 32, betaSlow: 1))
        XCTAssertEqual(c.window(layer: 0), 128)
        XCTAssertEqual(c.window(layer: 1), 0)
        XCTAssertEqual(c.qWidth, 4096)
        XCTAssertEqual(c.kvWidth, 512)
    }

    func testHuggingFaceKeys() throws {
        XCTAssertEqual(try decode(Self.hf20b), try expected20b())
    }

    /// Newer transformers write `rope_parameters` (with rope_theta inside) instead of `rope_scaling`.
    func testRopeParametersSpelling() throws {
        var d = Self.hf20b
        d["rope_scaling"] = nil
        d["rope_theta"] = nil
        d["rope_parameters"] = [
            "rope_type": "yarn", "factor": 32.0, "beta_fast": 32.0, "beta_slow": 1.0,
            "original_max_position_embeddings": 4096, "truncate": false, "rope_theta": 150000.0,
        ]
        XCTAssertEqual(try decode(d), try expected20b())
    }

    /// `layer_types` is honoured when present (here: every layer full).
    func testLayerTypesOverrideTheEvenOddDefault() throws {
        var d = Self.hf20b
        d["layer_types"] = [String](repeating: "full_attention", count: 24)
        let c = try decode(d)
        XCTAssertEqual(c.window(layer: 0), 0)
        XCTAssertEqual(c.layerTypes, [LayerAttention](repeating: .full, count: 24))
    }

    private func assertError(
        _ dict: [String: Any], _ expected: ModelConfigError,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertThrowsError(try decode(dict), file: file, line: line) { error in
            XCTAssertEqual(error as? ModelConfigError, expected, file: file, line: line)
        }
    }

    private func with(_ base: [String: Any], _ key: String, _ value: Any?) -> [String: Any] {
        var d = base
        d[key] = value
        return d
    }

    func testMissingKeys() {
        let f = "test/config.json"
        assertError(with(Self.original20b, "hidden_size", nil), .missingKey(file: f, key: "hidden_size"))
        assertError(
            with(Self.original20b, "num_experts", nil),
            .missingKey(file: f, key: "num_local_experts or num_experts"))
        assertError(with(Self.original20b, "rope_theta", nil), .missingKey(file: f, key: "rope_theta"))
        assertError(
            with(Self.original20b, "initial_context_length", nil),
            .missingKey(file: f, key: "initial_context_length"))
        assertError(with(Self.hf20b, "head_dim", nil), .missingKey(file: f, key: "head_dim"))
    }

    func testWrongTypes() {
        let f = "test/config.json"
        assertError(
            with(Self.original20b, "hidden_size", "2880"),
            .wrongType(file: f, key: "hidden_size", expected: "an integer", found: "string"))
        assertError(
            with(Self.original20b, "rope_theta", "big"),
            .wrongType(file: f, key: "rope_theta", expected: "a number", found: "string"))
        assertError(
            with(Self.original20b, "num_attention_heads", true),
            .wrongType(file: f, key: "num_attention_heads", expected: "an integer", found: "boolean"))
        assertError(
            with(Self.hf20b, "rope_scaling", 32),
            .wrongType(file: f, key: "rope_scaling", expected: "an object", found: "number"))
        assertError(
            with(Self.hf20b, "layer_types", "sliding_attention"),
            .wrongType(file: f, key: "layer_types", expected: "an array", found: "string"))
        assertError(
            with(Self.original20b, "hidden_size", 2880.5),
            .invalidValue(file: f, key: "hidden_size", reason: "must be an integer, got 2880.5"))
    }

    func testInconsistentValues() {
        let f = "test/config.json"
        assertError(
            with(Self.original20b, "hidden_size", 2880 + 16),
            .invalidValue(file: f, key: "hidden_size", reason: "MXFP4 experts need a multiple of 32, got 2896"))
        assertError(
            with(Self.original20b, "intermediate_size", 100),
            .invalidValue(file: f, key: "intermediate_size", reason: "MXFP4 experts need a multiple of 32, got 100"))
        assertError(
            with(Self.original20b, "num_key_value_heads", 7),
            .invalidValue(
                file: f, key: "num_key_value_heads",
                reason: "num_attention_heads 64 is not divisible by num_key_value_heads 7"))
        assertError(
            with(Self.original20b, "num_hidden_layers", 0),
            .invalidValue(file: f, key: "num_hidden_layers", reason: "must be in 1...4096, got 0"))
        // refused before the per-layer defaults are built (the fuzzer's 122 222 222 222 222 layers asked for 7e14 bytes)
        assertError(
            with(Self.original20b, "num_hidden_layers", 122_222_222_222_222),
            .invalidValue(
                file: f, key: "num_hidden_layers", reason: "must be in 1...4096, got 122222222222222"))
        assertError(
            with(Self.original20b, "vocab_size", -5),
            .invalidValue(file: f, key: "vocab_size", reason: "must be > 0, got -5"))
        assertError(
            with(Self.original20b, "sliding_window", -1),
            .invalidValue(file: f, key: "sliding_window", reason: "must be ≥ 0, got -1"))
        assertError(
            with(Self.original20b, "experts_per_token", 33),
            .invalidValue(file: f, key: "num_experts_per_tok", reason: "33 selected of only 32 experts"))
        assertError(
            with(Self.original20b, "head_dim", 63),
            .invalidValue(file: f, key: "head_dim", reason: "RoPE needs an even head_dim, got 63"))
        assertError(
            with(Self.hf20b, "layer_types", ["sliding_attention", "full_attention"]),
            .invalidValue(file: f, key: "layer_types", reason: "2 entries for 24 layers"))
        assertError(
            with(Self.hf20b, "layer_types", (0..<24).map { $0 == 5 ? "local" : "full_attention" }),
            .invalidValue(
                file: f, key: "layer_types[5]",
                reason: "unknown layer type 'local' (expected sliding_attention or full_attention)"))
        var rope = Self.hf20b["rope_scaling"] as? [String: Any] ?? [:]
        rope["rope_type"] = "dynamic"
        assertError(
            with(Self.hf20b, "rope_scaling", rope),
            .invalidValue(
                file: f, key: "rope_scaling.rope_type",
                reason: "unsupported RoPE scaling 'dynamic' (gpt-oss uses yarn)"))
        rope["rope_type"] = "yarn"
        rope["beta_fast"] = 0.5
        assertError(
            with(Self.hf20b, "rope_scaling", rope),
            .invalidValue(
                file: f, key: "rope_scaling.beta_fast",
                reason: "need beta_fast > beta_slow > 0, got 0.5, 1.0"))
    }

    func testMalformedFiles() throws {
        XCTAssertThrowsError(try ModelConfig.decode(json: Data("{\"hidden_size\": ".utf8), file: "x.json")) { error in
            guard case .malformed(file: "x.json", _)? = error as? ModelConfigError else {
                return XCTFail("expected malformed, got \(error)")
            }
        }
        XCTAssertThrowsError(try ModelConfig.decode(json: Data("[1, 2]".utf8), file: "x.json")) { error in
            XCTAssertEqual(
                error as? ModelConfigError, .malformed(file: "x.json", reason: "top level is array, expected an object")
            )
        }
        let missing = try TinyModelFixture.temporaryDirectory("noconfig")
        XCTAssertThrowsError(try ModelConfig.load(directory: missing)) { error in
            guard case .unreadable? = error as? ModelConfigError else {
                return XCTFail("expected unreadable, got \(error)")
            }
        }
    }

    /// A bad config.json in a model directory stops `GPTOSSModel.load` with the config error.
    func testLoadReportsConfigErrors() throws {
        let dir = try TinyModelFixture.temporaryDirectory("badconfig")
        try SyntheticModel.write(.tiny, to: dir)
        var d = try XCTUnwrap(
            JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("config.json")))
                as? [String: Any])
        d["num_attention_heads"] = 7
        try JSONSerialization.data(withJSONObject: d).write(to: dir.appendingPathComponent("config.json"))
        XCTAssertThrowsError(try GPTOSSModel.load(directory: dir, backend: TinyModelFixture.backends[0])) { error in
            guard case .invalidValue(_, "num_key_value_heads", _)? = error as? ModelConfigError else {
                return XCTFail("expected heads error, got \(error)")
            }
        }
    }
}
