import CKernels
import Foundation
import OSSCore

/// The OpenBLAS + OpenMP backend: every op runs in the C kernels of `CKernels`.
///
/// One thread pool: OpenBLAS is held at one thread and all parallelism is one LLVM libomp team of `threads` threads,
/// whose threads call `cblas_sgemm` / `cblas_sgemv` on their own slices (see DESIGN.md). Weights are decoded inside
/// the kernels (AVX2+FMA when the CPU has it, else a portable scalar path). Scratch lives in a C context owned by
/// the backend and grows on demand; no op allocates per call once warm. Ops on one instance are serialised by the
/// context's lock, so an instance may be shared between Swift threads.
public final class BLASBackend: Backend, @unchecked Sendable {
    public let name = "blas"
    /// OpenMP threads each op runs with (≥ 1).
    public let threads: Int
    /// The C kernel context (per-thread scratch). nil only if its allocation failed; ops then throw.
    let context: OpaquePointer?

    /// A backend running every op on `threads` OpenMP threads (default: all online cores).
    public init(threads: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.threads = max(1, threads)
        context = ck_context_create(Int32(clamping: self.threads))
    }

    deinit { ck_context_destroy(context) }

    /// Puts the kernels' idle OpenMP workers (a team of up to `threads`) to sleep now. After each call they otherwise
    /// spin for KMP_BLOCKTIME (200 ms by default) and take cores from work on another threading runtime that runs
    /// next: the Swift backend's worker pool ran a 2-thread MXFP4 GEMV no faster than on one thread there. The next
    /// call wakes them (tens of µs, once). Process-wide.
    public static func quietIdleWorkers(threads: Int) { ck_quiet_workers(Int32(clamping: threads)) }

    /// How long idle OpenMP workers spin after a call before they sleep, in ms (libomp's blocktime: KMP_BLOCKTIME,
    /// 200 by default).
    public static var idleSpinMilliseconds: Int { Int(ck_worker_blocktime()) }

    /// Forces the portable scalar kernels instead of the AVX2+FMA ones (process-wide, all BLASBackend instances),
    /// so tests can check both paths. OpenBLAS's own kernels are not affected. Default false.
    public static var forceScalarKernels: Bool {
        get { ck_get_force_scalar() != 0 }
        set { ck_set_force_scalar(newValue ? 1 : 0) }
    }

    /// Whether the kernels run their AVX2+FMA path right now (CPU support and `forceScalarKernels` off).
    public static var usingAVX2Kernels: Bool { ck_using_avx2() != 0 }

    /// Keeps the MXFP4 GEMV on its AVX2 `vpmaddubsw` path even where AVX512 VNNI exists (process-wide).
    /// All paths give bit-identical results; the switches let tests and benchmarks run each. Default false.
    public static var disableVNNI: Bool {
        get { ck_get_disable_vnni() != 0 }
        set { ck_set_disable_vnni(newValue ? 1 : 0) }
    }

    /// Keeps the 512-bit MXFP4 GEMV on its `vpshufb` lookup even where AVX512 VBMI's `vpermb` exists: the path of
    /// VNNI CPUs without VBMI (Cascade Lake, Cooper Lake). Process-wide, default false.
    public static var disableVBMI: Bool {
        get { ck_get_disable_vbmi() != 0 }
        set { ck_set_disable_vbmi(newValue ? 1 : 0) }
    }

    /// Whether the CPU has AVX512 F, BW, VL and VNNI (the MXFP4 GEMV's 512-bit `vpdpbusd` path).
    public static var cpuHasVNNI: Bool { ck_has_vnni() != 0 }

    /// Whether the CPU also has AVX512 VBMI (that path then looks weights up with `vpermb`).
    public static var cpuHasVBMI: Bool { ck_has_vbmi() != 0 }

    /// Whether the MXFP4 GEMV runs its VNNI path right now (AVX2 path on, VNNI present, `disableVNNI` off).
    public static var usingVNNIKernels: Bool { ck_vnni_enabled() != 0 }

    /// Whether the VNNI path also uses `vpermb` right now (VBMI present, `disableVBMI` off).
    public static var usingVBMIKernels: Bool { ck_vbmi_enabled() != 0 }

    /// Every op and weight dtype has a kernel here.
    public func supports(_ op: OpDescriptor) -> Bool { true }

    /// Bytes of kernel scratch this backend currently holds.
    public var scratchBytes: Int { context.map { Int(ck_context_scratch_bytes($0)) } ?? 0 }

    /// The context, or a typed error naming `op` when it could not be allocated.
    func requireContext(_ op: String) throws -> OpaquePointer {
        guard let context else {
            throw BackendError.invalidArgument(op: op, detail: "blas backend kernel context could not be allocated")
        }
        return context
    }

    /// Maps a CKernels return code to a typed error naming `op` and the shapes in `detail`.
    func check(_ rc: Int32, _ op: String, _ detail: @autoclosure () -> String) throws {
        switch rc {
        case Int32(CK_OK): return
        case Int32(CK_ERR_NOMEM):
            throw BackendError.invalidArgument(op: op, detail: "out of memory for kernel scratch (\(detail()))")
        case Int32(CK_ERR_DTYPE):
            throw BackendError.unsupported(op: op, detail: "weight dtype (\(detail()))")
        default:
            throw BackendError.invalidArgument(op: op, detail: "kernel rejected the arguments (\(detail()))")
        }
    }
}
