import CKernels
import OSSCore

/// The instruction path of the BLAS backend's MXFP4 GEMV. All paths compute the same integers in the same order, so
/// they give bit-identical results; choosing one lets a benchmark compare them on one machine.
public enum MXFP4Path: String, CaseIterable, Sendable {
    /// The fastest the CPU has (vpermb, else vpshufb, else AVX2).
    case auto
    /// 256-bit AVX2 `vpmaddubsw` (every AVX2 CPU).
    case avx2
    /// 512-bit AVX512 VNNI `vpdpbusd` with a `vpshufb` lookup (VNNI CPUs without VBMI, e.g. Cascade Lake).
    case vpshufb
    /// 512-bit AVX512 VNNI `vpdpbusd` with a `vpermb` lookup (VNNI + VBMI: Ice Lake and later, Zen 4).
    case vpermb
}

extension BLASBackend {
    /// Selects the MXFP4 GEMV path for the whole process (`BLASBackend.disableVNNI` / `disableVBMI`).
    /// - Throws: `BackendError.unsupported` when the CPU lacks the path's instructions (nothing changes then).
    public static func selectMXFP4Path(_ path: MXFP4Path) throws {
        func require(_ has: Bool, _ what: String) throws {
            guard has else { throw BackendError.unsupported(op: "linear", detail: "MXFP4 path \(path.rawValue) needs \(what), which this CPU lacks") }
        }
        switch path {
        case .auto: break
        case .avx2: try require(usingAVX2Kernels, "AVX2+FMA+F16C")
        case .vpshufb: try require(usingAVX2Kernels && cpuHasVNNI, "AVX512 F+BW+VL+VNNI")
        case .vpermb: try require(usingAVX2Kernels && cpuHasVBMI, "AVX512 F+BW+VL+VNNI+VBMI")
        }
        disableVNNI = path == .avx2
        disableVBMI = path == .vpshufb
    }
}
