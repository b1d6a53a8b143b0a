import OSSCore
import XCTest

@testable import OSSBench

final class StatsAndCostTests: XCTestCase {
    func testPercentilesOfKnownSamples() {
        let s = SampleStatistics((1...100).map(Double.init).shuffled())
        XCTAssertEqual(s.count, 100)
        XCTAssertEqual(s.min, 1)
        XCTAssertEqual(s.max, 100)
        XCTAssertEqual(s.mean, 50.5, accuracy: 1e-12)
        XCTAssertEqual(s.median, 50.5, accuracy: 1e-12)
        XCTAssertEqual(s.p10, 10.9, accuracy: 1e-9)  // rank 0.1·99 = 9.9 → 10 + 0.9
        XCTAssertEqual(s.p90, 90.1, accuracy: 1e-9)
        XCTAssertEqual(s.p99, 99.01, accuracy: 1e-9)
        let odd = SampleStatistics([5, 1, 3])
        XCTAssertEqual(odd.median, 3)
        XCTAssertEqual(SampleStatistics([]).median, 0)
        XCTAssertEqual(SampleStatistics([7]).p99, 7)
    }

    func testLinearFLOPsAndBytes() {
        let f32 = OpCost.linear(tokens: 1, inFeatures: 2880, outFeatures: 5120, dtype: .f32, bias: true)
        XCTAssertEqual(f32.flops, 2 * 2880 * 5120 + 5120)
        XCTAssertEqual(f32.bytes, Double(5120 * 2880 * 4 + 4 * (2880 + 5120) + 4 * 5120))
        let mx = OpCost.linear(tokens: 512, inFeatures: 2880, outFeatures: 5760, dtype: .mxfp4, bias: false)
        XCTAssertEqual(mx.flops, 2 * 512 * 2880 * 5760)
        // 16 block bytes + 1 scale byte per 32 weights.
        XCTAssertEqual(mx.bytes, Double(5760 * 2880) * 17 / 32 + 4 * Double(512 * (2880 + 5760)))
        let q8 = OpCost.linear(tokens: 1, inFeatures: 64, outFeatures: 2, dtype: .q8_0, bias: false)
        XCTAssertEqual(q8.bytes, Double(2 * 2 * 34 + 4 * (64 + 2)))
    }

    func testBoundClassificationAndFraction() {
        let c = Ceiling(threads: 1, fmaGFLOPS: 100, dramGBps: 20)
        XCTAssertEqual(c.ridgeIntensity, 5)
        let gemv = OpCost.linear(tokens: 1, inFeatures: 2880, outFeatures: 5120, dtype: .f32, bias: false)
        let gemm = OpCost.linear(tokens: 512, inFeatures: 2880, outFeatures: 5120, dtype: .f32, bias: false)
        XCTAssertEqual(gemv.bound(under: c), .memory)
        XCTAssertEqual(gemm.bound(under: c), .compute)
        XCTAssertEqual(c.attainableGFLOPS(intensity: 1), 20)
        XCTAssertEqual(c.attainableGFLOPS(intensity: 50), 100)
        // 1 GB in 0.1 s = 10 GB/s = 50% of 20 GB/s.
        let r = BenchResult(
            suite: .ops, test: "x", op: "linear", backend: "blas", threads: 1, dtype: "f32", shape: "s",
            m: 1, n: 1, k: 1, reps: 1, warmup: 0, samplesNs: [1e8], cost: OpCost(flops: 1e8, bytes: 1e9),
            ceiling: c, workingSetBytes: 1e9)
        XCTAssertEqual(r.bound, .memory)
        XCTAssertEqual(r.gbps, 10, accuracy: 1e-9)
        XCTAssertEqual(r.rooflineFraction, 0.5, accuracy: 1e-12)
        XCTAssertEqual(r.ceiling, 20)
    }

    func testRooflineProbesRunOnSmallSizes() throws {
        // Tiny sizes so the test stays fast; this only checks that the probes run and return positive figures.
        let probe = RooflineProbe(l2Bytes: 256 << 10, l3Bytes: 8 << 20)
        let r = try probe.measure(threads: [1, 2], dramBytes: 4 << 20, fmaIterations: 20_000)
        XCTAssertEqual(r.ceilings.map(\.threads), [1, 2])
        for c in r.ceilings {
            XCTAssertGreaterThan(c.fmaGFLOPS, 0)
            XCTAssertGreaterThan(c.dramGBps, 0)
        }
        XCTAssertEqual(
            try probe.measure(threads: [2], dramBytes: 4 << 20, fmaIterations: 20_000).ceilings.first, r.ceilings[1],
            "second call reuses the cached figure")
        XCTAssertEqual(r.ceiling(threads: 3)?.threads, 2, "nearest measured thread count below")
    }

    func testDistinctExpertsMatchesTopK() throws {
        // Router with 4 experts on 32 features: expert e only sees feature e, so the top-2 of a one-hot-ish x are known.
        var w = [Float](repeating: 0, count: 4 * 32)
        for e in 0..<4 { w[e * 32 + e] = 1 }
        let router = try WeightTensor.encode(w, shape: [4, 32], dtype: .f32)
        var xs = [Float](repeating: 0, count: 2 * 32)
        xs[0] = 3
        xs[1] = 2  // token 0 → experts 0, 1
        xs[32 + 1] = 5
        xs[32 + 3] = 4  // token 1 → experts 1, 3
        let n = OpsSuite.distinctExperts(router: router, bias: Tensor(zeros: [4]), x: Tensor(xs, shape: [2, 32]), k: 2)
        XCTAssertEqual(n, 3)
    }
}

final class RescoreTests: XCTestCase {
    func testRescoringFollowsTheNewCeiling() {
        let low = Ceiling(threads: 1, fmaGFLOPS: 50, dramGBps: 10)
        let high = Ceiling(threads: 1, fmaGFLOPS: 100, dramGBps: 20)
        let r = BenchResult(
            suite: .ops, test: "x", op: "linear", backend: "blas", threads: 1, dtype: "f32", shape: "s",
            m: 1, n: 1, k: 1, reps: 1, warmup: 0, samplesNs: [1e8], cost: OpCost(flops: 1e8, bytes: 1e9),
            ceiling: low, workingSetBytes: 1e9)
        XCTAssertEqual(r.rooflineFraction, 1.0, accuracy: 1e-12)
        let again = r.rescored(under: high)
        XCTAssertEqual(again.rooflineFraction, 0.5, accuracy: 1e-12)
        XCTAssertEqual(again.ceiling, 20)
        XCTAssertEqual(again.stats, r.stats)
    }
}
