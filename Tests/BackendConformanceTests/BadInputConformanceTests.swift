import OSSCore
import XCTest

/// Every op, given a wrong shape, an empty input or an out-of-range argument, throws the matching `BackendError`
/// on every backend (never crashes, never writes).
final class BadInputConformanceTests: XCTestCase {
    enum Kind: String { case shapeMismatch, invalidArgument, emptyInput }

    struct BadCall {
        let name: String
        let kind: Kind
        let call: (any Backend) throws -> Void
    }

    static func kind(_ e: BackendError) -> String {
        switch e {
        case .shapeMismatch: return Kind.shapeMismatch.rawValue
        case .invalidArgument: return Kind.invalidArgument.rawValue
        case .emptyInput: return Kind.emptyInput.rawValue
        case .unsupported: return "unsupported"
        }
    }

    static func badCalls() throws -> [BadCall] {
        var random = SeededRandom(seed: 0xBAD)
        func t(_ dims: [Int]) -> Tensor { Tensor(random.floats(Shape(dims).count), shape: Shape(dims)) }
        func w(_ dims: [Int], _ dtype: DType = .f32) throws -> WeightTensor {
            try .encode(random.floats(Shape(dims).count), shape: Shape(dims), dtype: dtype)
        }
        let w7x32 = try w([7, 32])
        let w7x32q = try w([7, 32], .mxfp4)
        let table = try RopeTable.plain(headDim: 16, theta: 10_000, maxPositions: 8)
        let params = AttentionParams(heads: 4, kvHeads: 2, headDim: 16, scale: 0.25, firstPosition: 0)
        let moe = MoEWeights(
            router: try w([8, 32]), routerBias: nil, gateUp: try w([8, 16, 32], .mxfp4),
            gateUpBias: nil, down: try w([8, 32, 8]), downBias: nil, topK: 4)
        func moeWith(topK: Int) -> MoEWeights {
            var m = moe
            m.topK = topK
            return m
        }
        let embeddingTable = try w([10, 32], .q8_0)
        return [
            BadCall(name: "linear(x in 33 ≠ weight in 32)", kind: .shapeMismatch) {
                try $0.linear(t([2, 33]), weight: w7x32, bias: nil, out: t([2, 7]))
            },
            BadCall(name: "linear(mxfp4, out rows 3 ≠ x rows 2)", kind: .shapeMismatch) {
                try $0.linear(t([2, 32]), weight: w7x32q, bias: nil, out: t([3, 7]))
            },
            BadCall(name: "linear(out columns 8 ≠ weight out 7)", kind: .shapeMismatch) {
                try $0.linear(t([1, 32]), weight: w7x32, bias: nil, out: t([1, 8]))
            },
            BadCall(name: "linear(bias 6 ≠ out 7)", kind: .shapeMismatch) {
                try $0.linear(t([1, 32]), weight: w7x32, bias: t([6]), out: t([1, 7]))
            },
            BadCall(name: "linear(x [0, 32])", kind: .emptyInput) {
                try $0.linear(Tensor(zeros: [0, 32]), weight: w7x32, bias: nil, out: Tensor(zeros: [0, 7]))
            },
            BadCall(name: "rmsNorm(weight 7 ≠ n 8)", kind: .shapeMismatch) {
                try $0.rmsNorm(t([2, 8]), weight: t([7]), eps: 1e-5, out: t([2, 8]))
            },
            BadCall(name: "rmsNorm(x [0, 8])", kind: .emptyInput) {
                try $0.rmsNorm(Tensor(zeros: [0, 8]), weight: t([8]), eps: 1e-5, out: Tensor(zeros: [0, 8]))
            },
            BadCall(name: "rope(x width 40 ≠ 2 heads · 16)", kind: .shapeMismatch) {
                try $0.rope(t([1, 40]), heads: 2, firstPosition: 0, table: table, style: .neox)
            },
            BadCall(name: "rope(positions 6..<9 beyond table of 8)", kind: .invalidArgument) {
                try $0.rope(t([3, 32]), heads: 2, firstPosition: 6, table: table, style: .interleaved)
            },
            BadCall(name: "attention(q width 48 ≠ 4 heads · 16)", kind: .shapeMismatch) {
                try $0.attention(
                    q: t([1, 48]), keys: t([4, 32]), values: t([4, 32]), sinks: nil, params: params,
                    out: t([1, 48]))
            },
            BadCall(name: "attention(keys 4 rows ≠ values 5 rows)", kind: .shapeMismatch) {
                try $0.attention(
                    q: t([1, 64]), keys: t([4, 32]), values: t([5, 32]), sinks: nil, params: params,
                    out: t([1, 64]))
            },
            BadCall(name: "attention(sinks 3 ≠ 4 heads)", kind: .shapeMismatch) {
                try $0.attention(
                    q: t([1, 64]), keys: t([4, 32]), values: t([4, 32]), sinks: t([3]), params: params,
                    out: t([1, 64]))
            },
            BadCall(name: "attention(heads 4 not a multiple of kvHeads 3)", kind: .invalidArgument) {
                var p = params
                p.kvHeads = 3
                try $0.attention(
                    q: t([1, 64]), keys: t([4, 48]), values: t([4, 48]), sinks: nil, params: p,
                    out: t([1, 64]))
            },
            BadCall(name: "attention(positions 0...5 need 6 cache rows, cache has 4)", kind: .invalidArgument) {
                var p = params
                p.firstPosition = 3
                try $0.attention(
                    q: t([3, 64]), keys: t([4, 32]), values: t([4, 32]), sinks: nil, params: p,
                    out: t([3, 64]))
            },
            BadCall(name: "softmax(out [2, 7] for x [2, 8])", kind: .shapeMismatch) {
                try $0.softmax(t([2, 8]), out: t([2, 7]))
            },
            BadCall(name: "softmax(x [0, 8])", kind: .emptyInput) {
                try $0.softmax(Tensor(zeros: [0, 8]), out: Tensor(zeros: [0, 8]))
            },
            BadCall(name: "moe(x width 33 ≠ H 32)", kind: .shapeMismatch) {
                try $0.moe(t([1, 33]), weights: moe, out: t([1, 33]))
            },
            BadCall(name: "moe(topK 9 > 8 experts)", kind: .invalidArgument) {
                try $0.moe(t([1, 32]), weights: moeWith(topK: 9), out: t([1, 32]))
            },
            BadCall(name: "moe(topK 0)", kind: .invalidArgument) {
                try $0.moe(t([1, 32]), weights: moeWith(topK: 0), out: t([1, 32]))
            },
            BadCall(name: "moe(gateUp bias [8, 15] for 2I = 16)", kind: .shapeMismatch) {
                var m = moe
                m.gateUpBias = t([8, 15])
                try $0.moe(t([1, 32]), weights: m, out: t([1, 32]))
            },
            BadCall(name: "swiglu(gateUp [2, 7], odd width)", kind: .shapeMismatch) {
                try $0.swiglu(t([2, 7]), limit: 7, alpha: 1.702, out: t([2, 3]))
            },
            BadCall(name: "swiglu(out [2, 4] for gateUp [2, 6])", kind: .shapeMismatch) {
                try $0.swiglu(t([2, 6]), limit: 7, alpha: 1.702, out: t([2, 4]))
            },
            BadCall(name: "siluMul(up 7 ≠ gate 8)", kind: .shapeMismatch) {
                try $0.siluMul(gate: t([8]), up: t([7]), out: t([8]))
            },
            BadCall(name: "add(b [2, 4] ≠ a [2, 5])", kind: .shapeMismatch) {
                try $0.add(t([2, 5]), t([2, 4]), out: t([2, 5]))
            },
            BadCall(name: "add(a [0])", kind: .emptyInput) {
                try $0.add(Tensor(zeros: [0]), Tensor(zeros: [0]), out: Tensor(zeros: [0]))
            },
            BadCall(name: "embedding(token 10 ≥ vocab 10)", kind: .invalidArgument) {
                try $0.embedding(embeddingTable, tokens: [1, 10], out: t([2, 32]))
            },
            BadCall(name: "embedding(token −1)", kind: .invalidArgument) {
                try $0.embedding(embeddingTable, tokens: [-1], out: t([1, 32]))
            },
            BadCall(name: "embedding(no tokens)", kind: .emptyInput) {
                try $0.embedding(embeddingTable, tokens: [], out: Tensor(zeros: [0, 32]))
            },
            BadCall(name: "embedding(out [2, 32] for 3 tokens)", kind: .shapeMismatch) {
                try $0.embedding(embeddingTable, tokens: [1, 2, 3], out: t([2, 32]))
            },
            BadCall(name: "argmax(x [0])", kind: .emptyInput) { _ = try $0.argmax(Tensor(zeros: [0])) },
            BadCall(name: "topK(k 0)", kind: .invalidArgument) {
                var ids = [Int32](repeating: 0, count: 4)
                var values = [Float](repeating: 0, count: 4)
                try $0.topK(t([8]), k: 0, ids: &ids, values: &values)
            },
            BadCall(name: "topK(k 9 > 8 elements)", kind: .invalidArgument) {
                var ids = [Int32](repeating: 0, count: 9)
                var values = [Float](repeating: 0, count: 9)
                try $0.topK(t([8]), k: 9, ids: &ids, values: &values)
            },
            BadCall(name: "topK(ids hold 2 < k 4)", kind: .shapeMismatch) {
                var ids = [Int32](repeating: 0, count: 2)
                var values = [Float](repeating: 0, count: 4)
                try $0.topK(t([8]), k: 4, ids: &ids, values: &values)
            },
        ]
    }

    func testBadInputThrowsTypedError() throws {
        let calls = try Self.badCalls()
        for runner in ConformanceBackends.runners {
            for bad in calls {
                let name = "\(bad.name),threads=\(runner.threads),backend=\(runner.label)"
                do {
                    try runner.run(bad.call)
                    XCTFail("\(name): did not throw (expected BackendError.\(bad.kind.rawValue))")
                } catch let error as BackendError {
                    XCTAssertEqual(Self.kind(error), bad.kind.rawValue, "\(name): \(error)")
                } catch {
                    XCTFail("\(name): threw \(type(of: error)) \(error), expected BackendError.\(bad.kind.rawValue)")
                }
            }
        }
    }
}
