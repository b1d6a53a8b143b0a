import CKernels
import OSSCore

/// The instruction path of the BLAS backend's integer GEMV kernels: MXFP4 and the GGUF block types (Q4_0 … Q6_K) on
/// every path, Q8_0 on all but `avx2` (where it runs in float). The MXFP4 paths compute the same integers in the same
/// order, so they give bit-identical results (`avx2-int8` runs MXFP4 as `avx2`; the block types' 256- and 512-bit
/// paths sum in different orders); choosing one lets a benchmark compare them on one machine. The block types have
/// one 512-bit path (`vpshufb` and `vpermb` run the same code for them).
public enum GEMVPath: String, CaseIterable, Sendable {
    /// The fastest the CPU has (vpermb, else vpshufb, else AVX2 on 8-bit activations).
    case auto
    /// 256-bit AVX2 `vpmaddubsw` on 16-bit fixed-point activations, Q8_0 in float (every AVX2 CPU; the exact ones).
    case avx2
    /// 256-bit AVX2 `vpmaddubsw` with Q8_0's and the block types' activations rounded to 8 bits as on VNNI (every AVX2
    /// CPU; `auto` without VNNI). MXFP4 as `avx2`.
    case avx2Int8 = "avx2-int8"
    /// 512-bit AVX512 VNNI `vpdpbusd` with a `vpshufb` lookup (VNNI CPUs without VBMI, e.g. Cascade Lake).
    case vpshufb
    /// 512-bit AVX512 VNNI `vpdpbusd` with a `vpermb` lookup (VNNI + VBMI: Ice Lake and later, Zen 4).
    case vpermb
}

extension BLASBackend {
    /// Selects the integer GEMV path for the whole process (`BLASBackend.disableVNNI` / `disableVBMI`).
    /// - Throws: `BackendError.unsupported` when the CPU lacks the path's instructions (nothing changes then).
    public static func selectGEMVPath(_ path: GEMVPath) throws {
        func require(_ has: Bool, _ what: String) throws {
            guard has else {
                throw BackendError.unsupported(
                    op: "linear",
                    detail: "GEMV path \(path.rawValue) needs \(what), "
                        + "which this CPU lacks or --simd avx2 holds off")
            }
        }
        switch path {
        case .auto: break
        case .avx2, .avx2Int8: try require(usingAVX2Kernels, "AVX2+FMA+F16C")
        case .vpshufb: try require(usingAVX512Kernels && cpuHasVNNI, "AVX512 F+BW+VL+VNNI")
        case .vpermb: try require(usingAVX512Kernels && cpuHasVBMI, "AVX512 F+BW+VL+VNNI+VBMI")
        }
        disableVNNI = path == .avx2 || path == .avx2Int8
        disableVBMI = path == .vpshufb
        avx2Int8GEMV = path != .avx2
    }
}
