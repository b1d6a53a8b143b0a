import BLASBackend
import OSSCore
import XCTest

/// Tests of the conformance harness itself: a correct backend (the float64 reference rounded to Float32) passes
/// every op at the thresholds of `Tolerance`; each deliberately broken backend is caught; the BLAS scalar switch
/// really changes the kernels the `blas-scalar` runner uses.
final class HarnessSelfTests: XCTestCase {
    /// One small case per op, plus the ones the semantic faults need (window, sinks, bias, ties).
    static func sampleCases() throws -> [any ConformanceCase] {
        let table = try RopeTable.yarn(
            headDim: 16, theta: 150_000, factor: 32, originalContext: 4096, betaFast: 32,
            betaSlow: 1, maxPositions: 64)
        return [
            try LinearCase(dtype: .mxfp4, rows: 7, inFeatures: 96, outFeatures: 33, bias: true),
            NormConformanceTests.rmsNormCase(rows: 3, n: 33, inPlace: false),
            RopeConformanceTests.ropeCase("yarn16", table, style: .neox, rows: 7, heads: 3, firstPosition: 13),
            AttentionConformanceTests.attentionCase(
                heads: 8, kvHeads: 2, headDim: 16,
                scenario: AttentionScenario(rows: 7, window: 4, firstPosition: 9, cache: .full), sinks: true),
            NormConformanceTests.softmaxCase(rows: 3, n: 33, offset: 0, inPlace: false),
            try MoECase(expertDType: .mxfp4, routerDType: .bf16, topK: 4, hidden: 96, rows: 5),
            ActivationConformanceTests.swigluCase(rows: 3, intermediate: 33),
            ActivationConformanceTests.siluMulCase(rows: 3, n: 33, alias: .none),
            ActivationConformanceTests.addCase(rows: 3, n: 33, alias: .none),
            try EmbeddingConformanceTests.embeddingCase(dtype: .q8_0, hidden: 96, tokens: [3, 0, 49]),
            SamplingCase(op: "argmax", n: 65, levels: 3),
            SamplingCase(op: "topK", n: 65, k: 10, levels: 4),
        ]
    }

    static func runners(_ backend: @escaping @Sendable () -> any Backend, _ label: String) -> [BackendRunner] {
        [BackendRunner(BackendFactory(label) { _ in backend() }, threads: 1)]
    }

    func testCorrectBackendPassesEveryOp() throws {
        let runners = Self.runners({ ReferenceBackend() }, "reference")
        for c in try Self.sampleCases() {
            XCTAssertEqual(Conformance.problems(c, runners: runners), [], "\(c.op)(\(c.parameters))")
        }
    }

    /// Which ops of `sampleCases` each fault must be caught on.
    static let expectedCatches: [BrokenBackend.Fault: Set<String>] = [
        .skipsLastElement: [
            "linear", "rmsNorm", "rope", "attention", "softmax", "moe", "swiglu", "siluMul", "add", "embedding",
        ],
        .writesPastEnd: [
            "linear", "rmsNorm", "rope", "attention", "softmax", "moe", "swiglu", "siluMul", "add", "embedding",
        ],
        .perturbsFirstElement: [
            "linear", "rmsNorm", "rope", "attention", "softmax", "moe", "swiglu", "siluMul", "add", "embedding",
        ],
        .windowOffByOne: ["attention"],
        .ignoresSinks: ["attention"],
        .dropsBias: ["linear"],
        .swapsRopeStyle: ["rope"],
        .highestIndexWinsTies: ["argmax", "topK"],
        .modifiesInput: ["linear", "rmsNorm", "attention", "softmax", "moe", "swiglu", "siluMul", "add"],
    ]

    func testBrokenBackendsAreCaught() throws {
        for fault in BrokenBackend.Fault.allCases {
            let cases = try Self.sampleCases()  // fresh inputs: a fault may have scribbled on the previous ones
            let runners = Self.runners({ BrokenBackend(fault) }, "broken-\(fault.rawValue)")
            let must = Self.expectedCatches[fault] ?? []
            for c in cases {
                let caught = !Conformance.problems(c, runners: runners).isEmpty
                XCTAssertEqual(
                    caught, must.contains(c.op),
                    "fault \(fault.rawValue) on \(c.op)(\(c.parameters)): caught \(caught)")
            }
        }
    }

    /// The `blas-scalar` runner really runs the portable kernels; `blas` runs AVX2+FMA where the CPU has it, and the
    /// 512-bit kernels (VNNI with VBMI for MXFP4, our GEMM) where it has those; `blas-avx2` runs AVX2 with all of
    /// AVX-512 held off, `blas-vpshufb` VNNI with VBMI held off, `blas-own` our GEMM for every dtype with VNNI held
    /// off and BF16 on the float32 microkernel instead of the default vdpbf16ps one, `blas-int16` the 16-bit GEMM
    /// tiles of MXFP4 and the block types instead of the 8-bit ones, `blas-int8-gemv` MXFP4's GEMV on 8-bit
    /// activations (only it), `blas-gemv256` / `blas-gemv512` the one-vector float GEMV on the other path (only it);
    /// the block types' GEMVs round x to 8 bits on every AVX2 runner but `blas-avx2-x16`, and so does their GEMM wherever
    /// it runs VNNI's or the AVX2 8-bit tiles; `blas-avx2` holds AVX-VNNI off, every other AVX2 runner uses it where
    /// the CPU has it.
    func testBLASPathSwitchesTakeEffect() throws {
        let info = BLASRuntimeInfo.current()
        for runner in ConformanceBackends.runners where runner.label.hasPrefix("blas") {
            let (avx2, avx512, vnni, vbmi, bf16, gemm, int8, mx8, gemv512, gemvInt8, avxVNNI) = try runner.run { b in
                (
                    BLASBackend.usingAVX2Kernels, BLASBackend.usingAVX512Kernels, BLASBackend.usingVNNIKernels,
                    BLASBackend.usingVBMIKernels, BLASBackend.usingBF16DotKernels,
                    (b as? BLASBackend)?.gemmPath(for: .f32),
                    (b as? BLASBackend)?.linearRoundsActivationsToInt8(dtype: .q4_K, rows: 512) ?? false,
                    (b as? BLASBackend)?.linearRoundsActivationsToInt8(dtype: .mxfp4, rows: 1) ?? false,
                    BLASBackend.usingFloatGEMV512,
                    (b as? BLASBackend)?.linearRoundsActivationsToInt8(dtype: .q4_K, rows: 1) ?? false,
                    BLASBackend.usingAVXVNNIKernels
                )
            }
            let what = "\(runner.label) threads=\(runner.threads)"
            let flipped = ["blas-gemv256", "blas-gemv512"].contains(runner.label)
            let wide =
                (["blas", "blas-vpshufb", "blas-own", "blas-int16", "blas-int8-gemv"].contains(runner.label)
                    || flipped) && info.cpuHasAVX2FMA
            // the one-vector float GEMV: 512-bit blocks by default where the units are full width, the other path
            // under blas-gemv256 / blas-gemv512
            XCTAssertEqual(gemv512, avx512 && (info.cpuHasFullWidth512 != flipped), what)
            if flipped { XCTAssertEqual(runner.label == "blas-gemv512", gemv512, what) }
            XCTAssertEqual(avx2, runner.label != "blas-scalar" && info.cpuHasAVX2FMA, what)
            XCTAssertEqual(avx512, wide && info.cpuHasAVX512, what)
            XCTAssertEqual(vnni, wide && runner.label != "blas-own" && info.cpuHasVNNI, what)
            XCTAssertEqual(vbmi, vnni && runner.label != "blas-vpshufb" && info.cpuHasVBMI, what)
            XCTAssertEqual(bf16, runner.label != "blas-own" && avx512 && info.cpuHasBF16, what)
            if runner.label == "blas-own" { XCTAssertEqual(gemm, avx512 ? .own : .cblas, what) }
            // the 8-bit GEMM: VNNI tiles, or without AVX-512 the AVX2 tiles (8-bit AVX2 GEMVs on)
            XCTAssertEqual(
                int8, vnni ? runner.label != "blas-int16" : avx2 && !avx512 && runner.label != "blas-avx2-x16", what)
            XCTAssertEqual(avxVNNI, avx2 && info.cpuHasAVXVNNI == true && runner.label != "blas-avx2", what)
            XCTAssertEqual(mx8, vnni && runner.label == "blas-int8-gemv", what)
            XCTAssertEqual(gemvInt8, avx2 && runner.label != "blas-avx2-x16", what)
            if !avx512 { XCTAssertEqual(gemm, .cblas, what) }
        }
        XCTAssertFalse(BLASBackend.forceScalarKernels, "the scalar switch must be off again after a blas-scalar run")
        XCTAssertFalse(BLASBackend.disableAVX512, "the AVX-512 switch must be off again after a blas-avx2 run")
        XCTAssertFalse(BLASBackend.disableAVXVNNI, "the AVX-VNNI switch must be off again after a blas-avx2 run")
        XCTAssertFalse(BLASBackend.disableVBMI, "the VBMI switch must be off again after a blas-vpshufb run")
        XCTAssertFalse(BLASBackend.disableVNNI, "the VNNI switch must be off again after a blas-own run")
        XCTAssertTrue(BLASBackend.bf16DotProducts, "the BF16-dot switch must be on again after a blas-own run")
        XCTAssertEqual(BLASBackend.gemmOverride, .auto, "the GEMM override must be off again after a blas-own run")
        XCTAssertTrue(BLASBackend.int8GEMM, "the 8-bit GEMM switch must be on again after a blas-int16 run")
        XCTAssertFalse(BLASBackend.int8GEMV, "the 8-bit GEMV switch must be off again after a blas-int8-gemv run")
        XCTAssertTrue(BLASBackend.avx2Int8GEMV, "the AVX2 8-bit GEMV switch must be on again after a blas-avx2-x16 run")
        XCTAssertNil(BLASBackend.floatGEMV512, "the float GEMV switch must be back on auto after a blas-gemv run")
    }
}
