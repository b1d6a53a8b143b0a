import OSSCore
import XCTest

/// GGUF Q8_0: 34-byte blocks `{ f16 d; i8 qs[32] }`, value = d·q, encoder d = max|x|/127.
final class Q8_0Tests: XCTestCase {
    func testBlockLayoutAndDecode() throws {
        var block = [UInt8](repeating: 0, count: 34)
        let d = Codec.floatToF16(0.25)
        block[0] = UInt8(d & 0xFF); block[1] = UInt8(d >> 8)
        for k in 0..<32 { block[2 + k] = UInt8(bitPattern: Int8(k * 8 - 127)) }
        var out = [Float](repeating: .nan, count: 32)
        block.withUnsafeBytes { b in out.withUnsafeMutableBufferPointer { Codec.decodeQ8_0Block(b.baseAddress!, into: $0.baseAddress!) } }
        for k in 0..<32 { XCTAssertEqual(out[k], 0.25 * Float(k * 8 - 127)) }
        XCTAssertEqual(DType.q8_0.rowBytes(96), 3 * 34)
    }

    func testEncodeDecodeErrorBound() throws {
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
                let block = values[(32 * b)..<(32 * b + 32)]
                let amax = block.map(abs).max()!
                let d = amax / 127
                // |x − q·d₁₆| ≤ d/2 (rounding q) + 127·|d − d₁₆|; d is stored as f16: error ≤ 2^-11 relative,
                // or 2^-25 absolute once d is subnormal in f16 (< 2^-14, here for magnitude 1e-3)
                let bound = d / 2 + 127 * max(d * 0x1p-11, 0x1p-25) * 1.0001
                for k in 0..<32 {
                    XCTAssertLessThanOrEqual(abs(decoded[32 * b + k] - values[32 * b + k]), bound,
                                             "magnitude \(magnitude) block \(b) element \(k)")
                }
                // the largest element maps to ±127
                let stored = w.data.load(fromByteOffset: 34 * b + 2 + block.indices.firstIndex { abs(values[$0]) == amax }! - 32 * b,
                                         as: Int8.self)
                XCTAssertEqual(abs(Int(stored)), 127)
            }
        }
        // an all-zero block decodes to zeros (d = 0, no division by zero)
        XCTAssertEqual(try WeightTensor.encode([Float](repeating: 0, count: 32), shape: [32], dtype: .q8_0).decodedArray(),
                       [Float](repeating: 0, count: 32))
    }
}
