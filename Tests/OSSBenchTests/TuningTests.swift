import BLASBackend
import OSSBackends
import OSSCore
import OSSModel
import SwiftBackend
import XCTest

@testable import OSSBench

final class TuningTests: XCTestCase {
    private let profile = TuningProfile(
        cpuModel: "Test CPU", created: "2026-11-29T10:00:00Z", threads: 2,
        routes: [
            "linear.f32": [RouteRule(minTokens: 4, backend: .blas), RouteRule(minTokens: 1, backend: .swift)],
            "linear": [RouteRule(minTokens: 1, backend: .blas)],
            "rmsNorm": [RouteRule(minTokens: 1, backend: .swift)],
        ],
        fallback: .blas, bestThreads: ["gemv": 2, "gemm": 2], crossovers: ["linear.f32": 4])

    func testProfileJSONRoundTrip() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("nested/tuning.json")
        try profile.write(to: url)
        XCTAssertEqual(try TuningProfile.load(from: url), profile)
        XCTAssertEqual(profile.routes["linear.f32"]?.map(\.minTokens), [1, 4], "rules sorted by T")
        try Data("{".utf8).write(to: url)
        XCTAssertThrowsError(try TuningProfile.load(from: url))
    }

    func testRuleLookup() {
        XCTAssertEqual(profile.backend(for: .linear, dtype: .f32, tokens: 1), .swift)
        XCTAssertEqual(profile.backend(for: .linear, dtype: .f32, tokens: 3), .swift)
        XCTAssertEqual(profile.backend(for: .linear, dtype: .f32, tokens: 4), .blas)
        XCTAssertEqual(profile.backend(for: .linear, dtype: .bf16, tokens: 1), .blas, "falls back to the op rule")
        XCTAssertEqual(profile.backend(for: .rmsNorm, dtype: nil, tokens: 7), .swift)
        XCTAssertEqual(profile.backend(for: .attention, dtype: nil, tokens: 1), .blas, "fallback")
        XCTAssertEqual(TuningProfile.default.backend(for: .linear, dtype: .mxfp4, tokens: 512), .blas)
        var odd = profile
        odd.routes["bogus.f32"] = [RouteRule(minTokens: 1, backend: .swift)]
        odd.routes["linear.q4_k"] = [RouteRule(minTokens: 1, backend: .swift)]
        odd.routes["attention"] = [RouteRule(minTokens: 1, backend: .auto)]
        let table = RoutingTable(odd)
        XCTAssertEqual(table.backend(for: .linear, dtype: .q8_0, tokens: 1), .blas, "unknown keys are ignored")
        XCTAssertEqual(table.backend(for: .attention, dtype: nil, tokens: 1), .blas, "auto resolves to the fallback")
        XCTAssertEqual(table.backend(for: .linear, dtype: .f32, tokens: 100), .blas)
    }

    func testAutoBackendFollowsTheProfileAndMatchesTheChosenBackend() throws {
        let auto = AutoBackend(threads: 1, profile: profile)
        XCTAssertEqual(auto.name, "auto")
        XCTAssertTrue(auto.route(.linear, dtype: .f32, tokens: 1) === auto.swift)
        XCTAssertTrue(auto.route(.linear, dtype: .f32, tokens: 8) === auto.blas)
        XCTAssertTrue(auto.route(.rmsNorm, tokens: 8) === auto.swift)

        let w = try WeightTensor.encode(
            (0..<(24 * 64)).map { Float($0 % 13) * 0.01 - 0.05 }, shape: [24, 64], dtype: .f32)
        for t in [1, 8] {
            let x = Tensor((0..<(t * 64)).map { Float($0 % 7) * 0.1 }, shape: [t, 64])
            let viaAuto = Tensor(zeros: [t, 24])
            let direct = Tensor(zeros: [t, 24])
            try auto.linear(x, weight: w, bias: nil, out: viaAuto)
            let chosen: any Backend = t < 4 ? SwiftBackend(threads: 1) : BLASBackend(threads: 1)
            try chosen.linear(x, weight: w, bias: nil, out: direct)
            XCTAssertEqual(viaAuto.toArray(), direct.toArray(), "T=\(t) must be computed by \(chosen.name)")
        }
        XCTAssertEqual(try BackendKind.auto.make(threads: 1, profile: profile).name, "auto")
        XCTAssertThrowsError(try BackendKind.swift.make(threads: 0))
    }

    func testTunerDerivesCrossoversAndThreads() {
        let tuner = Tuner(threads: [1, 2], dtypes: [.f32], linearTokens: [1, 4, 16])
        func m(_ key: String, _ t: Int, _ threads: Int, swift: Double, blas: Double) -> Tuner.Measurement {
            Tuner.Measurement(key: key, tokens: t, threads: threads, bestNs: ["swift": swift, "blas": blas])
        }
        let ms = [
            m("linear.f32", 1, 2, swift: 100, blas: 150), m("linear.f32", 4, 2, swift: 200, blas: 201),
            m("linear.f32", 16, 2, swift: 800, blas: 400),
            m("linear.f32", 1, 1, swift: 90, blas: 140), m("linear.f32", 4, 1, swift: 300, blas: 300),
            m("linear.f32", 16, 1, swift: 1600, blas: 800),
            m("rmsNorm", 1, 2, swift: 10, blas: 5), m("rmsNorm", 1, 1, swift: 4, blas: 6),
        ]
        let p = tuner.profile(from: ms, cpuModel: "cpu", date: "d")
        XCTAssertEqual(p.threads, 2)
        XCTAssertEqual(
            p.routes["linear.f32"],
            [RouteRule(minTokens: 1, backend: .swift), RouteRule(minTokens: 16, backend: .blas)])
        XCTAssertEqual(p.crossovers["linear.f32"], 16)
        XCTAssertEqual(p.routes["rmsNorm"], [RouteRule(minTokens: 1, backend: .blas)])
        XCTAssertEqual(p.bestThreads["gemv"], 1, "T=1: 90 ns on 1 thread beats 100 ns on 2")
        XCTAssertEqual(p.bestThreads["gemm"], 2)
        XCTAssertEqual(p.bestThreads["rmsNorm"], 1)
        XCTAssertTrue(Tuner.markdown(ms, profile: p).contains("linear.f32: T≥1 swift, T≥16 blas"))
    }

    func testProfileCarriesPrefillAndDecodeThreadsForItsOwnCPUOnly() throws {
        let tuner = Tuner(threads: [1, 2], dtypes: [.bf16], linearTokens: [1, 64])
        func m(_ key: String, _ t: Int, _ threads: Int, _ ns: Double) -> Tuner.Measurement {
            Tuner.Measurement(key: key, tokens: t, threads: threads, bestNs: ["swift": ns * 2, "blas": ns])
        }
        // decode cells (T = 1) are faster on 1 thread in sum, prefill cells (T ≥ 64) on 2.
        let ms = [
            m("linear.bf16", 1, 1, 100), m("linear.bf16", 1, 2, 95), m("moe.bf16", 1, 1, 300),
            m("moe.bf16", 1, 2, 320), m("linear.bf16", 64, 1, 1000), m("linear.bf16", 64, 2, 520),
        ]
        var p = tuner.profile(from: ms, cpuModel: "cpu A", date: "d")
        XCTAssertEqual(p.prefillThreads, 2)
        XCTAssertEqual(p.decodeThreads, 1, "395 ns on 1 thread against 415 on 2")
        XCTAssertEqual(p.threadsMeasuredOn, "ops")
        XCTAssertTrue(p.modelThreads(onCPU: "cpu A")! == (2, 1))
        XCTAssertNil(p.modelThreads(onCPU: "cpu B"), "a profile from another CPU says nothing about this one")
        XCTAssertTrue(Tuner.markdown(ms, profile: p).contains("Model commands: prefill 2 threads, decode 1 threads"))
        // JSON round trip, and a profile written before the fields existed still reads
        let data = try JSONEncoder().encode(p)
        XCTAssertEqual(try JSONDecoder().decode(TuningProfile.self, from: data), p)
        p.prefillThreads = nil
        p.decodeThreads = nil
        let old = try JSONDecoder().decode(TuningProfile.self, from: try JSONEncoder().encode(p))
        XCTAssertNil(old.modelThreads(onCPU: "cpu A"))
    }

    func testModelSweepTimesEveryThreadCountAndPicksTheFastest() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sweep-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try SyntheticModel.write(.tiny, to: dir)
        let sweep = ModelThreadSweep(threads: [1, 2], promptTokens: 8, decodeTokens: 3, reps: 1)
        var lines: [String] = []
        let (label, points) = try sweep.measure(model: dir.path, log: { lines.append($0) })
        XCTAssertEqual(points.map(\.threads), [1, 2])
        XCTAssertEqual(label, dir.lastPathComponent)
        for p in points {
            XCTAssertTrue(p.prefillTokensPerSecond.isFinite && p.prefillTokensPerSecond > 0)
            XCTAssertTrue(p.decodeTokensPerSecond.isFinite && p.decodeTokensPerSecond > 0)
        }
        XCTAssertEqual(lines.count, 2)
        let made = [
            ModelThreadSweep.Point(threads: 1, prefillTokensPerSecond: 10, decodeTokensPerSecond: 9),
            ModelThreadSweep.Point(threads: 2, prefillTokensPerSecond: 19, decodeTokensPerSecond: 9),
        ]
        let best = try XCTUnwrap(ModelThreadSweep.fastest(made))
        XCTAssertEqual(best.prefill, 2)
        XCTAssertEqual(best.decode, 1, "a tie keeps fewer threads")
        XCTAssertThrowsError(try ModelThreadSweep(threads: [0]).measure(model: dir.path, log: { _ in }))
        XCTAssertThrowsError(try sweep.measure(model: dir.appendingPathComponent("missing").path, log: { _ in }))
    }

    func testNoisyLadderGivesAtMostOneCrossoverAboveT1() {
        func m(_ t: Int, swift: Double, blas: Double) -> Tuner.Measurement {
            Tuner.Measurement(key: "linear.q8_0", tokens: t, threads: 2, bestNs: ["swift": swift, "blas": blas])
        }
        // blas wins at T = 1, swift at 2…16 except one noisy point at T = 4, blas from 64 on.
        let ladder = [
            m(1, swift: 120, blas: 100), m(2, swift: 100, blas: 130), m(4, swift: 105, blas: 100),
            m(16, swift: 100, blas: 150), m(64, swift: 300, blas: 200), m(512, swift: 3000, blas: 2000),
        ]
        XCTAssertEqual(
            Tuner.rules(ladder),
            [
                RouteRule(minTokens: 1, backend: .blas), RouteRule(minTokens: 2, backend: .swift),
                RouteRule(minTokens: 64, backend: .blas),
            ])
        XCTAssertEqual(Tuner.rules([m(1, swift: 10, blas: 20)]), [RouteRule(minTokens: 1, backend: .swift)])
        XCTAssertNil(Tuner.rules([]))
    }

    func testReferenceFiguresAreNeverARoutingTarget() {
        // A cblas or read figure faster than both backends must not win, route or pick the thread count.
        let m = Tuner.Measurement(
            key: "linear.f32", tokens: 1, threads: 1,
            bestNs: ["swift": 30, "blas": 20, "cblas": 10, "read": 5])
        XCTAssertEqual(m.winner, "blas")
        let slow = Tuner.Measurement(
            key: "linear.f32", tokens: 1, threads: 2,
            bestNs: ["swift": 25, "blas": 40, "cblas": 1, "read": 1])
        XCTAssertEqual(Tuner.rules([m]), [RouteRule(minTokens: 1, backend: .blas)])
        let profile = Tuner(threads: [1, 2]).profile(from: [m, slow], cpuModel: "Test CPU", date: "2026-11-29")
        XCTAssertEqual(profile.bestThreads["gemv"], 1, "20 ns (blas, 1 thread) beats 25 ns (swift, 2 threads)")
    }

    /// `oss tune` keeps, per linear dtype, the BLAS GEMM path with the smaller summed best time over the measured T
    /// (at the routing thread count); the forced-path figures never route; `AutoBackend` hands the choice to its BLAS
    /// member, and a profile without the field decodes with the built-in rule.
    func testTunerPicksTheGEMMPathPerDType() throws {
        let cblas = Tuner.gemmPathNames[.cblas]!
        let own = Tuner.gemmPathNames[.own]!
        func m(_ key: String, _ t: Int, _ threads: Int, cblas c: Double, own o: Double) -> Tuner.Measurement {
            Tuner.Measurement(
                key: key, tokens: t, threads: threads,
                bestNs: ["swift": 900, "blas": 500, cblas: c, own: o])
        }
        let ms = [
            m("linear.bf16", 64, 2, cblas: 100, own: 80), m("linear.bf16", 512, 2, cblas: 1000, own: 700),
            m("linear.f32", 64, 2, cblas: 90, own: 100), m("linear.f32", 512, 2, cblas: 900, own: 950),
            m("linear.f32", 512, 1, cblas: 5000, own: 100),
        ]  // another thread count: not the routing one
        XCTAssertEqual(ms[0].winner, "blas", "a forced-path figure is never a routing target")
        let p = Tuner(threads: [1, 2]).profile(from: ms, cpuModel: "cpu", date: "d")
        XCTAssertEqual(p.gemmPaths, ["bf16": .own, "f32": .cblas])
        XCTAssertTrue(Tuner.markdown(ms, profile: p).contains("bf16 own, f32 cblas"))
        XCTAssertNil(
            Tuner.gemmPaths([
                Tuner.Measurement(
                    key: "linear.f32", tokens: 1, threads: 1,
                    bestNs: ["blas": 1])
            ]))

        let auto = AutoBackend(threads: 1, profile: p)
        if BLASBackend.usingAVX512Kernels {
            XCTAssertEqual(auto.blas.gemmPath(for: .f32), .cblas)
            XCTAssertEqual(auto.blas.gemmPath(for: .bf16), .own)
        } else {
            XCTAssertEqual(auto.blas.gemmPath(for: .bf16), .cblas, "our GEMM needs AVX-512")
        }
        let old = try JSONDecoder().decode(
            TuningProfile.self,
            from: Data(
                #"""
                {"schema": 1, "cpuModel": "x", "created": "d", "threads": 1, "routes": {}, "fallback": "blas",
                 "bestThreads": {}, "crossovers": {}}
                """#.utf8))
        XCTAssertNil(old.gemmPaths)
    }

    func testOpsCaseRunsOnBothBackends() throws {
        // The smallest gpt-oss op (RMSNorm over 2880) prepared by the suite and run once per backend: outputs agree.
        let prepared = try OpsSuite.prepare(OpSpec(.rmsnorm, tokens: 2), cacheBytes: 32 << 20)
        XCTAssertEqual(prepared.cost.flops, 4 * 2 * 2880)
        try prepared.body(SwiftBackend(threads: 1), 0)
        try prepared.body(BLASBackend(threads: 2), 1)
    }
}
