import BLASBackend
import OSSCore
import XCTest

/// Tests of the conformance harness itself: a correct backend (the float64 reference rounded to Float32) passes
/// every op at the thresholds of `Tolerance`; each deliberately broken backend is caught; the BLAS scalar switch
/// really changes the kernels the `blas-scalar` runner uses.
final class HarnessSelfTests: XCTestCase {
    /// One small case per op, plus the ones the semantic faults need (window, sinks, bias, ties).
    static func sampleCases() throws -> [any ConformanceCase] {
        let table = try RopeTable.yarn(headDim: 16, theta: 150_000, factor: 32, originalContext: 4096, betaFast: 32,
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
        .skipsLastElement: ["linear", "rmsNorm", "rope", "attention", "softmax", "moe", "swiglu", "siluMul", "add", "embedding"],
        .writesPastEnd: ["linear", "rmsNorm", "rope", "attention", "softmax", "moe", "swiglu", "siluMul", "add", "embedding"],
        .perturbsFirstElement: ["linear", "rmsNorm", "rope", "attention", "softmax", "moe", "swiglu", "siluMul", "add", "embedding"],
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
                XCTAssertEqual(caught, must.contains(c.op),
                               "fault \(fault.rawValue) on \(c.op)(\(c.parameters)): caught \(caught)")
            }
        }
    }

    /// The `blas-scalar` runner really runs the portable kernels; `blas` runs AVX2+FMA where the CPU has it (and
    /// VNNI, with VBMI, for MXFP4 where the CPU has them); `blas-avx2` runs AVX2 with VNNI held off, `blas-vpshufb`
    /// VNNI with VBMI held off.
    func testBLASScalarSwitchTakesEffect() throws {
        let info = BLASRuntimeInfo.current()
        for runner in ConformanceBackends.runners where runner.label.hasPrefix("blas") {
            let (avx2, vnni, vbmi) = try runner.run { _ in
                (BLASBackend.usingAVX2Kernels, BLASBackend.usingVNNIKernels, BLASBackend.usingVBMIKernels)
            }
            let what = "\(runner.label) threads=\(runner.threads)"
            XCTAssertEqual(avx2, runner.label != "blas-scalar" && info.cpuHasAVX2FMA, what)
            XCTAssertEqual(vnni, ["blas", "blas-vpshufb"].contains(runner.label) && info.cpuHasAVX2FMA && info.cpuHasVNNI,
                           what)
            XCTAssertEqual(vbmi, runner.label == "blas" && info.cpuHasAVX2FMA && info.cpuHasVBMI, what)
        }
        XCTAssertFalse(BLASBackend.forceScalarKernels, "the scalar switch must be off again after a blas-scalar run")
        XCTAssertFalse(BLASBackend.disableVNNI, "the VNNI switch must be off again after a blas-avx2 run")
        XCTAssertFalse(BLASBackend.disableVBMI, "the VBMI switch must be off again after a blas-vpshufb run")
    }
}
