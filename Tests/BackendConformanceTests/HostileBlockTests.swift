import OSSCore
import XCTest

/// GGUF block weights whose stored scale is NaN or ±inf (a hostile or corrupt file: views are not scanned at load).
/// The documented result on every backend and path: each output that reads such a block is non-finite, as float
/// arithmetic on the decoded weights gives; every other output is finite and unaffected; nothing crashes.
final class HostileBlockTests: XCTestCase {
    /// Byte offsets of the f16 scales of a block: d (and m / dmin, which also scale values).
    static func scaleOffsets(_ dtype: DType) -> [Int] {
        switch dtype {
        case .q4_0, .q5_0, .q8_0: return [0]
        case .q4_1, .q5_1, .q4_K, .q5_K: return [0, 2]
        case .q6_K: return [208]
        default: return []
        }
    }

    func testNonFiniteBlockScales() throws {
        let rows = 5
        let bad = 3
        for dtype in [DType.q8_0, .q4_0, .q4_1, .q5_0, .q5_1, .q4_K, .q5_K, .q6_K] {
            let cols = 2 * max(dtype.blockSize, 32)
            for offset in Self.scaleOffsets(dtype) {
                for scale: UInt16 in [0x7E00, 0x7C00, 0xFC00] {  // NaN, +inf, −inf as f16
                    var random = SeededRandom(seed: UInt64(cols * 7 + offset) ^ UInt64(scale))
                    let w = try WeightTensor.encode(random.floats(rows * cols), shape: [rows, cols], dtype: dtype)
                    // the second block of row `bad`
                    let block = UnsafeMutableRawPointer(mutating: w.data) + bad * w.rowBytes + dtype.bytesPerBlock
                    block.storeBytes(of: scale.littleEndian, toByteOffset: offset, as: UInt16.self)
                    let label = "\(dtype) scale at +\(offset) = 0x\(String(scale, radix: 16))"
                    try check(w, bad: bad, cols: cols, random: &random, label: label)
                }
            }
        }
    }

    private func check(_ w: WeightTensor, bad: Int, cols: Int, random: inout SeededRandom, label: String) throws {
        let rows = w.outFeatures
        for runner in ConformanceBackends.runners {
            for tokens in [1, 5] {
                let x = Tensor(random.floats(tokens * cols), shape: [tokens, cols])
                let out = Tensor(zeros: [tokens, rows])
                try runner.run { try $0.linear(x, weight: w, bias: nil, out: out) }
                let y = out.toArray()
                for t in 0..<tokens {
                    for r in 0..<rows {
                        let v = y[t * rows + r]
                        XCTAssertEqual(
                            v.isFinite, r != bad,
                            "\(label): linear T=\(tokens) [\(t), \(r)] = \(v) on \(runner.label)")
                    }
                }
            }
            let embedded = Tensor(zeros: [2, cols])
            try runner.run { try $0.embedding(w, tokens: [Int32(bad), 0], out: embedded) }
            let e = embedded.toArray()
            let size = w.dtype.blockSize
            XCTAssertTrue(e[0..<size].allSatisfy(\.isFinite), "\(label): embedding first block on \(runner.label)")
            XCTAssertTrue(e[size..<cols].contains { !$0.isFinite }, "\(label): embedding bad block on \(runner.label)")
            XCTAssertTrue(e[cols...].allSatisfy(\.isFinite), "\(label): embedding row 0 on \(runner.label)")
        }
    }
}
