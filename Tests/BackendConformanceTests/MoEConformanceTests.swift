import OSSCore
import XCTest

/// `moe(experts=…,router=…,E=8,k=…,H=…,I=64,T=…)`: the gpt-oss MoE block with every expert dtype, k = 4 and 1,
/// one token and many, biases present and absent, inputs scaled so the SwiGLU clamps are live.
struct MoECase: ConformanceCase {
    let op = "moe"
    let parameters: String
    let weights: MoEWeights
    let x: GuardedTensor
    let out: GuardedTensor
    let expected: [Double]
    let statistics: Reference.MoEStatistics
    let xSnapshot: InputSnapshot

    /// Smallest allowed gap between the k-th and (k+1)-th router logit: float32 router logits are off by ~1e-5,
    /// so a closer pair could legitimately route differently. Such draws are replaced by the next seed.
    static let minimumSelectionGap = 1e-3

    init(
        expertDType: DType, routerDType: DType, experts: Int = 8, topK: Int, hidden: Int, intermediate: Int = 64,
        rows: Int, biases: Bool = true, limit: Float = 7, alpha: Float = 1.702
    ) throws {
        let description =
            "experts=\(expertDType),router=\(routerDType),E=\(experts),k=\(topK),H=\(hidden),"
            + "I=\(intermediate),T=\(rows),biases=\(biases ? 1 : 0),limit=\(limit),alpha=\(alpha)"
        var seed = SeededRandom.seed(for: "moe" + description)
        // Every dot product is a sum of H (or I) terms x·w with w uniform in ±1: x in ±21/√H gives a standard
        // deviation of about 7 for gate/up, so a good share of the selected gates and ups is clamped.
        let xScale = 21 / Float(hidden).squareRoot()
        while true {
            var random = SeededRandom(seed: seed)
            let xValues = random.floats(rows * hidden, scale: xScale)
            let w = MoEWeights(
                router: try .encode(random.floats(experts * hidden), shape: [experts, hidden], dtype: routerDType),
                routerBias: biases ? Tensor(random.floats(experts), shape: [experts]) : nil,
                gateUp: try .encode(
                    random.floats(experts * 2 * intermediate * hidden),
                    shape: [experts, 2 * intermediate, hidden], dtype: expertDType),
                gateUpBias: biases
                    ? Tensor(random.floats(experts * 2 * intermediate), shape: [experts, 2 * intermediate]) : nil,
                down: try .encode(
                    random.floats(experts * hidden * intermediate, scale: 0.25),
                    shape: [experts, hidden, intermediate], dtype: expertDType),
                downBias: biases ? Tensor(random.floats(experts * hidden), shape: [experts, hidden]) : nil,
                topK: topK, swigluLimit: limit, swigluAlpha: alpha)
            var statistics = Reference.MoEStatistics()
            let expected = Reference.moe(
                Reference.widen(xValues), rows: rows, weights: Reference.DecodedMoE(w),
                statistics: &statistics)
            if statistics.smallestSelectionGap < Self.minimumSelectionGap {
                seed &+= 1
                continue
            }
            parameters = description + ",seed=\(Conformance.hex(seed))"
            weights = w
            x = GuardedTensor(xValues, shape: [rows, hidden])
            out = GuardedTensor(shape: [rows, hidden])
            xSnapshot = InputSnapshot(x)
            self.expected = expected
            self.statistics = statistics
            return
        }
    }

    func run(on backend: any Backend) throws -> String? {
        if let u = Conformance.unsupported(backend, OpDescriptor(.moe, dtype: weights.gateUp.dtype)) { return u }
        out.poison()
        try backend.moe(x.view, weights: weights, out: out.view)
        // an expert's token group reaches the GEMM from 5 tokens on; whether it does depends on the routing
        let bf16Dot = ConformanceBackends.roundsActivationsToBF16(
            backend, dtype: weights.gateUp.dtype,
            rows: x.view.rows)
        let int8 = [1, x.view.rows].contains {
            ConformanceBackends.roundsActivationsToInt8(backend, op: .moe, dtype: weights.gateUp.dtype, rows: $0)
        }
        let tolerance = Tolerance.moe(weights.gateUp.dtype, bf16Dot: bf16Dot, int8: int8)
        if let problem = Comparison.check(out, expected: expected, tolerance: tolerance) { return problem }
        return xSnapshot.changes().map { "read-only input x was modified: \($0)" }
    }
}

final class MoEConformanceTests: XCTestCase {
    /// Router dtype paired with each expert dtype (gpt-oss: MXFP4 experts, BF16 router).
    /// Router dtype paired with each expert dtype (gpt-oss: MXFP4 experts, BF16 router; the GGUF block types:
    /// their own dtype, as llama.cpp's quantized MoE files hold).
    static func routerDType(_ experts: DType) -> DType {
        switch experts {
        case .mxfp4, .bf16: return .bf16
        case .f32, .q8_0: return .f32
        default: return experts
        }
    }

    /// Every expert dtype × T = 1, 5, 33 × k = 4, 1 on the tiny config's sizes (E 8, H 96, I 64; the K-quants,
    /// whose rows are 256-wide super-blocks: H 256, I 256).
    func testMoE() throws {
        var gatesClamped = 0
        var upsClamped = 0
        for expertDType in DType.allCases {
            let width = expertDType.blockSize == 256 ? 256 : 0
            for rows in [1, 5, 33] {
                for topK in [4, 1] {
                    let c = try MoECase(
                        expertDType: expertDType, routerDType: Self.routerDType(expertDType),
                        topK: topK, hidden: width > 0 ? width : 96,
                        intermediate: width > 0 ? width : 64, rows: rows)
                    gatesClamped += c.statistics.gatesClamped
                    upsClamped += c.statistics.upsClamped
                    Conformance.check(c)
                }
            }
        }
        print("moe: \(gatesClamped) selected gates and \(upsClamped) selected ups were clamped")
        XCTAssertGreaterThan(gatesClamped, 0, "no selected gate exceeded the limit: the gate clamp was not exercised")
        XCTAssertGreaterThan(upsClamped, 0, "no selected |up| exceeded the limit: the up clamp was not exercised")
    }

    /// No biases at all; k = E (every expert selected); another clamp limit and sigmoid slope (a kernel
    /// hard-coding 7 and 1.702 fails); gpt-oss's hidden size 2880 (90 MXFP4 groups per row).
    func testMoEVariants() throws {
        Conformance.check(
            try MoECase(
                expertDType: .mxfp4, routerDType: .bf16, topK: 4, hidden: 96, rows: 5,
                limit: 4, alpha: 1.2))
        Conformance.check(
            try MoECase(expertDType: .mxfp4, routerDType: .bf16, topK: 4, hidden: 96, rows: 5, biases: false))
        Conformance.check(try MoECase(expertDType: .mxfp4, routerDType: .bf16, topK: 8, hidden: 96, rows: 3))
        Conformance.check(try MoECase(expertDType: .mxfp4, routerDType: .bf16, topK: 4, hidden: 2880, rows: 1))
        Conformance.check(try MoECase(expertDType: .mxfp4, routerDType: .bf16, topK: 4, hidden: 2880, rows: 5))
    }
}
