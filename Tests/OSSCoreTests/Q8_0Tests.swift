import OSSCore
import XCTest

/// GGUF Q8_0: 34-byte blocks `{ f16 d; i8 qs[32] }`, value = d·q; the encoder never errs more than ggml's d = max|x|/127.
final class Q8_0Tests: XCTestCase {
    func testBlockLayoutAndDecode() throws {
        var block = [UInt8](repeating: 0, count: 34)
        let d = Codec.floatToF16(0.25)
        block[0] = UInt8(d & 0xFF)
        block[1] = UInt8(d >> 8)
        for k in 0..<32 { block[2 + k] = UInt8(bitPattern: Int8(k * 8 - 127)) }
        var out = [Float](repeating: .nan, count: 32)
        block.withUnsafeBytes { b in
            out.withUnsafeMutableBufferPointer { Codec.decodeQ8_0Block(b.baseAddress!, into: $0.baseAddress!) }
        }
        for k in 0..<32 { XCTAssertEqual(out[k], 0.25 * Float(k * 8 - 127)) }
        XCTAssertEqual(DType.q8_0.rowBytes(96), 3 * 34)
    }

    func testEncodeNeverWorseThanGGMLReference() throws {
        var state: UInt64 = 99
        func next() -> Float {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(Int64(bitPattern: state) >> 11) / Float(1 << 52)
        }
        for magnitude: Float in [1e-3, 1, 37, 3000] {
            let values = (0..<(32 * 8)).map { _ in next() * magnitude }
            let w = try WeightTensor.encode(values, shape: [8, 32], dtype: .q8_0)
            let decoded = w.decodedArray()
            for b in 0..<8 {
                let block = Array(values[(32 * b)..<(32 * b + 32)])
                let amax = block.map(abs).max()!
                // ggml's reference choice: d = max|x|/127 stored as f16, q = round(x/d)
                let d = amax / 127
                let dh = Codec.f16ToFloat(Codec.floatToF16(d))
                var reference: Float = 0
                var ours: Float = 0
                for k in 0..<32 {
                    let r = dh * (block[k] / d).rounded(.toNearestOrEven) - block[k]
                    reference += r * r
                    let e = decoded[32 * b + k] - block[k]
                    ours += e * e
                }
                XCTAssertLessThanOrEqual(ours, reference * 1.00001, "magnitude \(magnitude) block \(b)")
                // the largest element lands at the end of the range (the search moves d by well under 1%)
                let big = block.indices.first { abs(block[$0]) == amax }!
                let stored = w.data.load(fromByteOffset: 34 * b + 2 + big, as: Int8.self)
                XCTAssertGreaterThanOrEqual(abs(Int(stored)), 125, "magnitude \(magnitude) block \(b)")
            }
        }
        // an all-zero block decodes to zeros (d = 0, no division by zero)
        XCTAssertEqual(
            try WeightTensor.encode([Float](repeating: 0, count: 32), shape: [32], dtype: .q8_0).decodedArray(),
            [Float](repeating: 0, count: 32))
    }
}
