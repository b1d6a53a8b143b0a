import CKernels
import OSSCore

/// Which GEMM runs the BLAS backend's `linear` for T beyond the GEMV kernels (f32/f16/bf16 T > 16, T > 4 on the scalar
/// path; MXFP4 T > 64 on AVX2, > 256 on AVX512-VNNI).
public enum GEMMPath: String, CaseIterable, Sendable, Codable {
    /// The built-in rule: our microkernel where AVX-512 is on and OpenBLAS's core type has no AVX-512 kernel (e.g.
    /// `OPENBLAS_CORETYPE=Haswell` on an AVX-512 CPU) or the weight dtype is not f32; OpenBLAS otherwise.
    case auto
    /// OpenBLAS `cblas_sgemm` (f32 weights directly, other dtypes on decoded float tiles).
    case cblas
    /// Our AVX-512 microkernel (weights decoded straight into packed panels; BF16 through `vdpbf16ps` when
    /// `BLASBackend.bf16DotProducts` is on). Where AVX-512 is off: our AVX2 8-bit tiles for MXFP4 and Q4_0 … Q6_K
    /// (`int8GEMM` and `avx2Int8GEMV` on; they are `auto`'s choice there too), `cblas` for the other dtypes.
    case own

    var code: Int32 {
        switch self {
        case .auto: return Int32(CK_GEMM_AUTO)
        case .cblas: return Int32(CK_GEMM_CBLAS)
        case .own: return Int32(CK_GEMM_OWN)
        }
    }

    init(code: Int32) { self = code == Int32(CK_GEMM_OWN) ? .own : code == Int32(CK_GEMM_CBLAS) ? .cblas : .auto }
}

/// The instruction width the BLAS backend's float kernels use (`--simd`).
public enum SIMDWidth: String, CaseIterable, Sendable {
    /// The widest the CPU has (AVX-512 where present, else AVX2, with AVX-VNNI where present).
    case auto
    /// 256-bit AVX2 everywhere, as on an AVX2-only CPU without AVX-VNNI (Haswell … Zen 3): also keeps the integer
    /// GEMVs and the GEMM off AVX-512, and the AVX2 8-bit GEMM tiles on `vpmaddubsw`.
    case avx2
    /// AVX2 with AVX-VNNI (`vpdpbusd` / `vpdpwssd ymm` in the AVX2 8-bit GEMM tiles and GEMVs), as on Intel client
    /// cores since Alder Lake; selecting it on a CPU without AVX-VNNI is the same as `avx2`.
    case avxVNNI = "avx-vnni"
}

extension BLASBackend {
    /// Keeps every C kernel on its 256-bit AVX2 path even where AVX-512 exists (process-wide): the 512-bit float
    /// kernels, the VNNI integer GEMVs and our GEMM (linear then uses OpenBLAS). For tests and measurements.
    public static var disableAVX512: Bool {
        get { ck_get_disable_avx512() != 0 }
        set { ck_set_disable_avx512(newValue ? 1 : 0) }
    }

    /// Keeps the AVX2 8-bit GEMM tiles and GEMVs on `vpmaddubsw` even where the CPU has AVX-VNNI (process-wide), as
    /// on AVX2 CPUs without it. For tests and measurements (`--simd avx2`).
    public static var disableAVXVNNI: Bool {
        get { ck_get_disable_avx_vnni() != 0 }
        set { ck_set_disable_avx_vnni(newValue ? 1 : 0) }
    }

    /// Whether the CPU has AVX-VNNI (VEX-encoded 256-bit `vpdpbusd`).
    public static var cpuHasAVXVNNI: Bool { ck_has_avx_vnni() != 0 }

    /// Whether the AVX2 8-bit GEMM tiles and GEMVs use AVX-VNNI right now (CPU support, `disableAVXVNNI` off).
    public static var usingAVXVNNIKernels: Bool { ck_avx_vnni_enabled() != 0 }

    /// Whether the AVX2 8-bit GEMM tiles run the prefill of MXFP4, Q8_0 and Q4_0 … Q6_K right now (AVX-512 off or absent, `int8GEMM` and `avx2Int8GEMV` on; a backend whose tuning profile chose `cblas` for a
    /// dtype still decodes float tiles for OpenBLAS there).
    public static var usingAVX2Int8GEMMKernels: Bool { ck_avx2_int8_gemm_active() != 0 }

    /// `vdpbf16ps` for the BF16 GEMM (T > 16) where the CPU has AVX512-BF16 (process-wide, default true): twice the
    /// multiply-adds per instruction of the f32 microkernel (1.9–2.0× at T = 512), the activations rounded to bf16
    /// once per call and the products summed in float32, as the official BF16 reference and ggml compute (NMSE ≈ 3e-6
    /// per linear instead of ~1e-12). Off, the BF16 GEMM keeps float32 activations; the GEMV (decode, T ≤ 16) and the
    /// MoE router always do. See README, Numerics.
    public static var bf16DotProducts: Bool {
        get { ck_get_bf16_dot() != 0 }
        set { ck_set_bf16_dot(newValue ? 1 : 0) }
    }

    /// 8-bit activations in our GEMM for MXFP4 and the GGUF block types Q4_0 … Q6_K (process-wide, default true): on
    /// AVX512-VNNI CPUs `vpdpbusd` on x rounded per 32-block to int8 (NMSE ≈ 2e-5 per linear, as ggml's Q8_0
    /// activations), 1.1–1.7× the 16-bit fixed-point tiles that run when it is false (NMSE ≈ 4e-10); without AVX-512
    /// the same rounding in the AVX2 8-bit tiles (`vpmaddubsw`, or `vpdpbusd ymm` with AVX-VNNI), which give way to
    /// float tiles + OpenBLAS sgemm when it is false. See README, Numerics.
    public static var int8GEMM: Bool {
        get { ck_int8_gemm_enabled() != 0 }
        set { ck_set_int8_gemm(newValue ? 1 : 0) }
    }

    /// 8-bit activations in MXFP4's GEMV (T ≤ 12: decode and small expert groups) on AVX512-VNNI CPUs (process-wide,
    /// default false): x rounded per 32-block to int8 as ggml's Q8_0 activations (llama.cpp's arithmetic for every
    /// MXFP4 product; NMSE ≈ 1.5e-5 per linear instead of ~1e-10), two `vpdpbusd` per four blocks instead of four, so
    /// the expert GEMVs stream at the memory's pace instead of the multiply-adds'. The other quantised types' GEMVs
    /// round x to 8 bits on these CPUs either way. See README, Numerics.
    public static var int8GEMV: Bool {
        get { ck_int8_gemv_enabled() != 0 }
        set { ck_set_int8_gemv(newValue ? 1 : 0) }
    }

    /// 8-bit activations in the GEMVs (decode) of Q8_0 and Q4_0 … Q6_K where the VNNI kernels do not run them (AVX2
    /// CPUs without AVX512-VNNI, `--simd avx2`, `disableVNNI`): x rounded as on VNNI (ggml's Q8_0 / Q8_K activations,
    /// NMSE ≈ 1.5e-5 per linear) and multiplied through `vpmaddubsw`, 2–4× the speed of the 16-bit fixed point (float
    /// for Q8_0) that `false` keeps (NMSE ~1e-10). MXFP4 keeps 16 bits on AVX2 either way. Process-wide, default true;
    /// `GEMVPath.avx2` turns it off, `.avx2Int8` on.
    public static var avx2Int8GEMV: Bool {
        get { ck_avx2_int8_gemv_enabled() != 0 }
        set { ck_set_avx2_int8_gemv(newValue ? 1 : 0) }
    }

    /// Which kernel runs the one-vector GEMV (decode, T = 1) of f32/f16/bf16 weights (process-wide): `true` the
    /// 512-bit rows (four accumulator chains, one L1 prefetch), `false` one row at a time on 256-bit AVX2, `nil`
    /// (default) by the CPU: 512 bits where it runs 512-bit loads at full width (every AVX-512 CPU but AMD Zen 4, where
    /// the 256-bit rows stream 12–15% faster; on Zen 5 the 512-bit rows reach 85–103% of a read of the same bytes).
    /// Both keep float32 activations; without AVX-512 the AVX2 loop runs whatever this says.
    public static var floatGEMV512: Bool? {
        get {
            let mode = ck_get_float_gemv_512()
            return mode < 0 ? nil : mode != 0
        }
        set { ck_set_float_gemv_512(newValue.map { $0 ? 1 : 0 } ?? -1) }
    }

    /// Whether the one-vector float GEMV runs the 512-bit single rows right now (`floatGEMV512`, AVX-512 on).
    public static var usingFloatGEMV512: Bool { ck_float_gemv_512_enabled() != 0 }

    /// Whether the CPU runs 512-bit loads and FMAs at full width (AVX-512 and not AMD Zen 4).
    public static var cpuHasFullWidth512: Bool { ck_has_full_width_512() != 0 }

    /// Forces one GEMM path for every BLAS backend and dtype (process-wide; `.auto`: each backend's own choice).
    public static var gemmOverride: GEMMPath {
        get { GEMMPath(code: ck_get_gemm_override()) }
        set { ck_set_gemm_override(newValue.code) }
    }

    /// Largest number of activation rows T that the GEMV kernels take in `linear` for every weight dtype, past which
    /// it runs the GEMM (process-wide; `nil`: each dtype's built-in limit, e.g. 16 for f32/f16/bf16 on the AVX2 and
    /// AVX-512 paths, 4 on the scalar path). T = 1 always runs the GEMV. For tests and for measuring where the GEMM
    /// overtakes the batched decode GEMV.
    public static var gemvMaxRows: Int? {
        get {
            let t = Int(ck_get_gemv_max_rows())
            return t > 0 ? t : nil
        }
        set { ck_set_gemv_max_rows(Int32(clamping: max(newValue ?? 0, 0))) }
    }

    /// Whether the CPU and OS support AVX512 F, BW, VL and DQ (the 512-bit float kernels).
    public static var cpuHasAVX512: Bool { ck_has_avx512() != 0 }

    /// Whether the CPU also has AVX512-BF16 (`vdpbf16ps`).
    public static var cpuHasBF16: Bool { ck_has_avx512_bf16() != 0 }

    /// Whether the 512-bit kernels run right now (CPU support, `disableAVX512` and `forceScalarKernels` off).
    public static var usingAVX512Kernels: Bool { ck_avx512_enabled() != 0 }

    /// Whether the BF16 GEMM uses `vdpbf16ps` right now (AVX-512 on, AVX512-BF16 present, `bf16DotProducts` on).
    public static var usingBF16DotKernels: Bool { ck_bf16_dot_enabled() != 0 }

    /// Sets the GEMM path this backend uses for weights of `dtype` (a tuning profile's choice; `.auto`: the built-in
    /// rule). `gemmOverride` wins over it.
    public func setGEMMPath(_ path: GEMMPath, for dtype: DType) {
        guard let context else { return }
        _ = ck_context_set_gemm_path(context, dtype.ckDType, path.code)
    }

    /// Whether our GEMM exists for `dtype` right now, so that `.own` and `.cblas` are different paths: every dtype
    /// where AVX-512 runs, else MXFP4 and Q4_0 … Q6_K while the AVX2 8-bit tiles are on (`usingAVX2Int8GEMMKernels`).
    public static func hasOwnGEMM(for dtype: DType) -> Bool { ck_gemm_own_available(dtype.ckDType) != 0 }

    /// The GEMM path `linear` takes for `dtype` on this backend right now (`.cblas` or `.own`, never `.auto`).
    public func gemmPath(for dtype: DType) -> GEMMPath {
        GEMMPath(code: ck_gemm_path_for(context, dtype.ckDType))
    }

    /// Whether `linear` on `rows` activation rows of a `dtype` weight runs a GEMM right now (rows past the GEMV
    /// kernels), so that `gemmPath(for:)` applies.
    public func usesGEMM(dtype: DType, rows: Int) -> Bool {
        ck_linear_uses_gemm(context, dtype.ckDType, Int64(rows)) != 0
    }

    /// Whether `linear` on `rows` activation rows of a `dtype` weight rounds the activations to bf16 on this backend
    /// right now (the `vdpbf16ps` GEMM: NMSE ≈ 3e-6 per linear instead of ~1e-12; see README, Numerics).
    public func linearRoundsActivationsToBF16(dtype: DType, rows: Int) -> Bool {
        ck_linear_rounds_x_bf16(context, dtype.ckDType, Int64(rows)) != 0
    }

    /// Whether `linear` on `rows` activation rows of a `dtype` weight rounds the activations to 8 bits on this backend
    /// right now: per 256 elements in the K-quants' GEMV on AVX512-VNNI CPUs (as ggml's Q8_K), per 32 in the 8-bit VNNI
    /// GEMM of MXFP4 and the block types (`int8GEMM`, as ggml's Q8_0 activations) and in the GEMVs of Q8_0, Q4_0 …
    /// Q5_1 and (`int8GEMV`) MXFP4. NMSE ≈ 1.5e-5 per linear either way instead
    /// of ~4e-10 for the 16-bit fixed point of the other integer kernels; see README, Numerics.
    public func linearRoundsActivationsToInt8(dtype: DType, rows: Int) -> Bool {
        ck_linear_rounds_x_int8(context, dtype.ckDType, Int64(rows)) != 0
    }

    /// Selects the kernels' instruction width for the whole process (`disableAVX512`, `disableAVXVNNI`).
    public static func selectSIMDWidth(_ width: SIMDWidth) {
        disableAVX512 = width != .auto
        disableAVXVNNI = width == .avx2
    }
}
