import CKernels
import OSSCore

extension BLASBackend {
    /// Baseline for benchmarks: one plain `cblas_sgemm`, row-major `c[M, N] = a[M, K] · b[N, K]ᵀ`, run with
    /// OpenBLAS's own threading at `threads` threads (then OpenBLAS is put back to one thread). Not used by any op.
    public static func directSGEMM(
        m: Int, n: Int, k: Int, a: UnsafePointer<Float>, bTransposed b: UnsafePointer<Float>,
        c: UnsafeMutablePointer<Float>, threads: Int
    ) {
        ck_sgemm_direct(Int64(m), Int64(n), Int64(k), a, b, 1, c, Int32(clamping: threads))
    }

    /// Baseline for benchmarks: one plain `cblas_sgemv`, `y[M] = a[M, N] · x[N]`, OpenBLAS's own threading at
    /// `threads` threads (then back to one thread).
    public static func directSGEMV(
        m: Int, n: Int, a: UnsafePointer<Float>, x: UnsafePointer<Float>,
        y: UnsafeMutablePointer<Float>, threads: Int
    ) {
        ck_sgemv_direct(Int64(m), Int64(n), a, x, y, Int32(clamping: threads))
    }
}
