import BLASBackend
import Foundation
import OSSCore
import OSSFormats
import XCTest

@testable import OSSModel

/// `GGUFQuantizer` (`oss quantize`): llama.cpp's per-tensor mixes, exact bytes, metadata, typed errors, and the
/// quantized models running on both backends.
final class QuantizeTests: XCTestCase {
    /// `preset` (F32 matrices) quantized to `type`, written once per test process.
    private static let lock = NSLock()
    nonisolated(unsafe) private static var written: [String: URL] = [:]

    static func quantized(_ type: QuantizationType, _ preset: SyntheticDensePreset = .llamaSmall) throws -> URL {
        lock.lock()
        defer { lock.unlock() }
        let key = "\(preset.rawValue)-\(type.rawValue)"
        if let url = written[key] { return url }
        let source = try TinyModelFixture.dense(preset, .f32)
        let url = try TinyModelFixture.temporaryDirectory("quantize").appendingPathComponent("\(key).gguf")
        _ = try GGUFQuantizer.quantize(GGUFArchive(url: source), to: url, type: type, threads: 2)
        written[key] = url
        return url
    }

    /// The llama.cpp rules on `llama-small` (8 layers: `use_more_bits` holds for layers 0, 3, 6, 7): norms stay F32,
    /// the untied output is Q6_K, attn_v / ffn_down of those layers Q6_K in the `_m` mixes, Q5_K in the first four
    /// attn_v and the first layer's ffn_down for q4_k (llama.cpp's Q4_K_S).
    func testMixesFollowLlamaCppRules() throws {
        let moreBits: Set<Int> = [0, 3, 6, 7]
        for type in QuantizationType.allCases {
            let file = try GGUFFile(url: try Self.quantized(type))
            for info in file.tensors {
                let name = info.name
                let layer = QuantizationType.layer(of: name)
                var expected = type.baseType
                if info.ne.count == 1 {
                    expected = .f32
                } else if name == "output.weight" {
                    expected = type == .q8_0 ? .q8_0 : .q6_K
                } else if name.hasSuffix("attn_v.weight") || name.hasSuffix("ffn_down.weight"), let layer {
                    let v = name.hasSuffix("attn_v.weight")
                    if (type == .q4_k_m || type == .q5_k_m) && moreBits.contains(layer) { expected = .q6_K }
                    if type == .q4_k && (v ? layer < 4 : layer < 1) { expected = .q5_K }
                }
                XCTAssertEqual(info.type, expected, "\(type.rawValue): \(name)")
            }
        }
        XCTAssertEqual((0..<8).filter { QuantizationType.useMoreBits($0, 8) }, [0, 3, 6, 7])
        XCTAssertEqual((0..<16).filter { QuantizationType.useMoreBits($0, 16) }, [0, 1, 4, 7, 10, 13, 14, 15])
        // rows that are not whole blocks fall back as in llama.cpp
        XCTAssertEqual(QuantizationType.fallback(.q4_K, rowLength: 96), .q5_0)
        XCTAssertEqual(QuantizationType.fallback(.q5_K, rowLength: 2880), .q5_1)
        XCTAssertEqual(QuantizationType.fallback(.q6_K, rowLength: 64), .q8_0)
        XCTAssertEqual(QuantizationType.fallback(.q4_0, rowLength: 48), .f16)
        // a tied embedding is the output matrix
        let tied = QuantizationType.q4_k_m.plan(
            tensors: [("token_embd.weight", [256, 512]), ("blk.0.ffn_up.weight", [256, 512])], layers: 1)
        XCTAssertEqual(tied, [.q6_K, .q4_K])
    }

    /// Every written matrix holds exactly the bytes the row encoder makes from the source's values; the rest is
    /// copied; metadata keeps its order and values, with the file type and quantization version set.
    func testBytesAndMetadata() throws {
        let source = try GGUFFile(url: try TinyModelFixture.dense(.llamaSmall, .f32))
        let file = try GGUFFile(url: try Self.quantized(.q4_k_m))
        XCTAssertEqual(file.tensors.map(\.name), source.tensors.map(\.name))
        for info in file.tensors {
            let src = try source.weight(info.name)
            let raw = try file.rawBytes(info.name)
            guard let dtype = info.type.dtype, dtype != src.dtype else {
                XCTAssertEqual(Array(raw), Array(try source.rawBytes(info.name)), info.name)
                continue
            }
            let n = src.inFeatures
            let rowBytes = dtype.rowBytes(n)
            var row = [Float](repeating: 0, count: n)
            var expected = [UInt8](repeating: 0, count: rowBytes)
            for r in [0, src.shape.rows / 2, src.shape.rows - 1] {
                row.withUnsafeMutableBufferPointer { src.decodeRow(r, into: $0.baseAddress!) }
                expected.withUnsafeMutableBytes { out in
                    row.withUnsafeBufferPointer { dtype.encodeRow($0.baseAddress!, count: n, into: out.baseAddress!) }
                }
                XCTAssertEqual(Array(raw[(r * rowBytes)..<((r + 1) * rowBytes)]), expected, "\(info.name) row \(r)")
            }
        }
        XCTAssertEqual(file.metadata["general.file_type"], .uint32(15))
        XCTAssertEqual(file.metadata["general.quantization_version"], .uint32(2))
        let kept = source.metadataKeys.filter { $0 != "general.file_type" && $0 != "general.quantization_version" }
        XCTAssertEqual(file.metadataKeys.filter { kept.contains($0) }, kept)
        for key in kept { XCTAssertEqual(file.metadata[key], source.metadata[key], key) }
    }

    /// Logit NMSE against the float64 reference allowed per matrix whose linear rounds its activations to 8 bits (the
    /// integer GEMVs of Q8_0 and the block types on AVX512-VNNI CPUs, `BLASBackend.linearRoundsActivationsToInt8`,
    /// `Tolerance.linearInt8`): each such linear adds about 5e-5 on this model's activations (heavier-tailed than the
    /// conformance suite's uniform ones: 4.8–5.5e-5 measured with the Q6_K output matrix alone, in the Q4_0 … Q5_1
    /// files), and they add up (the 57 of the K-quant files: 3.0–3.2e-3, a quarter of Q6_K's weight error against
    /// F32, below); 1.5e-4 each leaves about 3×.
    static let int8NMSEPerMatrix = 1.5e-4

    /// Every type loads and runs on both backends: logits within the fixed-point tolerance of the float64 reference
    /// computed from the quantized (decoded) weights (or `int8NMSEPerMatrix` where K-quant matrices meet 8-bit
    /// activations), and near the F32 model's by the quantization error itself. The synthetic weights are uniform (the
    /// worst case for a uniform grid: relative RMS error ≈ 1/levels) and 8 layers compound it; measured logit NMSE
    /// against F32: Q8_0 3e-4, Q6_K 1.1e-2, 5-bit 3.4–4.5e-2, 4-bit 0.14–0.22. Bounds at about 2× those, and more bits
    /// must come closer within each family.
    func testEveryTypeRunsOnBothBackends() throws {
        let tokens = LlamaModelTests.tokens
        let float = try LlamaModel.load(
            gguf: GGUFArchive(url: TinyModelFixture.dense(.llamaSmall, .f32)),
            backend: TinyModelFixture.backends[1])
        let reference = try float.forward(tokens: tokens, allLogits: true).toArray()
        var nmse: [QuantizationType: Double] = [:]
        for type in QuantizationType.allCases {
            let url = try Self.quantized(type)
            for backend in TinyModelFixture.backends {
                let model = try LlamaModel.load(gguf: GGUFArchive(url: url), backend: backend)
                let (error, scale, nmseReference) = try LlamaModelTests.maxError(model, tokens: tokens)
                XCTAssertGreaterThan(scale, 0.5, "\(type.rawValue)")
                let int8 = try LlamaModelTests.int8Linears(url, backend: backend, rows: tokens.count)
                if int8 > 0 {
                    XCTAssertLessThan(
                        nmseReference, Self.int8NMSEPerMatrix * Double(int8),
                        "\(type.rawValue) \(backend.name): against the float64 reference, \(int8) int8 linears")
                } else {
                    XCTAssertLessThan(error, 1e-2, "\(type.rawValue) \(backend.name): against the float64 reference")
                }
                model.reset()
                let logits = try model.forward(tokens: tokens, allLogits: true).toArray()
                var num = 0.0
                var den = 0.0
                for (a, b) in zip(logits, reference) {
                    num += Double(a - b) * Double(a - b)
                    den += Double(b) * Double(b)
                }
                nmse[type] = num / den
                let bound =
                    [.q4_0, .q4_1, .q4_k, .q4_k_m].contains(type)
                    ? 0.45
                    : [.q5_0, .q5_1, .q5_k, .q5_k_m].contains(type) ? 0.1 : type == .q6_k ? 2.5e-2 : 1e-3
                XCTAssertLessThan(num / den, bound, "\(type.rawValue) \(backend.name): against the F32 model")
            }
        }
        let pairs: [(QuantizationType, QuantizationType)] = [
            (.q5_0, .q4_0), (.q5_1, .q4_1), (.q8_0, .q5_0), (.q5_k, .q4_k),
            (.q6_k, .q5_k), (.q5_k_m, .q4_k_m), (.q4_k_m, .q4_k),
        ]
        for (more, fewer) in pairs {
            XCTAssertLessThan(
                nmse[more]!, nmse[fewer]!, "\(more.rawValue) should be closer to F32 than \(fewer.rawValue)")
        }
    }

    /// A tensor already quantized is not quantized again without `allowRequantize`; with it, it is.
    func testRequantizeNeedsPermission() throws {
        let source = try GGUFArchive(url: try Self.quantized(.q8_0))
        let out = try TinyModelFixture.temporaryDirectory("requantize").appendingPathComponent("q4.gguf")
        XCTAssertThrowsError(try GGUFQuantizer.quantize(source, to: out, type: .q4_0, threads: 2)) { error in
            guard case .requantize(_, _, "Q8_0", "Q4_0")? = error as? QuantizeError else {
                return XCTFail("expected QuantizeError.requantize, got \(error)")
            }
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path))
        let report = try GGUFQuantizer.quantize(source, to: out, type: .q4_0, threads: 2, allowRequantize: true)
        XCTAssertTrue(report.tensors.contains { $0.from == .q8_0 && $0.to == .q4_0 })
    }

    /// A NaN in a source matrix is a typed error naming the tensor, row and column; nothing is written.
    func testNonFiniteSourceValues() throws {
        var values = [Float](repeating: 0.5, count: 256 * 3)
        values[256 + 17] = .nan
        let source = try TinyModelFixture.rewrite(
            try TinyModelFixture.dense(.llamaSmall, .f32), name: "nan.gguf",
            adding: [GGUFWriter.Entry(name: "extra.weight", values: values, ne: [256, 3])])
        let out = try TinyModelFixture.temporaryDirectory("nan").appendingPathComponent("q.gguf")
        XCTAssertThrowsError(try GGUFQuantizer.quantize(GGUFArchive(url: source), to: out, type: .q4_k_m, threads: 2)) {
            XCTAssertEqual(
                $0 as? QuantizeError,
                .tensor(file: source.path, tensor: "extra.weight", reason: "row 1 holds nan at column 17"))
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path))
    }

    /// A gpt-oss safetensors checkpoint (both layouts) becomes a llama.cpp gpt-oss GGUF: its MXFP4 experts need
    /// `allowRequantize`; every tensor is byte for byte what quantizing the synthetic GGUF of the same weights
    /// (`SyntheticModel.writeGGUF`, the llama.cpp layout) gives, in the same names and order; the file loads through
    /// ModelLoader and its logits follow the checkpoint's (Q8_0 of BF16 and of MXFP4 experts, whose small E2M1 codes
    /// round by up to 4%: logits NMSE measured 9.8e-4 on the tiny model, bound 3e-3).
    func testGPTOSSCheckpointToGGUF() throws {
        let fromSynthetic = try TinyModelFixture.temporaryDirectory("checkpoint")
            .appendingPathComponent("synthetic.gguf")
        _ = try GGUFQuantizer.quantize(
            GGUFArchive(url: TinyModelFixture.gguf()), to: fromSynthetic, type: .q8_0,
            threads: 2, allowRequantize: true)
        let expected = try GGUFFile(url: fromSynthetic)
        for layout in [CheckpointLayout.original, .huggingFace] {
            let dir = try TinyModelFixture.directory(layout)
            let out = try TinyModelFixture.temporaryDirectory("checkpoint").appendingPathComponent("tiny-q8.gguf")
            XCTAssertThrowsError(try GGUFQuantizer.quantize(checkpoint: dir, to: out, type: .q8_0, threads: 2)) {
                guard case .requantize(_, _, "MXFP4", _)? = $0 as? QuantizeError else { return XCTFail("\($0)") }
            }
            _ = try GGUFQuantizer.quantize(checkpoint: dir, to: out, type: .q8_0, threads: 2, allowRequantize: true)
            let file = try GGUFFile(url: out)
            XCTAssertEqual(file.metadata["general.architecture"], .string("gpt-oss"))
            XCTAssertEqual(file.tensors.map(\.name), expected.tensors.map(\.name), layout.rawValue)
            for info in file.tensors {
                XCTAssertEqual(info.type, expected.info(info.name)?.type, "\(layout.rawValue) \(info.name)")
                XCTAssertEqual(
                    Array(try file.rawBytes(info.name)), Array(try expected.rawBytes(info.name)),
                    "\(layout.rawValue) \(info.name)")
            }
            let options = ModelLoadOptions(backend: TinyModelFixture.backends[1])
            let a = try ModelLoader.load(path: out.path, options: options).model
                .forward(tokens: TinyModelFixture.tokens, allLogits: true).toArray()
            let b = try ModelLoader.load(path: dir.path, options: options).model
                .forward(tokens: TinyModelFixture.tokens, allLogits: true).toArray()
            var num = 0.0
            var den = 0.0
            for (x, y) in zip(a, b) {
                num += Double(x - y) * Double(x - y)
                den += Double(y) * Double(y)
            }
            XCTAssertLessThan(num / den, 3e-3, "\(layout.rawValue)")
        }
    }
}
