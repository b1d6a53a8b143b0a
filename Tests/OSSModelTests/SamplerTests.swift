import BLASBackend
import OSSCore
import OSSModel
import SwiftBackend
import XCTest

/// Sampler: greedy = argmax, temperature 0 = greedy, seeded reproducibility, masking under every filter.
final class SamplerTests: XCTestCase {
    static let backends: [any Backend] = [SwiftBackend(threads: 2), BLASBackend(threads: 2)]

    /// Logits with a clear order and some large values on ids that must stay masked.
    func logits(_ n: Int, seed: UInt64) -> Tensor {
        var rng = Xoshiro256StarStar(seed: seed)
        let values = (0..<n).map { _ in Float(rng.nextUnit() * 8 - 4) }
        return Tensor(values, shape: [n])
    }

    func testGreedyIsArgmaxAndTemperatureZeroIsGreedy() throws {
        for backend in Self.backends {
            for seed in 0..<20 as Range<UInt64> {
                let x = logits(1000, seed: seed)
                let expected = x.toArray().indices.max { x.toArray()[$0] < x.toArray()[$1] }!
                let greedy = try Sampler(parameters: .greedy, sampleableLimit: 1000)
                XCTAssertEqual(try greedy.sample(x, backend: backend), Int32(expected))
                let zero = try Sampler(
                    parameters: SamplingParameters(temperature: 0, topK: 5, topP: 0.5, minP: 0.2, seed: seed),
                    sampleableLimit: 1000)
                XCTAssertEqual(try zero.sample(x, backend: backend), Int32(expected))
            }
        }
    }

    func testMaskedIDsAreNeverReturned() throws {
        let n = 300
        let limit = 200
        let banned: [Int32] = [0, 5, 17, 42, 199]
        for backend in Self.backends {
            for seed in 0..<10 as Range<UInt64> {
                let x = logits(n, seed: seed + 100)
                // Make masked ids the most likely ones.
                for id in banned { x.pointer[Int(id)] = 50 + Float(id) }
                for id in limit..<n { x.pointer[id] = 40 }
                let settings: [SamplingParameters] = [
                    .greedy,
                    SamplingParameters(temperature: 1, seed: seed),
                    SamplingParameters(temperature: 5, seed: seed),
                    SamplingParameters(temperature: 1, topK: 3, seed: seed),
                    SamplingParameters(temperature: 2, topK: 50, topP: 0.9, seed: seed),
                    SamplingParameters(temperature: 1, topP: 0.5, seed: seed),
                    SamplingParameters(temperature: 10, topP: 0.999, seed: seed),
                    SamplingParameters(temperature: 1, minP: 0.05, seed: seed),
                    SamplingParameters(temperature: 3, topK: 20, minP: 0.5, seed: seed),
                ]
                for p in settings {
                    let sampler = try Sampler(parameters: p, sampleableLimit: limit, bannedIDs: banned)
                    for _ in 0..<30 {
                        let id = try sampler.sample(x, backend: backend)
                        XCTAssertTrue(id >= 0 && id < limit, "\(p): \(id) past the limit")
                        XCTAssertFalse(banned.contains(id), "\(p): banned \(id)")
                    }
                }
            }
        }
    }

    /// Logits at +∞ (a hostile or broken model) take all the mass, shared uniformly among the allowed ones, for every
    /// setting; a banned +∞ id is never returned.
    func testInfiniteLogitsShareTheMass() throws {
        let x = logits(3000, seed: 77)
        for id in [40, 1500, 2999] { x.pointer[id] = .infinity }
        x.pointer[7] = -.infinity
        let settings: [SamplingParameters] = [
            .greedy, SamplingParameters(temperature: 1, seed: 1),
            SamplingParameters(temperature: 0.5, topP: 0.9, seed: 2),
            SamplingParameters(temperature: 1, topK: 5, seed: 3),
            SamplingParameters(temperature: 1, minP: 0.1, seed: 4),
        ]
        for p in settings {
            let sampler = try Sampler(parameters: p, sampleableLimit: 3000, bannedIDs: [1500])
            var seen = Set<Int32>()
            for _ in 0..<200 { seen.insert(try sampler.sample(x)) }
            if p.isGreedy {
                XCTAssertEqual(seen, [40], "\(p)")
            } else {
                XCTAssertEqual(seen, [40, 2999], "\(p)")
            }
        }
    }

    func testSeededSamplingIsReproducible() throws {
        let x = logits(1000, seed: 9)
        for backend in Self.backends {
            for p in [
                SamplingParameters(temperature: 1.3, seed: 1234),
                SamplingParameters(temperature: 0.8, topK: 40, topP: 0.9, seed: 99),
                SamplingParameters(temperature: 1, topP: 0.7, minP: 0.01, seed: 5),
            ] {
                let a = try Sampler(parameters: p, sampleableLimit: 1000)
                let b = try Sampler(parameters: p, sampleableLimit: 1000)
                let runA = try (0..<100).map { _ in try a.sample(x, backend: backend) }
                let runB = try (0..<100).map { _ in try b.sample(x, backend: backend) }
                XCTAssertEqual(runA, runB)
                XCTAssertGreaterThan(Set(runA).count, 1, "temperature sampling should vary across draws")
                a.reseed(p.seed)
                XCTAssertEqual(try (0..<100).map { _ in try a.sample(x, backend: backend) }, runA)
            }
        }
        // Both backends give the same draws for the same seed.
        let p = SamplingParameters(temperature: 1, topK: 10, seed: 77)
        let draws = try Self.backends.map { backend in
            let s = try Sampler(parameters: p, sampleableLimit: 1000)
            return try (0..<100).map { _ in try s.sample(x, backend: backend) }
        }
        XCTAssertEqual(draws[0], draws[1])
    }

    func testFiltersKeepTheRightCandidates() throws {
        let backend = Self.backends[0]
        // Probabilities at temperature 1: softmax of [ln 0.5, ln 0.3, ln 0.15, ln 0.05] = [0.5, 0.3, 0.15, 0.05].
        let x = Tensor([0.5, 0.3, 0.15, 0.05].map { Float(log($0)) }, shape: [4])
        func seen(_ p: SamplingParameters) throws -> Set<Int32> {
            let s = try Sampler(parameters: p, sampleableLimit: 4)
            return Set(try (0..<400).map { _ in try s.sample(x, backend: backend) })
        }
        XCTAssertEqual(try seen(SamplingParameters(topK: 2, seed: 1)), [0, 1])
        XCTAssertEqual(try seen(SamplingParameters(topK: 1, seed: 1)), [0])
        XCTAssertEqual(try seen(SamplingParameters(topP: 0.75, seed: 2)), [0, 1])  // 0.5 + 0.3 ≥ 0.75
        XCTAssertEqual(try seen(SamplingParameters(topK: 4, topP: 0.9, seed: 2)), [0, 1, 2])
        XCTAssertEqual(try seen(SamplingParameters(minP: 0.25, seed: 3)), [0, 1, 2])  // ≥ 0.125
        XCTAssertEqual(try seen(SamplingParameters(topK: 4, minP: 0.5, seed: 3)), [0, 1])  // ≥ 0.25
        XCTAssertEqual(try seen(SamplingParameters(seed: 4)), [0, 1, 2, 3])
        // Frequencies follow the probabilities (loose bound: 4000 draws, 4 σ ≈ 0.03).
        let s = try Sampler(parameters: SamplingParameters(seed: 11), sampleableLimit: 4)
        var counts = [0, 0, 0, 0]
        for _ in 0..<4000 { counts[Int(try s.sample(x, backend: backend))] += 1 }
        for (i, p) in [0.5, 0.3, 0.15, 0.05].enumerated() {
            XCTAssertEqual(Double(counts[i]) / 4000, p, accuracy: 0.035)
        }
    }

    func testBadParametersAndInputsAreTypedErrors() throws {
        XCTAssertThrowsError(try Sampler(parameters: SamplingParameters(topP: 0), sampleableLimit: 10))
        XCTAssertThrowsError(try Sampler(parameters: SamplingParameters(topK: -1), sampleableLimit: 10))
        XCTAssertThrowsError(try Sampler(parameters: SamplingParameters(minP: 2), sampleableLimit: 10))
        XCTAssertThrowsError(try Sampler(parameters: SamplingParameters(temperature: .nan), sampleableLimit: 10))
        XCTAssertThrowsError(try Sampler(parameters: .greedy, sampleableLimit: 2, bannedIDs: [0, 1])) {
            guard case .nothingToSample = $0 as? SamplerError else { return XCTFail("\($0)") }
        }
        let nan = Tensor([0, .nan, 1], shape: [3])
        let s = try Sampler(parameters: SamplingParameters(seed: 1), sampleableLimit: 3)
        XCTAssertThrowsError(try s.sample(nan, backend: Self.backends[0])) {
            XCTAssertEqual($0 as? SamplerError, .notANumber(index: 1))
        }
    }
}
