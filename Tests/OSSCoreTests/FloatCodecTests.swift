import OSSCore
import XCTest

/// bf16 and f16 scalar codecs: exact round trips, round to nearest even, NaN handling.
final class FloatCodecTests: XCTestCase {
    func testBF16RoundTripOfEveryRepresentableValue() {
        for bits in 0...0xFFFF {
            let b = UInt16(bits)
            let f = Codec.bf16ToFloat(b)
            XCTAssertEqual(f.bitPattern, UInt32(b) << 16, "decode is bits << 16")
            if f.isNaN {
                XCTAssertTrue(Codec.bf16ToFloat(Codec.floatToBF16(f)).isNaN, "NaN 0x\(String(b, radix: 16)) stays NaN")
            } else if Codec.floatToBF16(f) != b {
                XCTFail(
                    "bf16 0x\(String(b, radix: 16)) = \(f) re-encodes as 0x\(String(Codec.floatToBF16(f), radix: 16))")
            }
        }
    }

    func testBF16RoundsToNearestEven() {
        // 1 + 2^-8 is halfway between bf16 1.0 (0x3F80, even) and 1.0078125 (0x3F81): ties go to even 0x3F80
        XCTAssertEqual(Codec.floatToBF16(1 + 0x1p-8), 0x3F80)
        // 1.0078125 + 2^-8 is halfway between 0x3F81 (odd) and 0x3F82 (even): goes up to 0x3F82
        XCTAssertEqual(Codec.floatToBF16(1.0078125 + 0x1p-8), 0x3F82)
        // just above / below the halfway point
        XCTAssertEqual(Codec.floatToBF16(Float(bitPattern: 0x3F80_8001)), 0x3F81)
        XCTAssertEqual(Codec.floatToBF16(Float(bitPattern: 0x3F80_7FFF)), 0x3F80)
        XCTAssertEqual(Codec.floatToBF16(-(1 + 0x1p-8)), 0xBF80)
        // the largest finite value below the bf16 maximum's rounding boundary rounds to +inf only past it
        XCTAssertEqual(Codec.floatToBF16(.greatestFiniteMagnitude), 0x7F80, "rounds up to +inf (nearest even)")
        XCTAssertEqual(Codec.floatToBF16(Float(bitPattern: 0x7F7F_7FFF)), 0x7F7F)
        XCTAssertEqual(Codec.floatToBF16(.infinity), 0x7F80)
        XCTAssertEqual(Codec.floatToBF16(-.infinity), 0xFF80)
        XCTAssertEqual(Codec.floatToBF16(-0.0), 0x8000)
    }

    func testBF16NaNStaysNaN() {
        // payloads only in the low 16 bits would truncate to infinity; they must stay NaN
        for bits: UInt32 in [0x7FC0_0000, 0x7F80_0001, 0xFF80_0001, 0x7F80_FFFF, 0x7FFF_FFFF] {
            let f = Float(bitPattern: bits)
            XCTAssertTrue(Codec.bf16ToFloat(Codec.floatToBF16(f)).isNaN, "0x\(String(bits, radix: 16))")
        }
    }

    func testBF16MatchesRoundingInDouble() {
        // every 997th float bit pattern: the result is the nearest bf16, ties to even, checked independently
        var bits: UInt32 = 0
        while bits < 0x7F7F_0000 {
            let f = Float(bitPattern: bits)
            let low = Float(bitPattern: bits & 0xFFFF_0000)
            let high = Float(bitPattern: (bits & 0xFFFF_0000) &+ 0x1_0000)
            let dl = Double(f) - Double(low)
            let dh = Double(high) - Double(f)
            let lowIsEven = (bits >> 16) & 1 == 0
            let want: Float = dl < dh ? low : (dh < dl ? high : (lowIsEven ? low : high))
            XCTAssertEqual(Codec.bf16ToFloat(Codec.floatToBF16(f)), want, "0x\(String(bits, radix: 16))")
            bits &+= 997 * 4099
        }
    }

    func testF16RoundTripOfEveryRepresentableValue() {
        for bits in 0...0xFFFF {
            let b = UInt16(bits)
            let f = Codec.f16ToFloat(b)
            if f.isNaN {
                XCTAssertTrue(Codec.f16ToFloat(Codec.floatToF16(f)).isNaN)
            } else {
                XCTAssertEqual(Codec.floatToF16(f), b, "f16 0x\(String(b, radix: 16)) = \(f)")
            }
        }
        XCTAssertEqual(Codec.f16ToFloat(0x3C00), 1)
        XCTAssertEqual(Codec.f16ToFloat(0xC000), -2)
        XCTAssertEqual(Codec.f16ToFloat(0x7BFF), 65504)
        XCTAssertEqual(Codec.f16ToFloat(0x0001), 0x1p-24, "smallest subnormal")
        // 1 + 2^-11 is halfway between 1 and 1 + 2^-10: ties to even (1.0)
        XCTAssertEqual(Codec.floatToF16(1 + 0x1p-11), 0x3C00)
        XCTAssertEqual(Codec.floatToF16(1 + 0x1p-10 + 0x1p-11), 0x3C02)
        XCTAssertEqual(Codec.floatToF16(1e6), 0x7C00, "overflow to +inf")
    }

    /// f32/f16/bf16 weights survive `encode` → `decodeRow` exactly when the values are representable.
    func testPlainWeightEncodeDecode() throws {
        let values: [Float] = [0, -0.5, 1.5, -3, 0.15625, 96, -2048, 1 + 0x1p-7, 3.25, -0x1p-10, 7, 0.75]
        for dtype in [DType.f32, .f16, .bf16] {
            let w = try WeightTensor.encode(values, shape: [3, 4], dtype: dtype)
            XCTAssertEqual(w.decodedArray(), values, "\(dtype)")
            XCTAssertEqual(w.rowBytes, 4 * dtype.bytesPerBlock)
        }
        // f32 is exact for any value
        let arbitrary: [Float] = [0.1, -1e-30, 3.14159265, 1e30]
        XCTAssertEqual(try WeightTensor.encode(arbitrary, shape: [4], dtype: .f32).decodedArray(), arbitrary)
    }
}
