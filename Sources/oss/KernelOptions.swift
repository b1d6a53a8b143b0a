import ArgumentParser
import BLASBackend

/// `--gemv-path`, `--simd`, `--gemm-path`, `--bf16-dot`, `--int8-gemm`, `--int8-gemv`, `--float-gemv`, `--gemv-max-rows`: which instruction paths
/// the BLAS backend's C kernels take (process-wide; shared by `bench run` and the commands that run a model).
struct KernelOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "Integer GEMV path of the blas backend (MXFP4, Q8_0, Q4_0…Q6_K): auto, avx2, avx2-int8, vpshufb or vpermb "
                + "(default auto: the fastest the CPU has).",
            discussion:
                "The MXFP4 paths give bit-identical results. avx2 keeps Q8_0 (in float) and Q4_0…Q6_K (16-bit fixed "
                + "point) on unrounded activations; avx2-int8, vpshufb and vpermb round them to 8 bits as llama.cpp "
                + "does (avx2-int8 is auto's choice on AVX2 CPUs without AVX512-VNNI). Choosing one compares them on "
                + "one machine. `oss info` lists what the CPU has."))
    var gemvPath: String = GEMVPath.auto.rawValue

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Instruction width of the blas backend's kernels: auto (AVX-512 where the CPU has it), avx2 (256 bits "
                + "everywhere, as on an AVX2-only CPU without AVX-VNNI) or avx-vnni (AVX2 with AVX-VNNI).",
            discussion: "avx2 and avx-vnni also keep the integer GEMVs off VNNI and the GEMM off AVX-512: MXFP4 and "
                + "the GGUF block types then run the AVX2 8-bit GEMM tiles (vpmaddubsw, or vpdpbusd ymm with "
                + "avx-vnni), Q8_0 too, the other dtypes OpenBLAS."))
    var simd: String = SIMDWidth.auto.rawValue

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Prefill GEMM of the blas backend's linear (past the GEMV: T > 16 for f32/f16/bf16): auto, cblas (OpenBLAS) "
                + "or own (our AVX-512 microkernel; without AVX-512 the AVX2 8-bit tiles of MXFP4 and Q4_0…Q6_K).",
            discussion: "auto: ours where AVX-512 is on and OpenBLAS's core type has no AVX-512 kernel or the weights "
                + "are not f32, and the AVX2 8-bit tiles without AVX-512. A tuning profile (`oss tune`) records the "
                + "faster per dtype for --backend auto."))
    var gemmPath: String = GEMMPath.auto.rawValue

    @Option(
        name: .long,
        help: ArgumentHelp(
            "BF16 GEMM through vdpbf16ps where the CPU has AVX512-BF16: on (default) or off (float32 activations).",
            discussion:
                "on rounds the activations of BF16 linears past their GEMV (T > 16) to bf16 once per call, as the "
                + "official BF16 reference and llama.cpp do (NMSE ≈ 3e-6 per linear, like BF16 storage itself), for twice "
                + "the multiply-adds per instruction (1.9–2.0× at T = 512). The GEMV (decode) and the MoE router keep "
                + "float32 activations either way."))
    var bf16Dot: String = "on"

    @Option(
        name: .long,
        help: ArgumentHelp(
            "8-bit activations in the blas backend's GEMM for MXFP4 and Q4_0…Q6_K weights on AVX512-VNNI CPUs: on "
                + "(default) or off.",
            discussion:
                "on rounds the activations of those linears past their GEMV (MXFP4: T > 12; the others: T > 32) "
                + "to int8 per 32-block (NMSE ≈ 2e-5 per linear, as llama.cpp's Q8_0 activations); off keeps the 16-bit "
                + "fixed point of the GEMVs (≈ 4e-10), 1.1–1.7× slower (MXFP4's experts 1.6–1.7×)."))
    var int8Gemm: String = "on"

    @Option(
        name: .long,
        help: ArgumentHelp(
            "8-bit activations in the blas backend's MXFP4 GEMV (decode, T ≤ 12) on AVX512-VNNI CPUs: off (default) or on.",
            discussion:
                "on rounds the activations of MXFP4 linears at T ≤ 12 (gpt-oss's experts in decode) to int8 per "
                + "32-block as llama.cpp does for every MXFP4 product (NMSE ≈ 1.5e-5 per linear against ~1e-10): two "
                + "vpdpbusd per four blocks instead of four, so the expert GEMVs stream at the memory's pace. The other "
                + "quantised types' GEMVs round to 8 bits on these CPUs either way. README, Numerics, states what it "
                + "costs the logits."))
    var int8Gemv: String = "off"

    @Option(
        name: .long,
        help: ArgumentHelp(
            "One-vector GEMV (decode) of the blas backend's f32/f16/bf16 weights: auto (default), 512 or 256.",
            discussion: "512: one row at a time on 512-bit loads with prefetch; 256: one row at a time on AVX2. auto "
                + "takes 512 where the CPU runs 512-bit loads at full width (every AVX-512 CPU but AMD Zen 4, where the "
                + "256-bit rows stream faster). Both keep float32 activations."))
    var floatGemv: String = "auto"

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Largest T the blas backend's GEMV kernels take before linear runs the GEMM, for every dtype (default 0: the "
                + "built-in limits, e.g. 16 for f32/f16/bf16).",
            discussion:
                "For measuring where the GEMM overtakes the batched decode GEMV; 1 sends every T ≥ 2 to the GEMM."))
    var gemvMaxRows: Int = 0

    func validate() throws {
        func check(_ value: String, _ flag: String, _ allowed: [String]) throws {
            guard allowed.contains(value) else {
                throw ValidationError("--\(flag) must be one of \(allowed.joined(separator: ", ")), got \(value)")
            }
        }
        try check(gemvPath, "gemv-path", GEMVPath.allCases.map(\.rawValue))
        try check(simd, "simd", SIMDWidth.allCases.map(\.rawValue))
        try check(gemmPath, "gemm-path", GEMMPath.allCases.map(\.rawValue))
        try check(bf16Dot, "bf16-dot", ["off", "on"])
        try check(int8Gemm, "int8-gemm", ["off", "on"])
        try check(int8Gemv, "int8-gemv", ["off", "on"])
        try check(floatGemv, "float-gemv", ["auto", "512", "256"])
        guard gemvMaxRows >= 0 else { throw ValidationError("--gemv-max-rows must be ≥ 0, got \(gemvMaxRows)") }
    }

    /// Selects the paths for this process; throws when the CPU lacks the GEMV path.
    func apply() throws {
        BLASBackend.selectSIMDWidth(SIMDWidth(rawValue: simd) ?? .auto)
        BLASBackend.gemmOverride = GEMMPath(rawValue: gemmPath) ?? .auto
        BLASBackend.bf16DotProducts = bf16Dot == "on"
        BLASBackend.int8GEMM = int8Gemm == "on"
        BLASBackend.int8GEMV = int8Gemv == "on"
        BLASBackend.floatGEMV512 = floatGemv == "auto" ? nil : floatGemv == "512"
        BLASBackend.gemvMaxRows = gemvMaxRows > 0 ? gemvMaxRows : nil
        try BLASBackend.selectGEMVPath(GEMVPath(rawValue: gemvPath) ?? .auto)
    }
}
