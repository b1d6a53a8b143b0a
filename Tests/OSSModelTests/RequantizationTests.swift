import BLASBackend
import Foundation
import OSSCore
import OSSFormats
import OSSModel
import XCTest

/// `ModelLoadOptions.requantize`: dense float matrices change dtype once at load, everything else keeps its own,
/// and the logits move by the converted dtype's rounding only.
final class RequantizationTests: XCTestCase {
    /// NMSE Σ(a−b)²/Σb² of two logits rows.
    func nmse(_ a: Tensor, _ b: Tensor) -> Double {
        var num = 0.0
        var den = 0.0
        for i in 0..<b.count {
            let d = Double(a.pointer[i]) - Double(b.pointer[i])
            num += d * d
            den += Double(b.pointer[i]) * Double(b.pointer[i])
        }
        return num / den
    }

    func testGPTOSSAttentionAndUnembeddingBecomeQ8_0() throws {
        let dir = try TinyModelFixture.directory(.original)
        let plain = try ModelLoader.load(path: dir.path, options: ModelLoadOptions(backend: BLASBackend(threads: 1)))
        let q8 = try ModelLoader.load(
            path: dir.path,
            options: ModelLoadOptions(
                backend: BLASBackend(threads: 2), requantize: .q8_0))
        let m = try XCTUnwrap(q8.model as? GPTOSSModel)
        let p = try XCTUnwrap(plain.model as? GPTOSSModel)
        for (l, layer) in m.weights.layers.enumerated() {
            XCTAssertEqual(
                [layer.attention.q, layer.attention.k, layer.attention.v, layer.attention.out].map(\.dtype),
                [.q8_0, .q8_0, .q8_0, .q8_0], "layer \(l)")
            XCTAssertEqual(layer.moe.router.dtype, p.weights.layers[l].moe.router.dtype, "the router keeps its dtype")
            XCTAssertEqual(layer.moe.gateUp.dtype, .mxfp4)
        }
        XCTAssertEqual(m.weights.unembedding.dtype, .q8_0)
        XCTAssertEqual(m.weights.embedding.dtype, p.weights.embedding.dtype, "the gathered embedding keeps its dtype")
        XCTAssertLessThan(q8.footprint.decodeBytesPerToken, plain.footprint.decodeBytesPerToken)
        // Q8_0 rounds each weight to 8 bits of its block's range: logits NMSE ~1e-5, far below what a bug gives.
        let a = try plain.model.prefill(TinyModelFixture.tokens)
        let copyA = Tensor(zeros: [a.count])
        copyA.pointer.update(from: a.pointer, count: a.count)
        let b = try q8.model.prefill(TinyModelFixture.tokens)
        let e = nmse(b, copyA)
        XCTAssertGreaterThan(e, 0, "the conversion changed nothing")
        XCTAssertLessThan(e, 1e-3)
    }

    func testLlamaDenseMatricesBecomeQ8_0AndQuantisedOnesStay() throws {
        let url = try TinyModelFixture.dense(.llamaTiny)
        let q8 = try ModelLoader.load(
            path: url.path,
            options: ModelLoadOptions(
                backend: BLASBackend(threads: 1), requantize: .q8_0))
        let m = try XCTUnwrap(q8.model as? LlamaModel)
        for layer in m.weights.layers {
            XCTAssertEqual(
                Set([layer.q, layer.k, layer.v, layer.out, layer.gate, layer.up, layer.down].map(\.dtype)),
                [.q8_0])
        }
        XCTAssertEqual(m.weights.unembedding.dtype, .q8_0)
        // A Q4_0 file's block matrices are not re-quantised (only float matrices are).
        let q4 = try TinyModelFixture.dense(.llamaTiny, .q4_0)
        let again = try ModelLoader.load(
            path: q4.path,
            options: ModelLoadOptions(
                backend: BLASBackend(threads: 1), requantize: .q8_0))
        let m4 = try XCTUnwrap(again.model as? LlamaModel)
        XCTAssertTrue(m4.weights.layers.allSatisfy { $0.q.dtype == .q4_0 })
    }

    func testRowwiseConversionEqualsEncodingTheDecodedMatrix() throws {
        let values = (0..<(7 * 96)).map { Float(sin(Double($0) * 0.37)) * 3 }
        let bf16 = try WeightTensor.encode(values, shape: [7, 96], dtype: .bf16)
        for target in [DType.q8_0, .q4_0, .f16, .f32] {
            for threads in [1, 3] {
                let converted = try bf16.converted(to: target, threads: threads)
                let direct = try WeightTensor.encode(bf16.decodedArray(), shape: [7, 96], dtype: target)
                XCTAssertEqual(converted.decodedArray(), direct.decodedArray(), "\(target) on \(threads) threads")
            }
        }
        XCTAssertThrowsError(
            try WeightTensor.encode(
                [Float.nan] + Array(values.dropFirst()), shape: [7, 96],
                dtype: .bf16
            ).converted(to: .q8_0))
    }
}
