import Foundation
import OSSCore
import XCTest

@testable import OSSModel

/// The partial-selection sampler keeps the distribution of the plain definition (`SamplingParameters`): every
/// allowed id sorted by logit, tempered softmax, top-k, top-p over what is left, min-p — computed here in Double
/// with a full sort. Same support, same probabilities (to Float rounding), for every setting.
final class SamplerDistributionTests: XCTestCase {
    /// The reference distribution.
    static func reference(_ logits: [Float], _ p: SamplingParameters, limit: Int, banned: Set<Int32>) -> [Int32: Double]
    {
        let n = min(limit, logits.count)
        let allowed: [Int32] = (0..<Int32(n)).filter { !banned.contains($0) }
        let ids = allowed.sorted { (a: Int32, b: Int32) -> Bool in
            let x = logits[Int(a)]
            let y = logits[Int(b)]
            return x > y || (x == y && a < b)
        }
        if p.isGreedy { return [ids[0]: 1] }
        var kept = p.topK > 0 ? Array(ids.prefix(p.topK)) : ids
        let top = Double(logits[Int(kept[0])])
        var w: [Double] = kept.map { (id: Int32) -> Double in
            Foundation.exp((Double(logits[Int(id)]) - top) / Double(p.temperature))
        }
        if p.topP < 1 {
            let target: Double = Double(p.topP) * w.reduce(0, +)
            var mass = 0.0
            var n = 0
            while n < w.count {
                mass += w[n]
                n += 1
                if mass >= target { break }
            }
            kept = Array(kept.prefix(n))
            w = Array(w.prefix(n))
        }
        if p.minP > 0 {
            let n = w.prefix { $0 >= Double(p.minP) * w[0] }.count
            kept = Array(kept.prefix(n))
            w = Array(w.prefix(n))
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
            // min-p with top-p: the top-p prefix inside the min-p set, or the min-p set
            SamplingParameters(temperature: 1, topP: 0.5, minP: 0.001),
            SamplingParameters(temperature: 1, topP: 0.9, minP: 0.01),
            SamplingParameters(temperature: 0.7, topP: 0.3, minP: 0.2),
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

    /// χ² of `draws` samples against `want` (bins with expected count ≥ 20, the rest pooled): below dof + 5σ.
    func assertDrawsFollow(_ sampler: Sampler, _ tensor: Tensor, _ want: [Int32: Double], draws: Int, _ what: String)
        throws
    {
        var counts: [Int32: Int] = [:]
        for _ in 0..<draws { counts[try sampler.sample(tensor), default: 0] += 1 }
        for id in counts.keys { XCTAssertNotNil(want[id], "\(what): drew \(id), outside the distribution") }
        var chi = 0.0
        var bins = 0
        var restExpected = 0.0
        var restSeen = 0
        for (id, q) in want {
            let e = q * Double(draws)
            let o = Double(counts[id] ?? 0)
            if e >= 20 {
                chi += (o - e) * (o - e) / e
                bins += 1
            } else {
                restExpected += e
                restSeen += Int(o)
            }
        }
        if restExpected > 0 {
            chi += pow(Double(restSeen) - restExpected, 2) / restExpected
            bins += 1
        }
        let dof = Double(max(bins - 1, 1))
        XCTAssertLessThan(chi, dof + 5 * (2 * dof).squareRoot(), "\(what): χ² \(chi) over \(bins) bins")
    }

    /// Empirical frequencies of many draws follow the distribution — by rejection sampling (temperature alone,
    /// top-p) and by the softmax path it falls back to — on flat and peaked logits, with banned ids (the argmax
    /// among them, and a whole block of 64).
    func testDrawsFollowTheDistribution() throws {
        let settings = [
            SamplingParameters(temperature: 1, seed: 3), SamplingParameters(temperature: 0.6, seed: 13),
            SamplingParameters(temperature: 1, topP: 0.8, seed: 4),
            SamplingParameters(temperature: 1.5, topP: 0.3, seed: 6),
            SamplingParameters(temperature: 1, topK: 20, seed: 5),
        ]
        for (n, scale) in [(3000, 1.5), (3001, 4.0)] {
            let x = logits(n, seed: 9, scale: scale)
            let tensor = Tensor(x, shape: [n])
            let banned = Set<Int32>([Int32(x.indices.max { x[$0] < x[$1] }!), 5] + (128..<192).map { Int32($0) })
            for p in settings {
                let want = Self.reference(x, p, limit: n, banned: banned)
                for fallback in [false, true] {
                    let sampler = try Sampler(parameters: p, sampleableLimit: n, bannedIDs: Array(banned))
                    if fallback {
                        sampler.maxTries = 0
                        sampler.maxNucleusDraws = 0
                    }
                    try assertDrawsFollow(sampler, tensor, want, draws: 20000, "n \(n) \(p) fallback \(fallback)")
                    if !fallback { XCTAssertLessThan(sampler.fallbacks, 20, "n \(n) \(p): rejection ran out often") }
                }
            }
        }
    }

    /// Logits that differ in their last bits (a slot rewound to a shared prefix recomputes a position with another
    /// row count) give the same seeded draws but for rare ids at a boundary: rejection sampling must not turn
    /// rounding differences of its running bounds into another id.
    func testSeededDrawsAreStableUnderRoundingDifferences() throws {
        let n = 201_088
        let x = logits(n, seed: 21, scale: 1.0)
        var noise = Xoshiro256StarStar(seed: 22)
        let y = x.map { $0 * Float(1 + (noise.nextUnit() - 0.5) * 2e-5) }
        let a = Tensor(x, shape: [n])
        let b = Tensor(y, shape: [n])
        for p in [SamplingParameters(temperature: 0.9), SamplingParameters(temperature: 0.9, topP: 0.9)] {
            let first = try Sampler(parameters: p, sampleableLimit: 200_013)
            let second = try Sampler(parameters: p, sampleableLimit: 200_013)
            var differ = 0
            for seed in 0..<400 as Range<UInt64> {
                first.reseed(seed)
                second.reseed(seed)
                if try first.sample(a) != second.sample(b) { differ += 1 }
            }
            XCTAssertLessThanOrEqual(differ, 4, "\(p): \(differ) of 400 seeded draws changed")
        }
    }

    /// The top-p test of a drawn id (mass before it < topP · total, decided by block bounds where they suffice)
    /// keeps exactly the reference's top-p set: for the ids around the cut, the top ones and random ones; with and
    /// without the bounds. Only ids at the very cut may differ (Float weights vs the reference's Double sums).
    func testTopPMembershipMatchesTheReference() throws {
        let settings = [
            SamplingParameters(temperature: 1, topP: 0.9), SamplingParameters(temperature: 1.3, topP: 0.5),
            SamplingParameters(temperature: 1, topP: 0.999), SamplingParameters(temperature: 0.7, topP: 0.95),
        ]
        for (n, scale, limit) in [(5000, 3.0, 5000), (20011, 1.0, 20000), (201_088, 2.5, 200_013)] {
            let x = logits(n, seed: UInt64(n), scale: scale)
            let banned: Set<Int32> = [0, 7, Int32(limit - 1), Int32(x.indices.max { x[$0] < x[$1] }!)]
            let tensor = Tensor(x, shape: [n])
            let order = (0..<Int32(limit)).filter { !banned.contains($0) }.sorted {
                x[Int($0)] > x[Int($1)] || (x[Int($0)] == x[Int($1)] && $0 < $1)
            }
            var rng = Xoshiro256StarStar(seed: 1)
            for p in settings {
                let support = Self.reference(x, p, limit: limit, banned: banned)
                let cut = support.count
                let slack = max(1, cut / 1000)
                var probe = Set(order.prefix(20))
                probe.formUnion(order[max(0, cut - 60)..<min(order.count, cut + 60)])
                for _ in 0..<150 { probe.insert(order[Int(rng.next() % UInt64(order.count))]) }
                let position = Dictionary(uniqueKeysWithValues: order.enumerated().map { ($1, $0) })
                for forceTotal in [false, true] {
                    let sampler = try Sampler(parameters: p, sampleableLimit: limit, bannedIDs: Array(banned))
                    var wrong = 0
                    for id in probe {
                        let kept = try sampler.keepsInNucleus(id, of: tensor, forceTotal: forceTotal)
                        guard kept != (support[id] != nil) else { continue }
                        wrong += 1
                        XCTAssertLessThanOrEqual(
                            abs(position[id]! - cut), slack, "n \(n) \(p): id \(id) at \(position[id]!)")
                    }
                    XCTAssertLessThanOrEqual(wrong, slack, "n \(n) \(p) forceTotal \(forceTotal)")
                    for id in banned { XCTAssertFalse(try sampler.keepsInNucleus(id, of: tensor)) }
                }
            }
        }
    }

    /// The sampler's weight 2^((x − top)·log2(e)/T) against e^((x − top)/T) in Double: within the rounding of the
    /// exponent (|y|·1.5e-7) and of the polynomial (3e-7); exactly 1 at the top, 0 far below and at −∞.
    func testWeightMatchesExp() {
        for t: Float in [0.3, 0.7, 1, 1.9] {
            let k = SamplerKernels.log2e / t
            var worst = 0.0
            var x: Float = -80
            while x <= 0 {
                let top: Float = 3.25
                let w = Double(SamplerKernels.weight(top + x, top: top, k: k))
                let exact = Foundation.exp(Double((top + x) - top) / Double(t))
                let y = Double(x) / Double(t) * 1.4426950408889634
                guard y > -124 else {
                    x += 0.0137
                    continue
                }
                worst = max(worst, abs(w - exact) / exact / (3e-7 + 1.5e-7 * abs(y)))
                x += 0.0137
            }
            XCTAssertLessThan(worst, 1, "T \(t)")
            XCTAssertEqual(SamplerKernels.weight(5, top: 5, k: k), 1)
            XCTAssertEqual(SamplerKernels.weight(-.infinity, top: 5, k: k), 0)
            XCTAssertEqual(SamplerKernels.weight(-1000, top: 5, k: k), 0)
        }
        // the vector and scalar forms agree
        let v = SIMD8<Float>(-3, -2.5, -1, -0.125, 0, -40, -7.75, -0.5)
        let w = SamplerKernels.weight(v, top: SIMD8(repeating: 0), k: SIMD8(repeating: SamplerKernels.log2e))
        for l in 0..<8 { XCTAssertEqual(w[l], SamplerKernels.weight(v[l], top: 0, k: SamplerKernels.log2e)) }
    }
}
