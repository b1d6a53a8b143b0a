import OSSCore
import XCTest

/// argmax and topK must agree exactly with the reference (ids and values), lowest index first among equal values,
/// on lengths 1, odd, and gpt-oss's vocabulary (201088).
struct SamplingCase: ConformanceCase {
    let op: String
    let parameters: String
    let x: GuardedTensor
    let values: [Float]
    /// nil for argmax.
    let k: Int?
    /// Reference answer: the k best (topK) or the single best (argmax), lowest index first among equals.
    let expected: [(id: Int, value: Float)]

    /// `levels`: when set, values are drawn from that many distinct levels, so ties are everywhere.
    init(op: String, n: Int, k: Int? = nil, levels: Int? = nil, negative: Bool = false) {
        self.op = op
        self.k = k
        var description = "n=\(n)"
        if let k { description += ",k=\(k)" }
        if let levels { description += ",levels=\(levels)" }
        if negative { description += ",allNegative=1" }
        var random: SeededRandom
        (random, parameters) = SeededRandom.forCase(op, description)
        var v = (0..<n).map { _ -> Float in
            if let levels { return Float(random.index(levels)) - Float(levels) }
            return Float(random.signedUnit()) * 10
        }
        if negative { v = v.map { -abs($0) - 1 } }
        values = v
        x = GuardedTensor(v, shape: [n])
        expected = k.map { Reference.topK(v, k: $0) } ?? [(Reference.argmax(v), v[Reference.argmax(v)])]
    }

    func run(on backend: any Backend) throws -> String? {
        if let k {
            if let u = Conformance.unsupported(backend, OpDescriptor(.topK)) { return u }
            var ids = [Int32](repeating: -1, count: k)
            var got = [Float](repeating: .nan, count: k)
            try backend.topK(x.view, k: k, ids: &ids, values: &got)
            for (n, w) in expected.enumerated() where ids[n] != Int32(w.id) || got[n].bitPattern != w.value.bitPattern {
                return "entry \(n): got id \(ids[n]) value \(got[n]), reference id \(w.id) value \(w.value)"
            }
            return nil
        }
        if let u = Conformance.unsupported(backend, OpDescriptor(.argmax)) { return u }
        let got = try backend.argmax(x.view)
        let want = expected[0]
        return got == want.id
            ? nil
            : "got index \(got) (value \(values.indices.contains(got) ? values[got] : .nan)), reference \(want.id) (value \(want.value))"
    }
}

final class SamplingConformanceTests: XCTestCase {
    func testArgmax() {
        for n in [1, 7, 33, 4097, 201_088] { Conformance.check(SamplingCase(op: "argmax", n: n)) }
        // ties: the lowest index among equal maxima wins
        for n in [7, 33, 4097] { Conformance.check(SamplingCase(op: "argmax", n: n, levels: 3)) }
        // all values negative (an accumulator starting at 0 would be wrong)
        Conformance.check(SamplingCase(op: "argmax", n: 65, negative: true))
    }

    func testArgmaxTieAtKnownPositions() {
        // maximum 5 at indices 3 and 40 (and a smaller value after): index 3 must win
        var v = [Float](repeating: 1, count: 65)
        v[3] = 5
        v[40] = 5
        v[64] = 4
        let x = GuardedTensor(v, shape: [65])
        for runner in ConformanceBackends.runners {
            let name = "argmax(n=65,tie=3:40,threads=\(runner.threads),backend=\(runner.label))"
            XCTAssertEqual(try runner.run { try $0.argmax(x.view) }, 3, name)
        }
    }

    func testTopK() {
        for n in [7, 33, 4097, 201_088] {
            for k in [1, 4, 40] where k <= n { Conformance.check(SamplingCase(op: "topK", n: n, k: k)) }
        }
        // ties everywhere: equal values in ascending index order
        for (n, k) in [(33, 10), (4097, 40), (65, 65)] {
            Conformance.check(SamplingCase(op: "topK", n: n, k: k, levels: 4))
        }
        Conformance.check(SamplingCase(op: "topK", n: 7, k: 7))
        Conformance.check(SamplingCase(op: "topK", n: 1, k: 1))
        Conformance.check(SamplingCase(op: "topK", n: 65, k: 5, negative: true))
    }
}
