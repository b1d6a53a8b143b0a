import OSSCore
import XCTest

/// MXFP4 (gpt-oss.md §3.3): the 16 E2M1 codes, the E8M0 scale, nibble order and the byte addressing of a
/// `[E, out, in]` stack.
final class MXFP4Tests: XCTestCase {
    /// Codes 0…15 → value, written out from the OCP table (bit 3 = sign, bits 2–1 exponent with bias 1, bit 0 mantissa).
    static let table: [Float] = [0, 0.5, 1, 1.5, 2, 3, 4, 6, -0.0, -0.5, -1, -1.5, -2, -3, -4, -6]

    /// Decodes one group whose 16 bytes are all `byte`, with `scale`.
    func decodeGroup(byte: UInt8, scale: UInt8) -> [Float] {
        let bytes = [UInt8](repeating: byte, count: 16)
        var out = [Float](repeating: .nan, count: 32)
        bytes.withUnsafeBufferPointer { b in
            out.withUnsafeMutableBufferPointer {
                Codec.decodeMXFP4Group(b.baseAddress!, scale: scale, into: $0.baseAddress!)
            }
        }
        return out
    }

    func testAllSixteenCodesIncludingNegativeZero() {
        for code in 0..<16 {
            // low nibble = code, high nibble 0 (+0): element 0 is the code at scale 2^0
            let v = decodeGroup(byte: UInt8(code), scale: 127)
            XCTAssertEqual(v[0], Self.table[code], "code \(code)")
            XCTAssertEqual(v[0].sign, code >= 8 ? .minus : .plus, "code \(code): sign bit")
            XCTAssertEqual(v[1].bitPattern, Float(0).bitPattern, "code \(code): high nibble 0 must be +0")
            // the same code in the high nibble lands in the odd element
            let w = decodeGroup(byte: UInt8(code) << 4, scale: 127)
            XCTAssertEqual(w[1], Self.table[code], "code \(code) high nibble")
            XCTAssertEqual(w[1].sign, code >= 8 ? .minus : .plus, "code \(code) high nibble: sign bit")
        }
        XCTAssertEqual(decodeGroup(byte: 0x08, scale: 127)[0].bitPattern, (-0.0 as Float).bitPattern, "code 8 is −0")
        XCTAssertEqual(Codec.fp4Values.map(\.bitPattern), Self.table.map(\.bitPattern))
    }

    func testByteExampleOfSpec() {
        // gpt-oss.md §3.3: byte 0x2F, scale 126 → elements (−6.0·0.5, 1.0·0.5) = (−3.0, 0.5)
        let v = decodeGroup(byte: 0x2F, scale: 126)
        XCTAssertEqual(v[0], -3.0)
        XCTAssertEqual(v[1], 0.5)
        for j in 0..<16 {
            XCTAssertEqual(v[2 * j], -3.0)
            XCTAssertEqual(v[2 * j + 1], 0.5)
        }
    }

    func testE8M0Decode() {
        XCTAssertEqual(Codec.e8m0ToFloat(127), 1)
        XCTAssertEqual(Codec.e8m0ToFloat(126), 0.5)
        XCTAssertEqual(Codec.e8m0ToFloat(128), 2)
        XCTAssertEqual(Codec.e8m0ToFloat(115), 0x1p-12)
        XCTAssertEqual(Codec.e8m0ToFloat(136), 512)
        XCTAssertEqual(Codec.e8m0ToFloat(1), 0x1p-126)
        XCTAssertEqual(Codec.e8m0ToFloat(0), 0x1p-127, "s = 0 is 2^-127 (subnormal), as ldexp in the reference")
        XCTAssertEqual(Codec.e8m0ToFloat(254), 0x1p127)
        XCTAssertEqual(Codec.e8m0ToFloat(255), .infinity, "s = 255 is 2^128 = +inf, as ldexp in the reference")
        for s in 1...254 {
            XCTAssertEqual(Codec.e8m0ToFloat(UInt8(s)), Float(sign: .plus, exponent: s - 127, significand: 1))
        }
    }

    /// Element (e, o, i) of a `[E, out, in]` stack lives in byte `((e·out + o)·(in/32) + i/32)·16 + (i%32)/2`
    /// (low nibble for even i), its scale at `(e·out + o)·(in/32) + i/32`; `matrix(e)` and `decodeRow` follow it.
    func testElementAndByteAddressing() throws {
        let e = 3
        let out = 5
        let inFeatures = 96
        let groups = inFeatures / 32
        var bytes = [UInt8](repeating: 0, count: e * out * groups * 16)
        var scales = [UInt8](repeating: 0, count: e * out * groups)
        var state: UInt32 = 12345
        for i in bytes.indices {
            state = state &* 1_664_525 &+ 1_013_904_223
            bytes[i] = UInt8(state >> 24)
        }
        for i in scales.indices {
            state = state &* 1_664_525 &+ 1_013_904_223
            scales[i] = 120 + UInt8(state >> 29)
        }
        let storage = WeightStorage(count: bytes.count + scales.count)
        storage.bytes.copyMemory(from: bytes, byteCount: bytes.count)
        (storage.bytes + bytes.count).copyMemory(from: scales, byteCount: scales.count)
        let w = try WeightTensor(
            dtype: .mxfp4, shape: [e, out, inFeatures], data: storage.bytes,
            scales: UnsafePointer((storage.bytes + bytes.count).assumingMemoryBound(to: UInt8.self)),
            owner: storage)
        XCTAssertEqual(w.storedBytes, bytes.count + scales.count)
        var row = [Float](repeating: .nan, count: inFeatures)
        for ei in 0..<e {
            let m = w.matrix(ei)
            for o in 0..<out {
                row.withUnsafeMutableBufferPointer { m.decodeRow(o, into: $0.baseAddress!) }
                for i in 0..<inFeatures {
                    let byte = bytes[((ei * out + o) * groups + i / 32) * 16 + (i % 32) / 2]
                    let code = i % 2 == 1 ? byte >> 4 : byte & 0x0F
                    let scale = scales[(ei * out + o) * groups + i / 32]
                    let want = Self.table[Int(code)] * Float(sign: .plus, exponent: Int(scale) - 127, significand: 1)
                    XCTAssertEqual(row[i].bitPattern, want.bitPattern, "element (\(ei), \(o), \(i))")
                }
            }
        }
    }

    /// Values that are exactly representable (a code times a power of two, with the group maximum at ±6·2^k or
    /// ±4·2^k) survive encode → decode exactly.
    func testEncodeDecodeRoundTripOfRepresentableValues() throws {
        var values = [Float]()
        for g in 0..<4 {
            let scale = Float(sign: .plus, exponent: g - 2, significand: 1)
            for k in 0..<32 { values.append(Self.table[(k * 7 + g) % 16] * scale) }
            values[g * 32 + 5] = 6 * scale  // the group maximum fixes the scale
        }
        let w = try WeightTensor.encode(values, shape: [4, 32], dtype: .mxfp4)
        XCTAssertEqual(w.decodedArray(), values, "round trip (== treats the −0 codes, encoded as +0, as equal)")
    }
}
