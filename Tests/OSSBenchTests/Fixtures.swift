import Foundation
import OSSCore

@testable import OSSBench

/// Synthetic runs for reporter and compare tests (no timing involved).
enum Fixtures {
    static let ceilings = [
        Ceiling(threads: 1, fmaGFLOPS: 200, dramGBps: 20), Ceiling(threads: 2, fmaGFLOPS: 400, dramGBps: 35),
    ]

    static func machine(commit: String = "abc1234") -> MachineBlock {
        MachineBlock(
            cpuModel: "Test CPU, 2 cores", cores: 2, flags: ["avx2", "fma"], l3Bytes: 32 << 20,
            openblasConfig: "OpenBLAS 0.3.21 Zen", openblasCore: "Zen", openmpRuntime: "OpenMP 5.1",
            environment: ["OMP_WAIT_POLICY": "passive"], swiftVersion: "6.3", os: "Linux",
            gitCommit: commit, date: "2026-11-29T10:00:00Z")
    }

    /// A run with compute-bound, memory-bound and e2e cells; `slowdown` multiplies the samples of `slowCell`.
    static func run(slowdown: Double = 1, slowCell: String = "linear.qkv", commit: String = "abc1234") -> BenchRun {
        var results: [BenchResult] = []
        for backend in ["swift", "blas", "cblas"] {
            for t in [1, 2] {
                let c = ceilings[t - 1]
                let scale = backend == "swift" ? 1.2 : 1.0
                let gemm = OpCost.linear(tokens: 512, inFeatures: 2880, outFeatures: 5120, dtype: .f32, bias: false)
                let base = [1.0e8, 1.02e8, 0.98e8, 1.05e8, 1.0e8].map {
                    $0 * scale / Double(t) * (slowCell == "linear.qkv" ? slowdown : 1)
                }
                results.append(
                    BenchResult(
                        suite: .ops, test: "linear.qkv", op: "linear", backend: backend, threads: t,
                        dtype: "f32", shape: "T=512 2880→5120", m: 512, n: 5120, k: 2880, reps: 5, warmup: 1,
                        samplesNs: base, cost: gemm, ceiling: c, workingSetBytes: 2e8))
                guard backend != "cblas" else { continue }
                let gemv = OpCost.linear(tokens: 1, inFeatures: 2880, outFeatures: 5120, dtype: .bf16, bias: true)
                let s = [1.5e6, 1.6e6, 1.4e6].map { $0 * scale * (slowCell == "linear.qkv.bf16" ? slowdown : 1) }
                results.append(
                    BenchResult(
                        suite: .ops, test: "linear.qkv", op: "linear", backend: backend, threads: t,
                        dtype: "bf16", shape: "T=1 2880→5120", m: 1, n: 5120, k: 2880, reps: 3, warmup: 1,
                        samplesNs: s, cost: gemv, ceiling: c, workingSetBytes: 1.5e8))
                let tg = [9e6, 9.5e6, 8.8e6, 9.1e6].map { $0 * scale }
                results.append(
                    BenchResult(
                        suite: .e2e, test: "tg128", op: "decode", backend: backend, threads: t,
                        dtype: "bf16+mxfp4", shape: "mini g=128", m: 128, n: 0, k: 0, reps: 1, warmup: 1,
                        samplesNs: tg, cost: OpCost(flops: 5e8, bytes: 1.5e8), ceiling: c,
                        workingSetBytes: 4.3e8, tokensPerRep: 1, bound: .memory))
            }
        }
        let header = RunHeader(
            runID: "2026-11-29-1000-\(commit)", machine: machine(commit: commit),
            roofline: Roofline(ceilings: ceilings, dramProbeBytes: 1 << 30, fmaIterations: 1000),
            command: ["oss", "bench", "--default"])
        return BenchRun(header: header, results: results)
    }

    /// `run` plus `read` reference rows for its bf16 T = 1 qkv cells at 1 and 2 threads (median 1.2 ms; the blas
    /// cells' median is 1.5 ms, swift's 1.8 ms).
    static func runWithReadRows(slowdown: Double = 1) -> BenchRun {
        var r = run()
        for t in [1, 2] {
            let bytes = 5120.0 * 2880 * DType.bf16.bytesPerWeight
            r.results.append(
                BenchResult(
                    suite: .ops, test: "linear.qkv", op: "linear", backend: "read", threads: t,
                    dtype: "bf16", shape: "T=1 2880→5120", m: 1, n: 5120, k: 2880, reps: 3, warmup: 1,
                    samplesNs: [1.2e6, 1.25e6, 1.15e6].map { $0 * slowdown },
                    cost: OpCost(flops: 0, bytes: bytes), ceiling: ceilings[t - 1], workingSetBytes: 1.5e8))
        }
        return r
    }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ossbench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
