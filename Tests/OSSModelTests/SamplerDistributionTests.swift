import Foundation
import XCTest
import OSSCore
@testable import OSSModel

/// The partial-selection sampler keeps the distribution of the plain definition (`SamplingParameters`): every
/// allowed id sorted by logit, tempered softmax, top-k, top-p over what is left, min-p — computed here in Double
/// with a full sort. Same support, same probabilities (to Float rounding), for every setting.
final class SamplerDistributionTests: XCTestCase {
    /// The reference distribution.
    static func reference(_ logits: [Float], _ p: SamplingParameters, limit: Int, banned: Set<Int32>) -> [Int32: Double] {
        let n = min(limit, logits.count)
        let allowed: [Int32] = (0..<Int32(n)).filter { !banned.contains($0) }
        let ids = allowed.sorted { (a: Int32, b: Int32) -> Bool in
            let x = logits[Int(a)], y = logits[Int(b)]
            return x > y || (x == y && a < b)
        }
        if p.isGreedy { return [ids[0]: 1] }
        var kept = p.topK > 0 ? Array(ids.prefix(p.topK)) : ids
        let top = Double(logits[Int(kept[0])])
        var w: [Double] = kept.map { (id: Int32) -> Double in Foundation.exp((Double(logits[Int(id)]) - top) / Double(p.temperature)) }
        if p.topP < 1 {
            let target: Double = Double(p.topP) * w.reduce(0, +)
            var mass = 0.0, n = 0
            while n < w.count { mass += w[n]; n += 1; if mass >= target { break } }
            kept = Array(kept.prefix(n)); w = Array(w.prefix(n))
        }
        if p.minP > 0 {
            let n = w.prefix { $0 >= Double(p.minP) * w[0] }.count
            kept = Array(kept.prefix(n)); w = Array(w.prefix(n))
        }
        let total: Double = w.reduce(0, +)
        var out: [Int32: Double] = [:]
        for (id, x) in zip(kept, w) where x > 0 { out[id] = x / total }
        return out
    }

    func logits(_ n: Int, seed: UInt64, scale: Double) -> [Float] {
        var rng = Xoshiro256StarStar(seed: seed)
        return (0..<n).map { _ in
            // roughly normal (sum of uniforms), a few ties
            let u = (0..<4).map { _ in rng.nextUnit() }.reduce(0, +) - 2
            return Float((u * scale * 4).rounded() / 4)
        }
    }

    func testEverySettingMatchesTheReference() throws {
        let settings: [SamplingParameters] = [
            .greedy,
            SamplingParameters(temperature: 1),
            SamplingParameters(temperature: 0.7),
            SamplingParameters(temperature: 1, topK: 1),
            SamplingParameters(temperature: 1, topK: 40),
            SamplingParameters(temperature: 0.8, topK: 500, topP: 0.9),
            SamplingParameters(temperature: 1, topP: 0.9),
            SamplingParameters(temperature: 1.3, topP: 0.5),
            SamplingParameters(temperature: 1, topP: 0.999),
            SamplingParameters(temperature: 1, minP: 0.05),
            SamplingParameters(temperature: 1, topP: 0.95, minP: 0.1),
            SamplingParameters(temperature: 2, topK: 100, minP: 0.3),
        ]
        for (n, scale, limit) in [(5000, 3.0, 5000), (20011, 1.0, 20000), (201_088, 2.5, 200_013)] {
            let x = logits(n, seed: UInt64(n), scale: scale)
            let banned: Set<Int32> = [0, 7, Int32(limit - 1), Int32(x.indices.max { x[$0] < x[$1] }!)]
            let tensor = Tensor(x, shape: [n])
            for p in settings {
                let sampler = try Sampler(parameters: p, sampleableLimit: limit, bannedIDs: Array(banned))
                let got = try sampler.distribution(tensor)
                let want = Self.reference(x, p, limit: limit, banned: banned)
                // Same support and probabilities, up to Float rounding of the weights: only ids at the very cut
                // of a top-p set (where the reference's Double mass and the sampler's Float weights may round to
                // opposite sides) may differ, so the total variation distance stays tiny.
                var tv = 0.0
                for id in Set(got.keys).union(want.keys) { tv += abs((got[id] ?? 0) - (want[id] ?? 0)) }
                XCTAssertLessThan(tv, 1e-4, "n \(n) \(p): support \(got.count) vs \(want.count)")
                XCTAssertLessThanOrEqual(abs(got.count - want.count), max(1, want.count / 1000), "n \(n) \(p)")
                // draws stay in the support
                for _ in 0..<50 { XCTAssertNotNil(got[try sampler.sample(tensor)], "n \(n) \(p)") }
            }
        }
    }

    /// Empirical frequencies of many draws follow the distribution (chi-square, 5 σ bound).
    func testDrawsFollowTheDistribution() throws {
        let x = logits(3000, seed: 9, scale: 1.5)
        let tensor = Tensor(x, shape: [3000])
        for p in [SamplingParameters(temperature: 1, seed: 3), SamplingParameters(temperature: 1, topP: 0.8, seed: 4),
                  SamplingParameters(temperature: 1, topK: 20, seed: 5)] {
            let sampler = try Sampler(parameters: p, sampleableLimit: 3000)
            let want = Self.reference(x, p, limit: 3000, banned: [])
            let draws = 20000
            var counts: [Int32: Int] = [:]
            for _ in 0..<draws { counts[try sampler.sample(tensor), default: 0] += 1 }
            // bins with expected count ≥ 20; the rest pooled
            var chi = 0.0, bins = 0, restExpected = 0.0, restSeen = 0
            for (id, q) in want {
                let e = q * Double(draws), o = Double(counts[id] ?? 0)
                if e >= 20 { chi += (o - e) * (o - e) / e; bins += 1 } else { restExpected += e; restSeen += Int(o) }
            }
            if restExpected > 0 { chi += pow(Double(restSeen) - restExpected, 2) / restExpected; bins += 1 }
            let dof = Double(max(bins - 1, 1))
            XCTAssertLessThan(chi, dof + 5 * (2 * dof).squareRoot(), "\(p): χ² \(chi) over \(bins) bins")
        }
    }

    func testVectorExpMatchesExpf() {
        var worst: Float = 0
        var x: Float = -87
        while x < 0 {
            let v = SamplerKernels.exp(SIMD8(repeating: x))[0]
            worst = max(worst, abs(v - expf(x)) / expf(x))
            x += 0.0137
        }
        XCTAssertLessThan(worst, 1e-6)
        XCTAssertEqual(SamplerKernels.exp(SIMD8(repeating: -Float.infinity))[0], 0)
        XCTAssertEqual(SamplerKernels.exp(SIMD8(repeating: -100))[0], 0)
        XCTAssertEqual(SamplerKernels.exp(SIMD8(repeating: 0))[0], 1)
    }
}
