import BLASBackend
import OSSBackends
import OSSCore
import SwiftBackend

/// The backends the conformance suite checks. Adding a backend is one line in `factories`.
enum ConformanceBackends {
    /// Every backend under test, each run with every count in `threadCounts`. `blas-scalar` is the BLAS backend
    /// with its portable scalar C kernels forced instead of the AVX2+FMA ones (switched on around each call only),
    /// `blas-avx2` (only on AVX512-VNNI CPUs) the BLAS backend with its MXFP4 GEMV held on the AVX2 path,
    /// `blas-vpshufb` (only on VNNI+VBMI CPUs) with its 512-bit MXFP4 GEMV held on the lookup of VNNI CPUs without VBMI;
    /// `auto` routes each op to one of the two by its default tuning profile.
    static let factories: [BackendFactory] = [
        BackendFactory("swift") { SwiftBackend(threads: $0) },
        BackendFactory("blas") { BLASBackend(threads: $0) },
        BackendFactory("blas-scalar", enter: { BLASBackend.forceScalarKernels = true },
                       leave: { BLASBackend.forceScalarKernels = false }) { BLASBackend(threads: $0) },
        BackendFactory("auto") { AutoBackend(threads: $0) },
    ] + (BLASBackend.cpuHasVNNI ? [
        // where the CPU has AVX512 VNNI the MXFP4 GEMV takes that path; this runs its AVX2 vpmaddubsw path too
        BackendFactory("blas-avx2", enter: { BLASBackend.disableVNNI = true },
                       leave: { BLASBackend.disableVNNI = false }) { BLASBackend(threads: $0) },
    ] : []) + (BLASBackend.cpuHasVBMI ? [
        BackendFactory("blas-vpshufb", enter: { BLASBackend.disableVBMI = true },
                       leave: { BLASBackend.disableVBMI = false }) { BLASBackend(threads: $0) },
    ] : [])

    /// Thread counts every backend is run with.
    static let threadCounts = [1, 2]

    /// One runner per factory and thread count, built once for the whole test process.
    static let runners: [BackendRunner] = factories.flatMap { f in threadCounts.map { BackendRunner(f, threads: $0) } }
}
