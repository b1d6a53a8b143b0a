import OSSCore
import XCTest

/// swiglu (gpt-oss clamped), siluMul (llama) and add, on 1, odd, block-unfriendly and model-sized widths,
/// with inputs large enough that the swiglu clamps are live, and with the allowed output aliasing.
final class ActivationConformanceTests: XCTestCase {
    static let widths = [1, 7, 33, 65, 2880, 4097]

    /// gate/up values in ±(limit + 5) so both clamps (gate > limit, |up| > limit) are hit.
    static func swigluCase(rows: Int, intermediate: Int, limit: Float = 7, alpha: Float = 1.702) -> TensorOpCase {
        var (random, parameters) = SeededRandom.forCase(
            "swiglu", "T=\(rows),I=\(intermediate),limit=\(limit),alpha=\(alpha)")
        let gateUp = GuardedTensor(
            random.floats(rows * 2 * intermediate, scale: limit + 5), shape: [rows, 2 * intermediate])
        let expected = Reference.swiglu(
            Reference.widen(gateUp.view), rows: rows, intermediate: intermediate,
            limit: Double(limit), alpha: Double(alpha))
        let out = GuardedTensor(shape: [rows, intermediate])
        return TensorOpCase(
            OpDescriptor(.swiglu), parameters, output: out, expected: expected,
            tolerance: Tolerance.activation, inputs: [gateUp]
        ) { try $0.swiglu(gateUp.view, limit: limit, alpha: alpha, out: out.view) }
    }

    enum Alias: String { case none, first, second }

    static func siluMulCase(rows: Int, n: Int, alias: Alias) -> TensorOpCase {
        var (random, parameters) = SeededRandom.forCase("siluMul", "T=\(rows),n=\(n),out=\(alias.rawValue)")
        let gateValues = random.floats(rows * n, scale: 8)
        let upValues = random.floats(rows * n, scale: 4)
        let gate = GuardedTensor(gateValues, shape: [rows, n])
        let up = GuardedTensor(upValues, shape: [rows, n])
        let expected = Reference.siluMul(gate: Reference.widen(gateValues), up: Reference.widen(upValues))
        switch alias {
        case .none:
            let out = GuardedTensor(shape: [rows, n])
            return TensorOpCase(
                OpDescriptor(.siluMul), parameters, output: out, expected: expected,
                tolerance: Tolerance.activation, inputs: [gate, up]
            ) { try $0.siluMul(gate: gate.view, up: up.view, out: out.view) }
        case .first:
            return .inPlace(
                OpDescriptor(.siluMul), parameters, tensor: gate, input: gateValues, expected: expected,
                tolerance: Tolerance.activation
            ) { try $0.siluMul(gate: gate.view, up: up.view, out: gate.view) }
        case .second:
            return .inPlace(
                OpDescriptor(.siluMul), parameters, tensor: up, input: upValues, expected: expected,
                tolerance: Tolerance.activation
            ) { try $0.siluMul(gate: gate.view, up: up.view, out: up.view) }
        }
    }

    static func addCase(rows: Int, n: Int, alias: Alias) -> TensorOpCase {
        var (random, parameters) = SeededRandom.forCase("add", "T=\(rows),n=\(n),out=\(alias.rawValue)")
        let aValues = random.floats(rows * n, scale: 10)
        let bValues = random.floats(rows * n)
        let a = GuardedTensor(aValues, shape: [rows, n])
        let b = GuardedTensor(bValues, shape: [rows, n])
        let expected = Reference.add(Reference.widen(aValues), Reference.widen(bValues))
        switch alias {
        case .none:
            let out = GuardedTensor(shape: [rows, n])
            return TensorOpCase(
                OpDescriptor(.add), parameters, output: out, expected: expected,
                tolerance: Tolerance.add, inputs: [a, b]
            ) { try $0.add(a.view, b.view, out: out.view) }
        case .first:
            return .inPlace(
                OpDescriptor(.add), parameters, tensor: a, input: aValues, expected: expected,
                tolerance: Tolerance.add
            ) { try $0.add(a.view, b.view, out: a.view) }
        case .second:
            return .inPlace(
                OpDescriptor(.add), parameters, tensor: b, input: bValues, expected: expected,
                tolerance: Tolerance.add
            ) { try $0.add(a.view, b.view, out: b.view) }
        }
    }

    func testSwiGLU() {
        for rows in [1, 7] {
            for width in Self.widths { Conformance.check(Self.swigluCase(rows: rows, intermediate: width)) }
        }
        // other limit and alpha: a kernel hard-coding gpt-oss's 7 and 1.702 fails here
        Conformance.check(Self.swigluCase(rows: 3, intermediate: 65, limit: 3, alpha: 1))
    }

    func testSiLUMul() {
        for rows in [1, 7] {
            for n in Self.widths { Conformance.check(Self.siluMulCase(rows: rows, n: n, alias: .none)) }
        }
        Conformance.check(Self.siluMulCase(rows: 3, n: 33, alias: .first))
        Conformance.check(Self.siluMulCase(rows: 3, n: 33, alias: .second))
    }

    func testAdd() {
        for rows in [1, 7] {
            for n in Self.widths { Conformance.check(Self.addCase(rows: rows, n: n, alias: .none)) }
        }
        Conformance.check(Self.addCase(rows: 3, n: 65, alias: .first))
        Conformance.check(Self.addCase(rows: 3, n: 65, alias: .second))
    }
}
