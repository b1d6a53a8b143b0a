import OSSCore
import XCTest

/// rmsNorm and softmax: row-wise reductions over 1, odd, block-unfriendly and model-sized rows, out of place and in place.
final class NormConformanceTests: XCTestCase {
    static let widths = [1, 7, 33, 65, 2880, 4097]

    /// `scale`: input magnitude; at 1e-3 the mean square (~3e-7) is far below eps, so eps must really be used.
    static func rmsNormCase(rows: Int, n: Int, inPlace: Bool, eps: Float = 1e-5, scale: Float = 3) -> TensorOpCase {
        var (random, parameters) = SeededRandom.forCase(
            "rmsNorm", "T=\(rows),n=\(n),eps=\(eps),xScale=\(scale),inPlace=\(inPlace ? 1 : 0)")
        let input = random.floats(rows * n, scale: scale)
        let weight = GuardedTensor((0..<n).map { _ in 1 + Float(random.signedUnit()) / 2 }, shape: [n])
        let expected = Reference.rmsNorm(
            Reference.widen(input), rows: rows, n: n, weight: Reference.widen(weight.view),
            eps: Double(eps))
        if inPlace {
            let x = GuardedTensor(input, shape: [rows, n])
            return .inPlace(
                OpDescriptor(.rmsNorm), parameters, tensor: x, input: input, expected: expected,
                tolerance: Tolerance.rmsNorm
            ) { try $0.rmsNorm(x.view, weight: weight.view, eps: eps, out: x.view) }
        }
        let x = GuardedTensor(input, shape: [rows, n])
        let out = GuardedTensor(shape: [rows, n])
        return TensorOpCase(
            OpDescriptor(.rmsNorm), parameters, output: out, expected: expected,
            tolerance: Tolerance.rmsNorm, inputs: [x, weight]
        ) { try $0.rmsNorm(x.view, weight: weight.view, eps: eps, out: out.view) }
    }

    /// `offset` shifts every logit (1000 overflows exp unless the row maximum is subtracted first).
    static func softmaxCase(rows: Int, n: Int, offset: Float, inPlace: Bool) -> TensorOpCase {
        var (random, parameters) = SeededRandom.forCase(
            "softmax", "T=\(rows),n=\(n),offset=\(Int(offset)),inPlace=\(inPlace ? 1 : 0)")
        let input = random.floats(rows * n, scale: 20).map { $0 + offset }
        let expected = Reference.softmax(Reference.widen(input), rows: rows, n: n)
        let x = GuardedTensor(input, shape: [rows, n])
        if inPlace {
            return .inPlace(
                OpDescriptor(.softmax), parameters, tensor: x, input: input, expected: expected,
                tolerance: Tolerance.softmax
            ) { try $0.softmax(x.view, out: x.view) }
        }
        let out = GuardedTensor(shape: [rows, n])
        return TensorOpCase(
            OpDescriptor(.softmax), parameters, output: out, expected: expected,
            tolerance: Tolerance.softmax, inputs: [x]
        ) { try $0.softmax(x.view, out: out.view) }
    }

    func testRMSNorm() {
        for rows in [1, 7] {
            for n in Self.widths { Conformance.check(Self.rmsNormCase(rows: rows, n: n, inPlace: false)) }
        }
        for n in [33, 2880] { Conformance.check(Self.rmsNormCase(rows: 3, n: n, inPlace: true)) }
        // eps dominating the mean square, and another eps: a kernel ignoring or hard-coding eps fails here
        for eps: Float in [1e-5, 1e-6] {
            Conformance.check(Self.rmsNormCase(rows: 2, n: 65, inPlace: false, eps: eps, scale: 1e-3))
        }
    }

    func testSoftmax() {
        for rows in [1, 3] {
            for n in [1, 7, 33, 4097] {
                Conformance.check(Self.softmaxCase(rows: rows, n: n, offset: 0, inPlace: false))
            }
        }
        Conformance.check(Self.softmaxCase(rows: 2, n: 65, offset: 1000, inPlace: false))
        Conformance.check(Self.softmaxCase(rows: 2, n: 65, offset: -1000, inPlace: false))
        Conformance.check(Self.softmaxCase(rows: 3, n: 33, offset: 0, inPlace: true))
    }
}
