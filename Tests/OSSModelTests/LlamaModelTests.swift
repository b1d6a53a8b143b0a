import BLASBackend
import Foundation
import OSSCore
import OSSFormats
import XCTest

@testable import OSSModel

/// The dense Llama family (llama, qwen2, qwen3) from GGUF on both backends: logits against a float64 reference,
/// RoPE scaling variants, incremental decode and rewinding.
final class LlamaModelTests: XCTestCase {
    static let tokens: [Int32] = [1, 17, 300, 45, 211, 6, 99, 400, 3, 250, 12]
    static let presets: [SyntheticDensePreset] = [.llamaTiny, .qwenTiny, .qwen3Tiny]

    /// Largest |model − reference| over all positions and logits, the largest |reference|, and the NMSE
    /// Σ(model − reference)² / Σ reference².
    static func maxError(_ model: LlamaModel, tokens: [Int32] = tokens) throws
        -> (error: Double, scale: Double, nmse: Double)
    {
        let logits = try model.forward(tokens: tokens, allLogits: true).toArray()
        let reference = ReferenceLlama.logits(model.config, model.weights, tokens: tokens)
        var error = 0.0
        var scale = 0.0
        var squares = 0.0
        var norm = 0.0
        for (p, row) in reference.enumerated() {
            for (i, r) in row.enumerated() {
                let v = Double(logits[p * model.vocabSize + i])
                XCTAssertTrue(v.isFinite)
                error = max(error, abs(v - r))
                scale = max(scale, abs(r))
                squares += (v - r) * (v - r)
                norm += r * r
            }
        }
        return (error, scale, squares / max(norm, .leastNonzeroMagnitude))
    }

    /// How many of the file's matrices `backend` multiplies with 8-bit activations at `rows` tokens
    /// (`BLASBackend.linearRoundsActivationsToInt8`: the integer GEMVs of Q8_0 and the block types on AVX512-VNNI
    /// CPUs, the block types' 8-bit GEMM tiles); the embedding table counts when it is also the output matrix.
    static func int8Linears(_ url: URL, backend: any Backend, rows: Int) throws -> Int {
        let tensors = try GGUFFile(url: url).tensors
        let tied = !tensors.contains { $0.name == "output.weight" }
        return tensors.filter { tied || $0.name != "token_embd.weight" }.compactMap(\.type.dtype).filter {
            (backend as? BLASBackend)?.linearRoundsActivationsToInt8(dtype: $0, rows: rows) == true
        }.count
    }

    /// Every architecture and weight type, both backends: within float32 rounding of the float64 reference.
    /// Tolerances: weights are decoded exactly by both sides, so only activation rounding differs (float32 sums of
    /// ≤ 128 products: 1e-3 absolute at logits of a few units); the block types' AVX2 GEMVs round activations to 16-bit
    /// fixed point (≤ 2⁻¹⁶ of each block's maximum): 1e-2. Where linears round them to 8 bits (Q8_0 and the block types
    /// on AVX512-VNNI CPUs) the logit NMSE is bounded per such matrix (`QuantizeTests.int8NMSEPerMatrix`).
    func testLogitsMatchTheFloat64Reference() throws {
        for preset in Self.presets {
            // The tiny presets are 64 wide: every type of 32-weight blocks (the K-quants need 256).
            for type in SyntheticModel.denseWeightTypes where type.blockSize <= 32 {
                let url = try TinyModelFixture.dense(preset, type)
                for backend in TinyModelFixture.backends {
                    let model = try LlamaModel.load(gguf: GGUFArchive(url: url), backend: backend)
                    XCTAssertEqual(
                        model.config.architecture.rawValue,
                        preset.rawValue.hasPrefix("llama") ? "llama" : preset == .qwenTiny ? "qwen2" : "qwen3")
                    let (error, scale, nmse) = try Self.maxError(model)
                    XCTAssertGreaterThan(scale, 0.5, "\(preset.rawValue): logits should not be vanishing")
                    let what = "\(preset.rawValue) \(type) \(backend.name)"
                    let int8 = try Self.int8Linears(url, backend: backend, rows: Self.tokens.count)
                    if int8 > 0 {
                        XCTAssertLessThan(
                            nmse, QuantizeTests.int8NMSEPerMatrix * Double(int8),
                            "\(what): \(int8) int8 linears")
                    } else {
                        XCTAssertLessThan(error, type.blockSize > 1 ? 1e-2 : 1e-3, what)
                    }
                }
            }
        }
    }

    /// RoPE scaling from the keys (linear, YaRN, Llama 3) and from `rope_freqs.weight`: the reference agrees, and
    /// each changes the logits.
    func testRopeScalingVariants() throws {
        let base = try TinyModelFixture.dense(.llamaTiny)
        let backend = TinyModelFixture.backends[1]
        let plain = try LlamaModel.load(gguf: GGUFArchive(url: base), backend: backend)
            .forward(tokens: Self.tokens, allLogits: true).toArray()
        let factors: [Float] = (0..<8).map { 1 + Float($0) * 0.75 }
        let variants: [(String, [String: GGUFValue?], [GGUFWriter.Entry], RopeScaling)] = [
            (
                "linear", ["llama.rope.scaling.type": .string("linear"), "llama.rope.scaling.factor": .float32(4)], [],
                .linear(factor: 4)
            ),
            (
                "yarn",
                [
                    "llama.rope.scaling.type": .string("yarn"), "llama.rope.scaling.factor": .float32(4),
                    "llama.rope.scaling.original_context_length": .uint32(512),
                ], [], .yarn(factor: 4, originalContext: 512)
            ),
            (
                "llama3",
                [
                    "llama.rope.scaling.type": .string("llama3"), "llama.rope.scaling.factor": .float32(8),
                    "llama.rope.scaling.original_context_length": .uint32(64),
                ], [],
                .llama3(factor: 8, lowFrequencyFactor: 1, highFrequencyFactor: 4, originalContext: 64)
            ),
            ("freqs", [:], [GGUFWriter.Entry(name: "rope_freqs.weight", values: factors, ne: [8])], .none),
            ("scaled-attn", ["llama.rope.scaling.attn_factor": .float32(1.25)], [], .none),
        ]
        for (name, keys, tensors, expected) in variants {
            let url = try TinyModelFixture.rewrite(base, name: "\(name).gguf", metadata: keys, adding: tensors)
            let model = try LlamaModel.load(gguf: GGUFArchive(url: url), backend: backend)
            XCTAssertEqual(model.config.ropeScaling, expected, name)
            if name == "freqs" { XCTAssertEqual(model.weights.ropeFrequencyFactors, factors) }
            let (error, _, _) = try Self.maxError(model)
            XCTAssertLessThan(error, 1e-3, name)
            model.reset()
            let all = try model.forward(tokens: Self.tokens, allLogits: true).toArray()
            XCTAssertNotEqual(all, plain, "\(name) should change the logits")
        }
        // Baked Llama 3 factors (llama-1b's layout) equal the computed ones.
        let computed = RopeTable.llama3FrequencyFactors(
            headDim: 64, base: 500_000, factor: 32, lowFrequencyFactor: 1,
            highFrequencyFactor: 4, originalContext: 8192)
        XCTAssertEqual(computed.first, 1)
        XCTAssertEqual(computed.last, 32)
        let unsupported = try TinyModelFixture.rewrite(
            base, name: "longrope.gguf", metadata: ["llama.rope.scaling.type": .string("longrope")])
        XCTAssertThrowsError(try LlamaModel.load(gguf: GGUFArchive(url: unsupported), backend: backend)) { error in
            XCTAssertTrue("\(error)".contains("longrope"), "\(error)")
        }
    }

    /// Prefill in chunks, then decode one token at a time: the same logits as one full prefill.
    func testIncrementalDecodeEqualsFullPrefill() throws {
        for preset in Self.presets {
            for backend in TinyModelFixture.backends {
                let url = try TinyModelFixture.dense(preset)
                let full = try LlamaModel.load(gguf: GGUFArchive(url: url), backend: backend)
                    .forward(tokens: Self.tokens, allLogits: true).toArray()
                let model = try LlamaModel.load(
                    gguf: GGUFArchive(url: url), backend: backend, contextLength: 16, prefillChunk: 3)
                var rows = try model.forward(tokens: Array(Self.tokens.prefix(5)), allLogits: true).toArray()
                for t in Self.tokens.dropFirst(5) { rows += try model.decode(t).toArray() }
                XCTAssertEqual(rows.count, full.count)
                let worst = zip(rows, full).map { abs($0 - $1) }.max() ?? 0
                XCTAssertLessThanOrEqual(worst, LogitsAssertions.tolerance, "\(preset.rawValue) \(backend.name)")
                XCTAssertEqual(model.position, Self.tokens.count)
            }
        }
    }

    /// `truncate(to:)` keeps exactly positions `0..<to`: continuing gives a fresh model's logits.
    func testTruncateThenContinueEqualsFresh() throws {
        let backend = TinyModelFixture.backends[0]
        let url = try TinyModelFixture.dense(.qwen3Tiny)
        let model = try LlamaModel.load(gguf: GGUFArchive(url: url), backend: backend, contextLength: 32)
        _ = try model.prefill(Self.tokens)
        try model.truncate(to: 4)
        let continued = try model.prefill([7, 8, 9])
        let fresh = try LlamaModel.load(gguf: GGUFArchive(url: url), backend: backend, contextLength: 32)
        let expected = try fresh.forward(tokens: Array(Self.tokens.prefix(4)) + [7, 8, 9], allLogits: true)
        LogitsAssertions.assertRow(continued, expected, 6, "truncate to 4", LogitsAssertions.tolerance)
        XCTAssertThrowsError(try model.truncate(to: 8)) { error in
            XCTAssertEqual(error as? ModelError, .truncateOutOfRange(to: 8, position: 7))
        }
    }

    /// A K-quant needs rows of 256 weights: the 64-wide presets refuse it by name.
    func testKQuantsNeedWideRows() throws {
        let url = try TinyModelFixture.temporaryDirectory("kquant").appendingPathComponent("k.gguf")
        XCTAssertThrowsError(try SyntheticModel.writeGGUF(.llamaTiny, type: .q4_K, to: url)) { error in
            XCTAssertTrue("\(error)".contains("256"), "\(error)")
        }
    }

    func testTiedEmbeddingsAndContextCap() throws {
        let url = try TinyModelFixture.dense(.qwenTiny)
        let backend = TinyModelFixture.backends[0]
        let model = try LlamaModel.load(gguf: GGUFArchive(url: url), backend: backend)
        XCTAssertTrue(model.config.tiedEmbeddings)
        XCTAssertEqual(model.weights.unembedding.data, model.weights.embedding.data)
        XCTAssertEqual(model.contextLength, 4096)
        XCTAssertThrowsError(try LlamaModel.load(gguf: GGUFArchive(url: url), backend: backend, contextLength: 32_769))
        { error in
            guard case ModelError.invalidParameter(name: "contextLength", _) = error else { return XCTFail("\(error)") }
        }
        let untied = try LlamaModel.load(gguf: GGUFArchive(url: TinyModelFixture.dense(.llamaTiny)), backend: backend)
        XCTAssertFalse(untied.config.tiedEmbeddings)
        XCTAssertEqual(untied.contextLength, 2048)
    }

    /// Missing architecture-specific tensors and unsupported types are named.
    func testMissingTensorsAndUnsupportedTypesAreNamed() throws {
        let backend = TinyModelFixture.backends[0]
        let noNorm = try TinyModelFixture.rewrite(
            TinyModelFixture.dense(.qwen3Tiny), name: "q3.gguf",
            dropping: ["blk.1.attn_k_norm.weight"])
        XCTAssertThrowsError(try LlamaModel.load(gguf: GGUFArchive(url: noNorm), backend: backend)) { error in
            guard case ModelError.missingTensor(name: "blk.1.attn_k_norm.weight", _) = error else {
                return XCTFail("\(error)")
            }
        }
        let noBias = try TinyModelFixture.rewrite(
            TinyModelFixture.dense(.qwenTiny), name: "q2.gguf",
            dropping: ["blk.0.attn_v.bias"])
        XCTAssertThrowsError(try LlamaModel.load(gguf: GGUFArchive(url: noBias), backend: backend)) { error in
            guard case ModelError.missingTensor = error else { return XCTFail("\(error)") }
        }
        // A Q4_K matrix (a type SwiftOSS does not compute with yet) is named with its type.
        let source = try GGUFFile(url: TinyModelFixture.dense(.llamaTiny))
        let target = "blk.0.ffn_up.weight"
        let info = try XCTUnwrap(source.info(target))
        let q4k = GGUFWriter.Entry(name: target, type: .q4_K, ne: [256, info.ne[0] * info.ne[1] / 256]) { _ in }
        let bad = try TinyModelFixture.rewrite(
            TinyModelFixture.dense(.llamaTiny), name: "q4k.gguf", dropping: [target],
            adding: [q4k])
        XCTAssertThrowsError(try LlamaModel.load(gguf: GGUFArchive(url: bad), backend: backend)) { error in
            XCTAssertTrue("\(error)".contains(target), "\(error)")
        }
    }
}

/// The dense presets' block-typed weights are written from the hash without a quantizer: Q8_0 holds exactly the
/// float recipe's values `(b − 128)·2^−shift`, the Q4 and Q5 types b rounded to a multiple of 16 or 8.
final class SyntheticBlockTests: XCTestCase {
    func testNativeBlocksDecodeToTheRecipe() throws {
        let f32 = try LlamaModel.load(
            gguf: GGUFArchive(url: TinyModelFixture.dense(.llamaTiny)),
            backend: TinyModelFixture.backends[0])
        let reference = f32.weights.layers[1].down.decodedArray()
        let unit = reference.lazy.filter { $0 != 0 }.map { abs($0) }.min()!  // 2^−shift
        for (type, bits) in [(GGMLType.q8_0, 8), (.q4_0, 4), (.q4_1, 4), (.q5_0, 5), (.q5_1, 5)] {
            let model = try LlamaModel.load(
                gguf: GGUFArchive(url: TinyModelFixture.dense(.llamaTiny, type)),
                backend: TinyModelFixture.backends[0])
            let w = model.weights.layers[1].down
            XCTAssertEqual(w.dtype, type.dtype)
            let expected = reference.map { v -> Float in
                let b = Int((v / unit).rounded()) + 128
                guard bits < 8 else { return v }
                let q = min((1 << bits) - 1, (b + (1 << (7 - bits))) >> (8 - bits))
                return Float(q - (1 << (bits - 1))) * unit * Float(1 << (8 - bits))
            }
            let decoded = w.decodedArray()
            XCTAssertEqual(decoded.count, expected.count)
            XCTAssertEqual(zip(decoded, expected).filter { $0 != $1 }.count, 0, "\(type): elements that differ")
            // Unbiased: the mean weight stays near the float recipe's.
            let mean = decoded.reduce(0, +) / Float(decoded.count)
            let referenceMean = reference.reduce(0, +) / Float(decoded.count)
            XCTAssertEqual(mean, referenceMean, accuracy: 2 * unit, "\(type)")
        }
    }
}
