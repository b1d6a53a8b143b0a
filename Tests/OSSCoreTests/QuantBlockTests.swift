import OSSCore
import XCTest

/// The GGUF 4/5/6-bit block types: decoders against blocks written byte by byte from ggml's layouts (every 6-bit
/// scale/min packing position of Q4_K/Q5_K included), and the quantizers' error against ggml's reference choices.
final class QuantBlockTests: XCTestCase {
    private func decode(_ dtype: DType, _ bytes: [UInt8]) throws -> [Float] {
        XCTAssertEqual(bytes.count, dtype.bytesPerBlock)
        let store = WeightStorage(count: bytes.count)
        store.bytes.copyMemory(from: bytes, byteCount: bytes.count)
        return try WeightTensor(dtype: dtype, shape: [dtype.blockSize], data: store.bytes, owner: store).decodedArray()
    }

    private func f16(_ v: Float) -> [UInt8] {
        let h = Codec.floatToF16(v)
        return [UInt8(h & 0xFF), UInt8(h >> 8)]
    }

    private func u32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }

    func testLegacyBlocks() throws {
        // qs[j] = low nibble j, high nibble 15 − j: element k < 16 is k, element 16 + k is 15 − k
        let qs = (0..<16).map { UInt8($0) | UInt8(15 - $0) << 4 }
        let nibble = (0..<32).map { $0 < 16 ? $0 : 31 - $0 }
        let qh: UInt32 = 0xA5C3_0F81  // bits 0, 7, 8–11, 16, 17, 22, 23, 24, 26, 29, 31
        let fifth = (0..<32).map { Int((qh >> UInt32($0)) & 1) << 4 }
        XCTAssertEqual(try decode(.q4_0, f16(0.5) + qs), nibble.map { 0.5 * Float($0 - 8) })
        XCTAssertEqual(try decode(.q4_1, f16(0.25) + f16(-1.25) + qs), nibble.map { 0.25 * Float($0) - 1.25 })
        XCTAssertEqual(
            try decode(.q5_0, f16(2) + u32(qh) + qs),
            (0..<32).map { 2 * Float(nibble[$0] + fifth[$0] - 16) })
        XCTAssertEqual(
            try decode(.q5_1, f16(0.125) + f16(3) + u32(qh) + qs),
            (0..<32).map { 0.125 * Float(nibble[$0] + fifth[$0]) + 3 })
    }

    /// Sub-block scales and mins using all six bits, with distinct low and high parts in every slot.
    private let sc: [Int] = [63, 1, 42, 21, 48, 15, 33, 62]
    private let mins: [Int] = [0, 61, 7, 56, 31, 45, 9, 50]

    /// The 12 packed bytes written from the rules of gguf.md §3 (j < 4: b[j] = sc | (sc_{j+4} >> 4) << 6,
    /// b[j+4] = m | (m_{j+4} >> 4) << 6; b[j+8] = (sc_{j+4} & 15) | (m_{j+4} & 15) << 4).
    private var packedScales: [UInt8] {
        var b = [UInt8](repeating: 0, count: 12)
        for j in 0..<4 {
            b[j] = UInt8(sc[j] | (sc[j + 4] >> 4) << 6)
            b[j + 4] = UInt8(mins[j] | (mins[j + 4] >> 4) << 6)
            b[j + 8] = UInt8((sc[j + 4] & 15) | (mins[j + 4] & 15) << 4)
        }
        return b
    }

    func testKQuantScalePacking() throws {
        let b = packedScales
        // spot values worked out by hand: b[0] = 63 | (48 >> 4) << 6 = 255, b[8] = (48 & 15) | (31 & 15) << 4 = 240
        XCTAssertEqual(b[0], 255)
        XCTAssertEqual(b[7], UInt8(56 | (50 >> 4) << 6))
        XCTAssertEqual(b[8], 240)
        b.withUnsafeBytes { raw in
            for j in 0..<8 {
                let (s, m) = KQuant.scaleMin(raw.baseAddress!, j)
                XCTAssertEqual(Int(s), sc[j], "scale of sub-block \(j)")
                XCTAssertEqual(Int(m), mins[j], "min of sub-block \(j)")
            }
            var repacked = [UInt8](repeating: 0, count: 12)
            repacked.withUnsafeMutableBytes {
                KQuant.packScaleMins(sc.map(UInt8.init), mins.map(UInt8.init), into: $0.baseAddress!)
            }
            XCTAssertEqual(repacked, b)
        }
    }

    func testQ4KAndQ5KBlocks() throws {
        // qs[32c + l] = low nibble (l + c) % 16 (element 64c + l), high nibble (l + 3c) % 16 (element 64c + 32 + l)
        var qs = [UInt8](repeating: 0, count: 128)
        for c in 0..<4 {
            for l in 0..<32 { qs[32 * c + l] = UInt8((l + c) % 16) | UInt8((l + 3 * c) % 16) << 4 }
        }
        func nibble(_ k: Int) -> Int {
            let c = k / 64
            let l = k % 32
            return k % 64 < 32 ? (l + c) % 16 : (l + 3 * c) % 16
        }
        // qh[l]: bit j set when (l + j) is odd, the fifth bit of element 32j + l
        let qh = (0..<32).map { l in UInt8((0..<8).reduce(0) { $0 | ((l + $1) % 2) << $1 }) }
        let d: Float = 0.0625
        let dmin: Float = 0.5
        let q4 = try decode(.q4_K, f16(d) + f16(dmin) + packedScales + qs)
        let q5 = try decode(.q5_K, f16(d) + f16(dmin) + packedScales + qh + qs)
        for k in 0..<256 {
            let j = k / 32
            let d1 = d * Float(sc[j])
            let m1 = dmin * Float(mins[j])
            XCTAssertEqual(q4[k], d1 * Float(nibble(k)) - m1, "q4_K element \(k)")
            let q = nibble(k) | ((k % 32 + j) % 2) << 4
            XCTAssertEqual(q5[k], d1 * Float(q) - m1, "q5_K element \(k)")
        }
    }

    func testQ6KBlock() throws {
        // element k: h = k/128, t = (k%128)/32, l = k%32; q = 6-bit value chosen per element, written into
        // ql[64h + 32(t&1) + l] (low nibble for t < 2) and qh[32h + l] bits 2t, 2t+1
        func q(_ k: Int) -> Int { (k * 37 + 11) % 64 }
        var ql = [UInt8](repeating: 0, count: 128)
        var qh = [UInt8](repeating: 0, count: 64)
        for k in 0..<256 {
            let h = k / 128
            let t = (k % 128) / 32
            let l = k % 32
            ql[64 * h + 32 * (t & 1) + l] |= UInt8(q(k) & 15) << (t < 2 ? 0 : 4)
            qh[32 * h + l] |= UInt8(q(k) >> 4) << (2 * t)
        }
        let scales: [Int8] = [-128, 127, 1, -1, 64, -64, 3, 5, -7, 11, 0, 13, -17, 19, 23, -29]
        let d: Float = 0.03125
        let values = try decode(.q6_K, ql + qh + scales.map { UInt8(bitPattern: $0) } + f16(d))
        for k in 0..<256 {
            XCTAssertEqual(values[k], d * Float(scales[k / 16]) * Float(q(k) - 32), "q6_K element \(k)")
        }
    }

    /// Per-block squared error of a decoded row against the source.
    private func blockErrors(_ values: [Float], _ dtype: DType) throws -> [Float] {
        let n = dtype.blockSize
        let decoded = try WeightTensor.encode(values, shape: [values.count], dtype: dtype).decodedArray()
        return Self.squaredErrors(values, decoded, block: n)
    }

    /// Σ (a − b)² per block of `block` elements.
    static func squaredErrors(_ a: [Float], _ b: [Float], block: Int) -> [Float] {
        var out: [Float] = []
        for start in stride(from: 0, to: a.count, by: block) {
            var e: Float = 0
            for i in start..<(start + block) { e += (a[i] - b[i]) * (a[i] - b[i]) }
            out.append(e)
        }
        return out
    }

    /// ggml's reference choices for the 32-weight types (`quantize_row_q4_0_ref` and friends), decoded: Q4_0 / Q5_0
    /// d = x_max/−8 (−16), q = min(15 (31), ⌊x/d + 8.5 (16.5)⌋); Q4_1 / Q5_1 d = (max − min)/15 (31), m = min,
    /// q = min(15 (31), ⌊(x − min)/d + 0.5⌋); d and m stored as f16.
    private func ggmlReferenceErrors(_ values: [Float], _ dtype: DType) -> [Float] {
        stride(from: 0, to: values.count, by: 32).map { b in
            let x = Array(values[b..<(b + 32)])
            let nmax: Float = dtype == .q4_0 || dtype == .q4_1 ? 15 : 31
            var decoded = [Float](repeating: 0, count: 32)
            if dtype == .q4_0 || dtype == .q5_0 {
                let xmax = x.max { abs($0) < abs($1) }!
                let d = xmax / -((nmax + 1) / 2)
                let id: Float = d != 0 ? 1 / d : 0
                let dh = Codec.f16ToFloat(Codec.floatToF16(d))
                for k in 0..<32 {
                    let q = min(nmax, Float(Int8(x[k] * id + (nmax + 1) / 2 + 0.5)))
                    decoded[k] = dh * (q - (nmax + 1) / 2)
                }
            } else {
                let mn = x.min()!
                let mx = x.max()!
                let d = (mx - mn) / nmax
                let id: Float = d != 0 ? 1 / d : 0
                let dh = Codec.f16ToFloat(Codec.floatToF16(d))
                let mh = Codec.f16ToFloat(Codec.floatToF16(mn))
                for k in 0..<32 {
                    let q = min(nmax, Float(UInt8((x[k] - mn) * id + 0.5)))
                    decoded[k] = dh * q + mh
                }
            }
            return Self.squaredErrors(x, decoded, block: 32)[0]
        }
    }

    /// Uniform, Gaussian-like and outlier-heavy rows: every block's error is at most ggml's reference choice's
    /// (the search includes it), and the total is clearly below.
    func testLegacyQuantizersNeverWorseThanGGMLReference() throws {
        var state: UInt64 = 0x5EED
        func uniform() -> Float {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(state >> 40) / Float(1 << 24) * 2 - 1
        }
        let rows: [[Float]] = [
            (0..<4096).map { _ in uniform() },
            (0..<4096).map { _ in (0..<4).reduce(Float(0)) { s, _ in s + uniform() } * 0.02 },
            (0..<4096).map { i in i % 97 == 0 ? uniform() * 40 : uniform() * 0.1 },
        ]
        for dtype in LegacyQuant.dtypes {
            for (r, row) in rows.enumerated() {
                let ours = try blockErrors(row, dtype)
                let ggml = ggmlReferenceErrors(row, dtype)
                for b in ours.indices {
                    XCTAssertLessThanOrEqual(ours[b], ggml[b] * (1 + 1e-5) + 1e-12, "\(dtype) row \(r) block \(b)")
                }
                let total = ours.reduce(0, +)
                let reference = ggml.reduce(0, +)
                XCTAssertLessThan(total, reference, "\(dtype) row \(r)")
            }
        }
    }

    /// K-quants: on uniform ±1 data the RMSE relative to the RMS beats a plain uniform quantizer of the full range
    /// (step 2/n, error step/√12, RMS 1/√3: a ratio of 1/n with n = 15, 31, 63 steps), and the extremes of a block (a
    /// zero block, a constant block, one outlier) decode sensibly.
    func testKQuantQuantizers() throws {
        var state: UInt64 = 0xC0FFEE
        func uniform() -> Float {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(state >> 40) / Float(1 << 24) * 2 - 1
        }
        let row = (0..<(256 * 16)).map { _ in uniform() }
        let rms = (row.reduce(Float(0)) { $0 + $1 * $1 } / Float(row.count)).squareRoot()
        for (dtype, bound) in [(DType.q4_K, Float(1) / 15), (.q5_K, 1 / 31), (.q6_K, 1 / 63)] {
            let errors = try blockErrors(row, dtype)
            let rmse = (errors.reduce(0, +) / Float(row.count)).squareRoot()
            XCTAssertLessThan(rmse / rms, bound, "\(dtype)")
            XCTAssertEqual(
                try WeightTensor.encode([Float](repeating: 0, count: 256), shape: [256], dtype: dtype)
                    .decodedArray(), [Float](repeating: 0, count: 256), "\(dtype) zero block")
            let constant = try WeightTensor.encode([Float](repeating: 0.75, count: 256), shape: [256], dtype: dtype)
            for v in constant.decodedArray() { XCTAssertEqual(v, 0.75, accuracy: 0.75 / 64, "\(dtype) constant block") }
            var spike = [Float](repeating: 0.01, count: 256)
            spike[77] = -30
            let decoded = try WeightTensor.encode(spike, shape: [256], dtype: dtype).decodedArray()
            XCTAssertEqual(decoded[77], -30, accuracy: 30.0 / 60, "\(dtype) outlier")
        }
    }

    func testEncodeRejectsNonFiniteValues() {
        for dtype in LegacyQuant.dtypes + KQuant.dtypes + [.q8_0] {
            var values = [Float](repeating: 1, count: dtype.blockSize)
            values[3] = .nan
            XCTAssertThrowsError(try WeightTensor.encode(values, shape: [dtype.blockSize], dtype: dtype), "\(dtype)")
            values[3] = -.infinity
            XCTAssertThrowsError(try WeightTensor.encode(values, shape: [dtype.blockSize], dtype: dtype), "\(dtype)")
        }
    }
}
