import BLASBackend
import OSSBackends
import OSSCore
import SwiftBackend

/// The backends the conformance suite checks. Adding a backend is one line in `factories`.
enum ConformanceBackends {
    /// Every backend under test, each run with every count in `threadCounts`. `blas-scalar` is the BLAS backend
    /// with its portable scalar C kernels forced instead of the AVX2+FMA ones (switched on around each call only).
    /// On AVX-512 CPUs `blas` runs the 512-bit kernels, so `blas-avx2` (AVX-512 or AVX-VNNI CPUs) holds every kernel
    /// on its 256-bit AVX2 path without AVX-VNNI (the path of Haswell … Zen 3: AVX2 MXFP4 GEMV, the 8-bit `vpmaddubsw`
    /// GEMVs of Q8_0 and the block types, the AVX2 8-bit `vpmaddubsw` GEMM tiles of MXFP4 and the block types, OpenBLAS
    /// for the other GEMMs) and `blas-avx-vnni` (AVX-512 CPUs with AVX-VNNI) on the AVX2 path with AVX-VNNI (those
    /// tiles on `vpdpbusd ymm`, as Intel client cores run them); `blas-avx2-x16` (every AVX2 CPU) also keeps those GEMVs on unrounded activations (16-bit fixed
    /// point, Q8_0 in float: `BLASBackend.avx2Int8GEMV` off, the path exact-x callers and `--gemv-path avx2` take; float
    /// tiles + OpenBLAS for every GEMM); and `blas-own` forces our GEMM for every
    /// weight dtype (`blas` takes it for f32 only where OpenBLAS lacks an AVX-512 kernel) with VNNI held off (so MXFP4
    /// and Q8_0 run its float32 microkernel, as on AVX-512 CPUs without VNNI, instead of the VNNI tiles `blas` runs)
    /// and BF16 on the float32 microkernel too, where `blas` runs the default `vdpbf16ps` GEMM on AVX512-BF16 CPUs;
    /// `blas-gemv256` / `blas-gemv512` (AVX-512 CPUs) run the one-vector float GEMV on the path the CPU does not take
    /// by default (`BLASBackend.floatGEMV512`); `blas-vpshufb` (only on VNNI+VBMI CPUs) holds the 512-bit MXFP4 GEMV on the lookup of VNNI CPUs without VBMI;
    /// `blas-int16` (VNNI CPUs) runs the GEMM of MXFP4 and the GGUF block types on the 16-bit fixed-point tiles
    /// instead of the default 8-bit ones; `blas-int8-gemv` (VNNI CPUs) runs MXFP4's GEMV on 8-bit activations
    /// (`BLASBackend.int8GEMV`, opt-in) instead of the default 16-bit fixed point. `auto` routes each op to
    /// one of the two backends by its default tuning profile.
    static let factories: [BackendFactory] =
        [
            BackendFactory("swift") { SwiftBackend(threads: $0) },
            BackendFactory("blas") { BLASBackend(threads: $0) },
            BackendFactory(
                "blas-scalar", enter: { BLASBackend.forceScalarKernels = true },
                leave: { BLASBackend.forceScalarKernels = false }
            ) { BLASBackend(threads: $0) },
            BackendFactory("auto") { AutoBackend(threads: $0) },
        ]
        + (BLASBackend.usingAVX2Kernels
            ? [
                BackendFactory(
                    "blas-avx2-x16",
                    enter: {
                        BLASBackend.disableAVX512 = true
                        BLASBackend.avx2Int8GEMV = false
                    },
                    leave: {
                        BLASBackend.disableAVX512 = false
                        BLASBackend.avx2Int8GEMV = true
                    }
                ) { BLASBackend(threads: $0) }
            ] : [])
        + (BLASBackend.cpuHasAVX512 || BLASBackend.cpuHasAVXVNNI
            ? [
                BackendFactory(
                    "blas-avx2",
                    enter: {
                        BLASBackend.disableAVX512 = true
                        BLASBackend.disableAVXVNNI = true
                    },
                    leave: {
                        BLASBackend.disableAVX512 = false
                        BLASBackend.disableAVXVNNI = false
                    }
                ) { BLASBackend(threads: $0) }
            ] : [])
        + (BLASBackend.cpuHasAVX512 && BLASBackend.cpuHasAVXVNNI
            ? [
                BackendFactory(
                    "blas-avx-vnni", enter: { BLASBackend.disableAVX512 = true },
                    leave: { BLASBackend.disableAVX512 = false }
                ) { BLASBackend(threads: $0) }
            ] : [])
        + (BLASBackend.cpuHasAVX512
            ? [
                BackendFactory(
                    "blas-own",
                    enter: {
                        BLASBackend.gemmOverride = .own
                        BLASBackend.bf16DotProducts = false
                        BLASBackend.disableVNNI = true
                    },
                    leave: {
                        BLASBackend.gemmOverride = .auto
                        BLASBackend.bf16DotProducts = true
                        BLASBackend.disableVNNI = false
                    }
                ) {
                    BLASBackend(threads: $0)
                },
                // the one-vector float GEMV path the CPU does not take by default (Zen 4: the 512-bit single rows; others: the
                // 256-bit rows), so both run wherever AVX-512 exists
                BackendFactory(
                    BLASBackend.usingFloatGEMV512 ? "blas-gemv256" : "blas-gemv512",
                    enter: { BLASBackend.floatGEMV512 = !BLASBackend.cpuHasFullWidth512 },
                    leave: { BLASBackend.floatGEMV512 = nil }
                ) { BLASBackend(threads: $0) },
            ] : [])
        + (BLASBackend.usingVNNIKernels
            ? [
                BackendFactory(
                    "blas-int16", enter: { BLASBackend.int8GEMM = false },
                    leave: { BLASBackend.int8GEMM = true }
                ) { BLASBackend(threads: $0) },
                BackendFactory(
                    "blas-int8-gemv", enter: { BLASBackend.int8GEMV = true },
                    leave: { BLASBackend.int8GEMV = false }
                ) { BLASBackend(threads: $0) },
            ] : [])
        + (BLASBackend.cpuHasVBMI
            ? [
                BackendFactory(
                    "blas-vpshufb", enter: { BLASBackend.disableVBMI = true },
                    leave: { BLASBackend.disableVBMI = false }
                ) { BLASBackend(threads: $0) }
            ] : [])

    /// Thread counts every backend is run with.
    static let threadCounts = [1, 2]

    /// One runner per factory and thread count, built once for the whole test process.
    static let runners: [BackendRunner] = factories.flatMap { f in threadCounts.map { BackendRunner(f, threads: $0) } }
}

extension ConformanceBackends {
    /// Whether `backend` (BLAS, or auto routing `linear` of this dtype and T to BLAS) rounds the activations of a
    /// linear on `rows` rows of a `dtype` weight to bf16 right now (the `vdpbf16ps` GEMM; see
    /// `Tolerance.linearBF16Dot`).
    static func roundsActivationsToBF16(_ backend: any Backend, dtype: DType, rows: Int) -> Bool {
        if let auto = backend as? AutoBackend {
            return roundsActivationsToBF16(auto.route(.linear, dtype: dtype, tokens: rows), dtype: dtype, rows: rows)
        }
        return (backend as? BLASBackend)?.linearRoundsActivationsToBF16(dtype: dtype, rows: rows) ?? false
    }

    /// Whether `backend` (BLAS, or auto routing `op` of this dtype and T to BLAS) rounds the activations of a linear
    /// on `rows` rows of a `dtype` weight to 8 bits right now (the K-quants' VNNI GEMV, the block types' 8-bit VNNI
    /// GEMM; see `Tolerance.linearInt8`). For `moe`, ask for rows = 1 (its expert groups run the GEMV whenever a group
    /// is small enough) and for the whole T (a group as large reaches the GEMM).
    static func roundsActivationsToInt8(_ backend: any Backend, op: OpKind = .linear, dtype: DType, rows: Int) -> Bool {
        if let auto = backend as? AutoBackend {
            return roundsActivationsToInt8(auto.route(op, dtype: dtype, tokens: rows), op: op, dtype: dtype, rows: rows)
        }
        return (backend as? BLASBackend)?.linearRoundsActivationsToInt8(dtype: dtype, rows: rows) ?? false
    }
}
