import BLASBackend
import Foundation
import OSSCore
import OSSFormats
import SwiftBackend
import XCTest

@testable import OSSModel

/// `KVCacheType.f16`: the cache holds halves (half the bytes), keys and values are rounded to nearest even when
/// stored, and the logits move by that rounding only, through prefill, chunked prefill, decode across ring-buffer
/// wraps, new instances and batches, on both backends and both model families.
final class KVCacheTypeTests: XCTestCase {
    /// NMSE Σ(a−b)²/Σb² of two equally long logits buffers.
    func nmse(_ a: [Float], _ b: [Float]) -> Double {
        var num = 0.0
        var den = 0.0
        for i in b.indices {
            let d = Double(a[i]) - Double(b[i])
            num += d * d
            den += Double(b[i]) * Double(b[i])
        }
        return num / den
    }

    /// Prompt of 5, then decode to the end (the tiny gpt-oss window of 4 wraps its rings): every position's logits.
    func incremental(_ model: any LanguageModel, _ tokens: [Int32]) throws -> [Float] {
        var rows = try model.prefill(Array(tokens[0..<5])).toArray()
        for t in tokens[5...] { rows += try model.decode(t).toArray() }
        return rows
    }

    func testHalfTensorRoundsToNearestEven() {
        let h = HalfTensor(zeros: [2, 4])
        let values: [Float] = [1.0 / 3.0, 1 + 1.0 / 2048, 1 + 3.0 / 2048, 70000, -2.5, 6e-8, -0.0, .nan]
        values.withUnsafeBufferPointer { h.store($0.baseAddress!, count: 8, at: 0) }
        XCTAssertEqual(h.float(at: 0), 0.333251953125)  // 0x3555
        XCTAssertEqual(h.float(at: 1), 1, "a tie rounds to the even mantissa")
        XCTAssertEqual(h.float(at: 2), 1 + 2.0 / 1024, "a tie rounds to the even mantissa")
        XCTAssertEqual(h.float(at: 3), .infinity, "beyond 65504 a half is infinite")
        XCTAssertEqual(h.float(at: 4), -2.5)
        XCTAssertEqual(h.float(at: 5), Float(Float16(bitPattern: 1)), "the smallest subnormal")
        XCTAssertEqual(h.pointer[6], 0x8000)
        XCTAssertTrue(h.float(at: 7).isNaN)
    }

    func testGPTOSSLogitsMoveByTheRoundingOnly() throws {
        let dir = try TinyModelFixture.directory(.original)
        let tokens = TinyModelFixture.tokens
        for backend in TinyModelFixture.backends {
            let f32 = try GPTOSSModel.load(directory: dir, backend: backend, contextLength: 16, prefillChunk: 3)
            let f16 = try GPTOSSModel.load(
                directory: dir, backend: backend, contextLength: 16, prefillChunk: 3, kvCache: .f16)
            XCTAssertEqual(f16.cache.type, .f16)
            XCTAssertEqual(2 * f16.cache.bytes, f32.cache.bytes, "halves take half the bytes")
            XCTAssertLessThan(f16.cache.layers[0].rows, 12, "the sliding layer's ring wraps within the tokens")
            let chunked32 = try f32.forward(tokens: tokens, allLogits: true).toArray()
            let chunked16 = try f16.forward(tokens: tokens, allLogits: true).toArray()
            let e = nmse(chunked16, chunked32)
            XCTAssertGreaterThan(e, 0, "\(backend.name): the halves changed nothing")
            XCTAssertLessThan(e, 1e-5, "\(backend.name): chunked prefill")
            f32.reset()
            f16.reset()
            let step32 = try incremental(f32, tokens)
            let step16 = try incremental(f16, tokens)
            XCTAssertLessThan(nmse(step16, step32), 1e-5, "\(backend.name): prefill then decode")
            // an instance keeps the type; its logits are the first instance's
            let other = try f16.makeInstance()
            XCTAssertEqual(other.cache.type, .f16)
            XCTAssertEqual(try incremental(other, tokens), step16, "\(backend.name): makeInstance")
        }
    }

    func testLlamaLogitsMoveByTheRoundingOnlyAndBatchesKeepTheType() throws {
        let url = try TinyModelFixture.dense(.llamaTiny)
        let vocab = Int32(try SyntheticDensePreset.llamaTiny.config.vocabSize)
        let tokens = TinyModelFixture.tokens.map { $0 % vocab }
        for backend in TinyModelFixture.backends {
            let load = { (type: KVCacheType) in
                try ModelLoader.load(
                    path: url.path, options: ModelLoadOptions(backend: backend, contextLength: 16, kvCache: type)
                ).model
            }
            let f32 = try load(.f32)
            let f16 = try load(.f16)
            let a = try incremental(f32, tokens)
            let b = try incremental(f16, tokens)
            let e = nmse(b, a)
            XCTAssertGreaterThan(e, 0, "\(backend.name): the halves changed nothing")
            XCTAssertLessThan(e, 1e-5, "\(backend.name)")
            // a batch of one over the F16 model gives the F16 model's logits
            let batch = try ModelBatch(model: f16, slots: 1, maxStepRows: 5)
            XCTAssertEqual(2 * batch.cacheBytes, try ModelBatch(model: f32, slots: 1, maxStepRows: 5).cacheBytes)
            var rows = try batch.step([BatchEntry(slot: 0, tokens: tokens[0..<5])]).toArray()
            for t in tokens[5...] { rows += try batch.step([BatchEntry(slot: 0, tokens: [t])]).toArray() }
            XCTAssertLessThan(nmse(rows, b), 1e-10, "\(backend.name): batch")
        }
    }

    /// Mismatched F16 cache shapes are a `BackendError` naming the op on both backends.
    func testBadF16CacheShapesAreErrors() {
        let q = Tensor(zeros: [1, 16])
        let out = Tensor(zeros: [1, 16])
        let params = AttentionParams(heads: 2, kvHeads: 1, headDim: 8, scale: 0.3, firstPosition: 0)
        for backend in TinyModelFixture.backends {
            for (k, v) in [([4, 9], [4, 8]), ([4, 8], [3, 8])] {
                XCTAssertThrowsError(
                    try backend.attention(
                        q: q, keys: HalfTensor(zeros: Shape(k)), values: HalfTensor(zeros: Shape(v)), sinks: nil,
                        params: params, out: out)
                ) { error in
                    XCTAssertTrue("\(error)".contains("attention"), "\(backend.name): \(error)")
                }
            }
        }
    }
}
