import Benchmark
import BLASBackend
import OSSCore
import SwiftBackend

/// Inputs of one op benchmark, built once (outside the measured region) from seeded values.
private struct Inputs {
    /// `n` values in ±scale from a linear congruential sequence (deterministic across runs).
    static func values(_ n: Int, scale: Float = 0.05, seed: UInt32) -> [Float] {
        var s = seed &* 2_654_435_761 | 1
        return (0..<n).map { _ in
            s = s &* 1_664_525 &+ 1_013_904_223
            return (Float(s >> 8) / Float(1 << 24) * 2 - 1) * scale
        }
    }

    static func weight(out: Int, in k: Int, dtype: DType) throws -> WeightTensor {
        try WeightTensor.encode(values(out * k, seed: UInt32(out &+ k)), shape: [out, k], dtype: dtype)
    }

    static func tensor(_ rows: Int, _ cols: Int, seed: UInt32) -> Tensor {
        Tensor(values(rows * cols, scale: 1, seed: seed), shape: [rows, cols])
    }
}

/// Op benchmarks per backend at gpt-oss-20b shapes (the `oss bench` ops suite covers the full matrix with rooflines;
/// these give `swift package benchmark` baselines and thresholds for CI).
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        warmupIterations: 2,
        maxDuration: .seconds(2),
        maxIterations: 200,
        thresholds: [.wallClock: .relaxed, .mallocCountTotal: .relaxed])

    let backends: [any Backend] = [SwiftBackend(threads: 2), BLASBackend(threads: 2)]
    for backend in backends {
        // Decode-path linear (GEMV) per weight dtype: attention output 4096 → 2880.
        for dtype in [DType.f32, .bf16, .q8_0, .mxfp4] {
            Benchmark("linear T=1 4096→2880 \(dtype) \(backend.name)") { benchmark, state in
                for _ in benchmark.scaledIterations {
                    try backend.linear(state.x, weight: state.w, bias: nil, out: state.y)
                }
            } setup: {
                (x: Inputs.tensor(1, 4096, seed: 1), w: try Inputs.weight(out: 2880, in: 4096, dtype: dtype),
                 y: Tensor(zeros: [1, 2880]))
            }
        }
        // Prefill-path linear (GEMM): QKV 2880 → 5120 at T = 64.
        Benchmark("linear T=64 2880→5120 f32 \(backend.name)") { benchmark, state in
            for _ in benchmark.scaledIterations {
                try backend.linear(state.x, weight: state.w, bias: nil, out: state.y)
            }
        } setup: {
            (x: Inputs.tensor(64, 2880, seed: 2), w: try Inputs.weight(out: 5120, in: 2880, dtype: .f32),
             y: Tensor(zeros: [64, 5120]))
        }
        Benchmark("rmsNorm T=64 2880 \(backend.name)") { benchmark, state in
            for _ in benchmark.scaledIterations {
                try backend.rmsNorm(state.x, weight: state.g, eps: 1e-5, out: state.y)
            }
        } setup: {
            (x: Inputs.tensor(64, 2880, seed: 3), g: try Inputs.tensor(1, 2880, seed: 4).reshaped([2880]),
             y: Tensor(zeros: [64, 2880]))
        }
        // Decode attention with sinks over a 1024-position cache (64 query heads, 8 KV heads, head dim 64).
        Benchmark("attention T=1 kv=1024 \(backend.name)") { benchmark, state in
            for _ in benchmark.scaledIterations {
                try backend.attention(q: state.q, keys: state.k, values: state.v, sinks: state.sinks,
                                      params: state.params, out: state.out)
            }
        } setup: {
            (q: Inputs.tensor(1, 4096, seed: 5), k: Inputs.tensor(1024, 512, seed: 6), v: Inputs.tensor(1024, 512, seed: 7),
             sinks: try Inputs.tensor(1, 64, seed: 8).reshaped([64]),
             params: AttentionParams(heads: 64, kvHeads: 8, headDim: 64, scale: 0.125, firstPosition: 1023),
             out: Tensor(zeros: [1, 4096]))
        }
    }
}
