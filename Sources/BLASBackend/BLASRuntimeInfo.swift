import CKernels
import OSSCore

/// What the BLAS backend runs on, for reports and benchmark records.
public struct BLASRuntimeInfo: Sendable, Codable, Equatable {
    /// `openblas_get_config()`, e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Zen MAX_THREADS=64".
    public var openBLASConfig: String
    /// `openblas_get_corename()`: the kernel set OpenBLAS picked (honours `OPENBLAS_CORETYPE`).
    public var openBLASCoreName: String
    /// OpenBLAS's own thread count (1 once a BLASBackend exists: one thread pool only).
    public var openBLASThreads: Int
    /// OpenBLAS threading model: "sequential", "pthreads" or "openmp".
    public var openBLASThreading: String
    /// Resolved path of the loaded OpenBLAS library (shows the flavour and version).
    public var openBLASLibrary: String
    /// OpenMP runtime library the kernels call (resolved path of the shared object), e.g. `/usr/lib/llvm-16/lib/libomp.so.5`.
    public var openMPLibrary: String
    /// OpenMP specification the kernels were compiled for, e.g. "5.0 (201811)"; "none" without -fopenmp.
    public var openMPSpec: String
    /// `omp_get_max_threads()`.
    public var openMPMaxThreads: Int
    /// `omp_get_num_procs()`.
    public var openMPProcessors: Int
    /// CPU supports the AVX2+FMA+F16C kernels.
    public var cpuHasAVX2FMA: Bool
    /// Kernels take the AVX2 path now (false when the CPU lacks it or `BLASBackend.forceScalarKernels` is set).
    public var usingAVX2Kernels: Bool
    /// CPU has AVX512 F+BW+VL+VNNI (the MXFP4 GEMV's 512-bit integer path).
    public var cpuHasVNNI: Bool
    /// CPU also has AVX512 VBMI (that path's `vpermb` lookup).
    public var cpuHasVBMI: Bool
    /// The MXFP4 GEMV takes its VNNI path now (false without the CPU support or with `BLASBackend.disableVNNI`).
    public var usingVNNIKernels: Bool
    /// The VNNI path uses `vpermb` now (false without VBMI or with `BLASBackend.disableVBMI`).
    public var usingVBMIKernels: Bool
    /// CPU has AVX512 F+BW+VL+DQ (the 512-bit float kernels and our GEMM).
    public var cpuHasAVX512: Bool = false
    /// CPU has AVX512-BF16 (`vdpbf16ps`).
    public var cpuHasBF16: Bool = false
    /// CPU runs 512-bit loads and FMAs at full width (AVX-512 and not AMD Zen 4).
    public var cpuHasFullWidth512: Bool = false
    /// The 512-bit float kernels run now (false without the CPU support or with `BLASBackend.disableAVX512`).
    public var usingAVX512Kernels: Bool = false
    /// The BF16 GEMM uses `vdpbf16ps` now (`BLASBackend.bf16DotProducts` on and the CPU has AVX512-BF16).
    public var usingBF16DotKernels: Bool = false
    /// Our GEMM runs MXFP4 and the GGUF block types on 8-bit activations now (`BLASBackend.int8GEMM` on and VNNI in use).
    public var usingInt8GEMMKernels: Bool = false
    /// MXFP4's GEMV runs on 8-bit activations now (`BLASBackend.int8GEMV` on and VNNI in use).
    public var usingInt8GEMVKernels: Bool = false
    /// Q8_0's and the block types' GEMVs run on 8-bit activations through AVX2 `vpmaddubsw` now (VNNI not in use,
    /// `BLASBackend.avx2Int8GEMV` on); nil in records written before it existed.
    public var usingAVX2Int8GEMVKernels: Bool? = false
    /// The AVX2 8-bit GEMM tiles run the prefill of MXFP4, Q8_0 and the block types now (AVX-512 off or absent, `BLASBackend.int8GEMM` and `avx2Int8GEMV` on); nil in records written before they existed.
    public var usingAVX2Int8GEMMKernels: Bool? = false
    /// CPU has AVX-VNNI (VEX `vpdpbusd ymm`); nil in records written before it was recorded.
    public var cpuHasAVXVNNI: Bool? = false
    /// The AVX2 8-bit GEMM tiles use AVX-VNNI now (false without it or with `BLASBackend.disableAVXVNNI`).
    public var usingAVXVNNIKernels: Bool? = false
    /// The one-vector float GEMV runs 512-bit single rows now (`BLASBackend.floatGEMV512`), not 256-bit rows.
    public var usingFloatGEMV512: Bool = false
    /// GEMM path per weight dtype of a default BLAS backend now (`cblas` or `own`), e.g. `["bf16": "own", …]`.
    public var gemmPaths: [String: String] = [:]

    /// Reads the figures from the loaded libraries now.
    public static func current() -> BLASRuntimeInfo {
        ck_init()
        let spec = Int(ck_openmp_spec())
        let specNames = [201107: "3.1", 201307: "4.0", 201511: "4.5", 201811: "5.0", 202011: "5.1", 202111: "5.2"]
        let threading: String
        switch ck_openblas_parallel() {
        case 0: threading = "sequential"
        case 1: threading = "pthreads"
        case 2: threading = "openmp"
        default: threading = "unknown"
        }
        return BLASRuntimeInfo(
            openBLASConfig: String(cString: ck_openblas_config()).trimmingTrailingSpaces,
            openBLASCoreName: String(cString: ck_openblas_corename()).trimmingTrailingSpaces,
            openBLASThreads: Int(ck_openblas_threads()),
            openBLASThreading: threading,
            openBLASLibrary: String(cString: ck_openblas_library()),
            openMPLibrary: String(cString: ck_openmp_library()),
            openMPSpec: spec == 0 ? "none" : "\(specNames[spec] ?? "?") (\(spec))",
            openMPMaxThreads: Int(ck_omp_max_threads()),
            openMPProcessors: Int(ck_omp_num_procs()),
            cpuHasAVX2FMA: ck_has_avx2_fma() != 0,
            usingAVX2Kernels: ck_using_avx2() != 0,
            cpuHasVNNI: ck_has_vnni() != 0,
            cpuHasVBMI: ck_has_vbmi() != 0,
            usingVNNIKernels: ck_vnni_enabled() != 0,
            usingVBMIKernels: ck_vbmi_enabled() != 0,
            cpuHasAVX512: ck_has_avx512() != 0,
            cpuHasBF16: ck_has_avx512_bf16() != 0,
            cpuHasFullWidth512: ck_has_full_width_512() != 0,
            usingAVX512Kernels: ck_avx512_enabled() != 0,
            usingBF16DotKernels: ck_bf16_dot_enabled() != 0,
            usingInt8GEMMKernels: ck_vnni_enabled() != 0 && ck_int8_gemm_enabled() != 0,
            usingInt8GEMVKernels: ck_vnni_enabled() != 0 && ck_int8_gemv_enabled() != 0,
            usingAVX2Int8GEMVKernels: ck_avx2_int8_gemv_active() != 0,
            usingAVX2Int8GEMMKernels: ck_avx2_int8_gemm_active() != 0,
            cpuHasAVXVNNI: ck_has_avx_vnni() != 0,
            usingAVXVNNIKernels: ck_avx_vnni_enabled() != 0,
            usingFloatGEMV512: ck_float_gemv_512_enabled() != 0,
            gemmPaths: Dictionary(
                uniqueKeysWithValues: DType.allCases.map {
                    ($0.rawValue, GEMMPath(code: ck_gemm_path_for(nil, $0.ckDType)).rawValue)
                }))
    }

    /// The instruction paths the C kernels take now, e.g. "AVX-512 float kernels (T = 1 GEMV 512-bit single rows); MXFP4 GEMV AVX512-VNNI+VBMI (with
    /// " int8" while `BLASBackend.int8GEMV` is on);
    /// Q8_0 GEMV AVX512-VNNI; Q4_0…Q6_K GEMV AVX512-VNNI; GEMM own (MXFP4, Q4_0…Q6_K int8 vpdpbusd) for bf16, f16, …,
    /// cblas for f32".
    public var kernelPaths: String {
        guard usingAVX2Kernels else { return "portable scalar" }
        let float =
            usingAVX512Kernels
            ? "AVX-512 float kernels (T = 1 GEMV \(usingFloatGEMV512 ? "512-bit single rows" : "256-bit rows"))"
            : "AVX2+FMA+F16C float kernels"
        let mxfp4 =
            (usingVBMIKernels ? "AVX512-VNNI+VBMI" : usingVNNIKernels ? "AVX512-VNNI vpshufb" : "AVX2 vpmaddubsw")
            + (usingInt8GEMVKernels ? " int8" : "")
        var gemm: [String] = []
        for path in [GEMMPath.own, .cblas] {
            let dtypes = DType.allCases.map(\.rawValue).filter { gemmPaths[$0] == path.rawValue }
            guard !dtypes.isEmpty else { continue }
            var notes: [String] = []
            if path == .own && usingBF16DotKernels && dtypes.contains(DType.bf16.rawValue) {
                notes.append("bf16 vdpbf16ps")
            }
            if path == .own && usingVNNIKernels {
                notes.append(
                    usingInt8GEMMKernels ? "MXFP4, Q4_0…Q6_K int8 vpdpbusd" : "MXFP4, Q4_0…Q6_K int16 vpdpwssd")
            }
            if path == .own && !usingAVX512Kernels && usingAVX2Int8GEMMKernels == true {
                notes.append(usingAVXVNNIKernels == true ? "int8 AVX-VNNI vpdpbusd ymm" : "int8 AVX2 vpmaddubsw")
            }
            let extra = notes.isEmpty ? "" : " (\(notes.joined(separator: "; ")))"
            gemm.append("\(path.rawValue)\(extra) for \(dtypes.joined(separator: ", "))")
        }
        let avx2Int8 = usingAVX2Int8GEMVKernels == true
        let blocks = usingVNNIKernels ? "AVX512-VNNI" : avx2Int8 ? "AVX2 vpmaddubsw int8" : "AVX2 vpmaddubsw"
        let q8 = usingVNNIKernels ? "AVX512-VNNI" : avx2Int8 ? "AVX2 vpmaddubsw int8" : "float"
        return "\(float); MXFP4 GEMV \(mxfp4); Q8_0 GEMV \(q8); "
            + "Q4_0…Q6_K GEMV \(blocks); GEMM \(gemm.joined(separator: ", "))"
    }

    /// Runs an OpenMP parallel region of `threads` threads and returns how many distinct thread ids ran in it
    /// (proves `-fopenmp` took effect: without it the pragmas are silently ignored and this returns 1).
    public static func distinctOpenMPThreads(_ threads: Int) -> Int {
        Int(ck_omp_distinct_threads(Int32(clamping: threads)))
    }
}

extension String {
    fileprivate var trimmingTrailingSpaces: String {
        var s = self
        while s.last == " " || s.last == "\n" { s.removeLast() }
        return s
    }
}
