import BLASBackend
import OSSCore
import XCTest

/// The BLAS backend's AVX-512 switches and GEMM paths: each switch changes the path the kernels take (shown by the
/// reports and by results that differ in their last bits), and every forced path stays within its op's NMSE of the
/// float64 reference. The conformance suite runs every op on these paths too (`blas`, `blas-avx2`, `blas-own`).
final class SIMDPathTests: XCTestCase {
    override func tearDown() {
        BLASBackend.disableAVX512 = false
        BLASBackend.gemmOverride = .auto
        BLASBackend.bf16DotProducts = true
        BLASBackend.disableVNNI = false
        BLASBackend.gemvMaxRows = nil
    }

    /// y = x·Wᵀ on a 2-thread BLAS backend, and the float64 reference.
    private func linear(
        _ dtype: DType, rows: Int, inFeatures: Int = 288, outFeatures: Int = 70,
        backend: BLASBackend = BLASBackend(threads: 2)
    ) throws -> (out: [Float], reference: [Double]) {
        var random = SeededRandom(seed: UInt64(rows * 7919 + inFeatures))
        let w = try WeightTensor.encode(
            random.floats(outFeatures * inFeatures), shape: Shape(outFeatures, inFeatures),
            dtype: dtype)
        let x = random.floats(rows * inFeatures, scale: 2)
        let out = Tensor(zeros: Shape(rows, outFeatures))
        try backend.linear(Tensor(x, shape: Shape(rows, inFeatures)), weight: w, bias: nil, out: out)
        let reference = Reference.linear(
            x.map(Double.init), rows: rows, weight: w.decodedArray().map(Double.init),
            outFeatures: outFeatures, inFeatures: inFeatures, bias: nil)
        return (out.toArray(), reference)
    }

    /// Without AVX-512 our GEMM is the AVX2 8-bit tiles, for MXFP4, Q8_0 and the block types: `hasOwnGEMM` says so,
    /// the built-in rule takes them, and a backend's own choice of OpenBLAS for a dtype (a tuning profile's) is
    /// honoured there, returning that dtype to float tiles (unrounded x).
    func testAVX2GEMMTilesFollowTheGEMMPath() throws {
        try XCTSkipUnless(BLASBackend.usingAVX2Kernels, "CPU has no AVX2")
        BLASBackend.disableAVX512 = true
        let backend = BLASBackend(threads: 1)
        XCTAssertTrue(BLASBackend.usingAVX2Int8GEMMKernels)
        for dtype in [DType.f32, .bf16, .f16] {
            XCTAssertFalse(BLASBackend.hasOwnGEMM(for: dtype), "\(dtype)")
            XCTAssertEqual(backend.gemmPath(for: dtype), .cblas, "\(dtype)")
        }
        for dtype in [DType.mxfp4, .q8_0, .q4_0, .q4_K, .q6_K] {
            XCTAssertTrue(BLASBackend.hasOwnGEMM(for: dtype), "\(dtype)")
            XCTAssertEqual(backend.gemmPath(for: dtype), .own, "\(dtype)")
            XCTAssertTrue(backend.linearRoundsActivationsToInt8(dtype: dtype, rows: 512), "\(dtype)")
            backend.setGEMMPath(.cblas, for: dtype)
            XCTAssertEqual(backend.gemmPath(for: dtype), .cblas, "\(dtype)")
            XCTAssertFalse(backend.linearRoundsActivationsToInt8(dtype: dtype, rows: 512), "\(dtype) float tiles")
            let (out, reference) = try linear(dtype, rows: 130, inFeatures: 512, backend: backend)
            XCTAssertLessThan(Comparison.nmse(out, reference), Tolerance.linearFixedPoint, "\(dtype) float tiles")
            backend.setGEMMPath(.auto, for: dtype)
        }
        BLASBackend.int8GEMM = false
        defer { BLASBackend.int8GEMM = true }
        XCTAssertFalse(BLASBackend.hasOwnGEMM(for: .q4_K), "8-bit GEMM off: float tiles")
        XCTAssertFalse(backend.linearRoundsActivationsToInt8(dtype: .q4_K, rows: 512))
    }

    func testAVX512SwitchTakesEffect() throws {
        try XCTSkipUnless(BLASBackend.cpuHasAVX512 && BLASBackend.usingAVX2Kernels, "CPU has no AVX-512")
        XCTAssertTrue(BLASBackend.usingAVX512Kernels)
        BLASBackend.disableAVX512 = true
        XCTAssertFalse(BLASBackend.usingAVX512Kernels)
        XCTAssertFalse(BLASBackend.usingVNNIKernels, "the VNNI GEMVs are 512-bit kernels too")
        XCTAssertEqual(BLASBackend(threads: 1).gemmPath(for: .bf16), .cblas, "our GEMM needs AVX-512")
        BLASBackend.selectSIMDWidth(.auto)
        XCTAssertTrue(BLASBackend.usingAVX512Kernels)
    }

    /// A forced GEMM path is the one that runs: OpenBLAS and our microkernel sum in different orders, so their bits
    /// differ, and both stay within the linear tolerance. A backend's own choice per dtype (a profile's) is honoured,
    /// and the process-wide override wins over it.
    func testGEMMPathsRunAndAgree() throws {
        try XCTSkipUnless(BLASBackend.usingAVX512Kernels, "our GEMM needs AVX-512")
        for dtype in [DType.f32, .bf16, .f16] {
            var outputs: [GEMMPath: [UInt32]] = [:]
            for path in [GEMMPath.cblas, .own] {
                BLASBackend.gemmOverride = path
                let (out, reference) = try linear(dtype, rows: 37)
                let bf16 = BLASBackend(threads: 2).linearRoundsActivationsToBF16(dtype: dtype, rows: 37)
                XCTAssertLessThan(
                    Comparison.nmse(out, reference), bf16 ? Tolerance.linearBF16Dot : Tolerance.linear,
                    "\(dtype) \(path)")
                outputs[path] = out.map(\.bitPattern)
            }
            XCTAssertNotEqual(outputs[.cblas], outputs[.own], "\(dtype): identical bits, the override did not switch")
        }
        BLASBackend.gemmOverride = .auto
        let backend = BLASBackend(threads: 2)
        backend.setGEMMPath(.own, for: .f32)
        XCTAssertEqual(backend.gemmPath(for: .f32), .own)
        backend.setGEMMPath(.cblas, for: .f32)
        XCTAssertEqual(backend.gemmPath(for: .f32), .cblas)
        BLASBackend.gemmOverride = .own
        XCTAssertEqual(backend.gemmPath(for: .f32), .own, "the override wins over a backend's choice")
    }

    /// f32/f16/bf16 run the batched GEMV up to T = 16 on the AVX2 path; `gemvMaxRows` moves that limit for every dtype
    /// (and back), and the GEMV and the GEMM it hands over to give different bits, both within the linear tolerance.
    func testGEMVMaxRowsOverride() throws {
        try XCTSkipUnless(BLASBackend.usingAVX2Kernels, "CPU has no AVX2")
        let backend = BLASBackend(threads: 2)
        XCTAssertNil(BLASBackend.gemvMaxRows)
        for dtype in [DType.f32, .f16, .bf16] {
            XCTAssertFalse(backend.usesGEMM(dtype: dtype, rows: 16), "\(dtype): T = 16 is a batched decode step")
            XCTAssertTrue(backend.usesGEMM(dtype: dtype, rows: 17))
        }
        for dtype in [DType.f32, .bf16] {
            var outputs: [[UInt32]] = []
            for limit in [nil, 4] {
                BLASBackend.gemvMaxRows = limit
                XCTAssertEqual(backend.usesGEMM(dtype: dtype, rows: 8), limit != nil)
                XCTAssertEqual(backend.usesGEMM(dtype: .mxfp4, rows: 8), limit != nil, "the limit is for every dtype")
                let (out, reference) = try linear(dtype, rows: 8, inFeatures: 2880, backend: backend)
                let bf16 = backend.linearRoundsActivationsToBF16(dtype: dtype, rows: 8)
                XCTAssertLessThan(
                    Comparison.nmse(out, reference), bf16 ? Tolerance.linearBF16Dot : Tolerance.linear,
                    "\(dtype) limit \(limit ?? 0)")
                outputs.append(out.map(\.bitPattern))
            }
            XCTAssertNotEqual(outputs[0], outputs[1], "\(dtype): identical bits, the limit did not switch the path")
        }
        BLASBackend.gemvMaxRows = 0
        XCTAssertNil(BLASBackend.gemvMaxRows, "0 restores the built-in limits")
        XCTAssertFalse(backend.usesGEMM(dtype: .bf16, rows: 16))
    }

    /// On VNNI CPUs our GEMM takes MXFP4 from T = 13 (T = 33 on 16 bits), Q8_0 past the GEMV's T = 4, and the GGUF
    /// block types past their GEMVs (T = 32; Q6_K 16 on AVX2). Its int16 vpdpwssd tiles round x as the integer GEMV
    /// does, so they stay within `linearFixedPoint`, in another order; the default 8-bit tiles of MXFP4 and the block
    /// types (`int8GEMM`) stay within `linearInt8`. The cblas path decodes float tiles for sgemm.
    /// Odd shapes: 70 outputs (a partial 48-row panel), 9 or 11 super-blocks of K (a partial 256 slice), 89 blocks
    /// (MXFP4, Q8_0: a slice of one block), T = 37 and 65 (partial 4-token tiles).
    func testVNNIGEMMTakesMXFP4Q8AndBlockTypes() throws {
        try XCTSkipUnless(BLASBackend.usingVNNIKernels, "CPU has no AVX512 VNNI")
        let backend = BLASBackend(threads: 2)
        XCTAssertFalse(backend.usesGEMM(dtype: .mxfp4, rows: 12))
        XCTAssertTrue(backend.usesGEMM(dtype: .mxfp4, rows: 13), "the 8-bit tiles from T = 13")
        BLASBackend.int8GEMM = false
        XCTAssertFalse(backend.usesGEMM(dtype: .mxfp4, rows: 32))
        XCTAssertTrue(backend.usesGEMM(dtype: .mxfp4, rows: 33), "the 16-bit tiles from T = 33")
        BLASBackend.int8GEMM = true
        XCTAssertTrue(backend.usesGEMM(dtype: .q8_0, rows: 5))
        let blockTypes: [DType] = [.q4_0, .q4_1, .q5_0, .q5_1, .q4_K, .q5_K, .q6_K]
        for dtype in [DType.mxfp4, .q8_0] + blockTypes {
            for rows in [37, 65] {
                var outputs: [[UInt32]] = []
                // cblas: the integer GEMV up to T = 256 (MXFP4), float tiles + sgemm (the others)
                // own with the 16-bit tiles, own with the block types' default 8-bit tiles (int8GEMM), cblas
                for (path, int8) in [(GEMMPath.own, false), (.own, true), (.cblas, true)] {
                    BLASBackend.gemmOverride = path
                    BLASBackend.int8GEMM = int8
                    defer { BLASBackend.int8GEMM = true }
                    let inFeatures =
                        blockTypes.contains(dtype) ? (rows == 37 ? 2304 : 2816) : (rows == 37 ? 2880 : 2848)
                    let rounds8 = backend.linearRoundsActivationsToInt8(dtype: dtype, rows: rows)
                    XCTAssertEqual(rounds8, int8 && path == .own && dtype != .q8_0, "\(dtype) \(path)")
                    let (out, reference) = try linear(dtype, rows: rows, inFeatures: inFeatures)
                    XCTAssertLessThan(
                        Comparison.nmse(out, reference),
                        rounds8 ? Tolerance.linearInt8 : Tolerance.linearFixedPoint,
                        "\(dtype) T=\(rows) \(path) int8 \(int8)")
                    XCTAssertFalse(out.contains { !$0.isFinite }, "\(dtype) T=\(rows) \(path)")
                    outputs.append(out.map(\.bitPattern))
                }
                XCTAssertNotEqual(
                    outputs[0], outputs[2],
                    "\(dtype) T=\(rows): identical bits, the VNNI GEMM did not run")
                if dtype != .q8_0 {
                    XCTAssertNotEqual(
                        outputs[0], outputs[1],
                        "\(dtype) T=\(rows): identical bits, the int8 tiles did not run")
                }
            }
        }
    }

    /// The vdpbf16ps BF16 GEMM (default on) rounds x to bf16: its NMSE is that of the rounding (≈ 2.5e-6), above the
    /// float path's and within `linearBF16Dot`; off, the BF16 GEMM keeps float32 activations. The GEMV (T ≤ 16)
    /// never rounds.
    func testBF16DotRoundsActivationsPastTheGEMV() throws {
        try XCTSkipUnless(BLASBackend.usingAVX512Kernels && BLASBackend.cpuHasBF16, "CPU has no AVX512-BF16")
        let backend = BLASBackend(threads: 2)
        XCTAssertTrue(BLASBackend.usingBF16DotKernels, "vdpbf16ps is the default where the CPU has it")
        BLASBackend.bf16DotProducts = false
        XCTAssertFalse(backend.linearRoundsActivationsToBF16(dtype: .bf16, rows: 64))
        let (exact, reference) = try linear(.bf16, rows: 64, inFeatures: 2880, backend: backend)
        XCTAssertLessThan(Comparison.nmse(exact, reference), Tolerance.linear)
        BLASBackend.bf16DotProducts = true
        XCTAssertTrue(backend.linearRoundsActivationsToBF16(dtype: .bf16, rows: 64))
        XCTAssertFalse(backend.linearRoundsActivationsToBF16(dtype: .bf16, rows: 16), "the GEMV keeps float32 x")
        XCTAssertFalse(backend.linearRoundsActivationsToBF16(dtype: .f32, rows: 64))
        let (rounded, _) = try linear(.bf16, rows: 64, inFeatures: 2880, backend: backend)
        let e = Comparison.nmse(rounded, reference)
        XCTAssertGreaterThan(e, 1e-7, "no bf16 rounding visible: vdpbf16ps did not run")
        XCTAssertLessThan(e, Tolerance.linearBF16Dot)
    }

    /// The instruction class reported for roofline scoring follows the path that runs (`ck_linear_class`).
    func testReportedInstructionClassFollowsThePath() throws {
        try XCTSkipUnless(BLASBackend.usingAVX512Kernels, "CPU has no AVX-512")
        let b = BLASBackend(threads: 1)
        func cls(_ kind: OpKind, _ dtype: DType? = nil, rows: Int) -> KernelClass {
            b.kernelClass(for: OpDescriptor(kind, dtype: dtype), rows: rows)
        }
        XCTAssertEqual(
            cls(.linear, .bf16, rows: 1), KernelClass(BLASBackend.usingFloatGEMV512 ? .fma512 : .fma256),
            "one vector: the 512-bit rows on full-width CPUs, else the AVX2 loop")
        BLASBackend.floatGEMV512 = false
        XCTAssertEqual(cls(.linear, .bf16, rows: 1), KernelClass(.fma256), "one vector held on the AVX2 loop")
        BLASBackend.floatGEMV512 = true
        XCTAssertEqual(cls(.linear, .bf16, rows: 1), KernelClass(.fma512), "one vector forced on the 512-bit rows")
        BLASBackend.floatGEMV512 = nil
        XCTAssertEqual(cls(.linear, .bf16, rows: 3), KernelClass(.fma512))
        BLASBackend.bf16DotProducts = false
        XCTAssertEqual(cls(.linear, .bf16, rows: 64), KernelClass(.fma512), "our GEMM, float32 microkernel")
        BLASBackend.bf16DotProducts = true
        XCTAssertEqual(cls(.attention, rows: 64), KernelClass(.fma512))
        if BLASBackend.usingVNNIKernels {
            XCTAssertEqual(cls(.linear, .mxfp4, rows: 64), KernelClass(.int8VNNI512), "the 8-bit GEMM tiles")
            BLASBackend.int8GEMM = false
            XCTAssertEqual(cls(.linear, .mxfp4, rows: 64), KernelClass(.int16VNNI512))
            BLASBackend.int8GEMM = true
            XCTAssertEqual(cls(.moe, .mxfp4, rows: 8), KernelClass(.int8VNNI512, productsPerMAC: 2), "the GEMV")
        }
        if BLASBackend.cpuHasBF16 {
            XCTAssertEqual(cls(.linear, .bf16, rows: 64), KernelClass(.bf16Dot512), "the default vdpbf16ps GEMM")
        }
        BLASBackend.disableAVX512 = true
        XCTAssertEqual(cls(.linear, .bf16, rows: 64), BLASBackend.openBLASKernelClass, "OpenBLAS on decoded tiles")
        XCTAssertEqual(cls(.attention, rows: 64), KernelClass(.fma256))
    }
}
