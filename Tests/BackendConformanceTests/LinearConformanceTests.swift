import BLASBackend
import OSSCore
import XCTest

/// `linear(dtype=…,T=…,in=…,out=…,bias=…)`: every weight dtype, T = 1 (GEMV path) and T > 1 (GEMM path),
/// sizes of 1, odd and not a multiple of any SIMD width or block, plus a few real-model sizes.
struct LinearCase: ConformanceCase {
    let op = "linear"
    let parameters: String
    let x: GuardedTensor
    let weight: WeightTensor
    let bias: GuardedTensor?
    let out: GuardedTensor
    let expected: [Double]
    /// NMSE denominator floor: Σ (x·w)² over every product, for the dtypes whose BLAS GEMV rounds x.
    let normFloor: Double
    let xSnapshot: InputSnapshot

    /// `viewOffset` > 0: the weight is rows `viewOffset ..< viewOffset + out` of a bigger weight (as q/k/v are cut
    /// from a fused qkv), so the data and scale pointers of a view are exercised.
    init(dtype: DType, rows: Int, inFeatures: Int, outFeatures: Int, bias hasBias: Bool, viewOffset: Int = 0) throws {
        var description = "dtype=\(dtype),T=\(rows),in=\(inFeatures),out=\(outFeatures),bias=\(hasBias ? 1 : 0)"
        if viewOffset > 0 { description += ",weightRows=\(viewOffset)..<\(viewOffset + outFeatures)" }
        let seed = SeededRandom.seed(for: "linear" + description)
        parameters = description + ",seed=\(Conformance.hex(seed))"
        var random = SeededRandom(seed: seed)
        x = GuardedTensor(random.floats(rows * inFeatures), shape: [rows, inFeatures])
        let storedRows = outFeatures + 2 * viewOffset
        let whole = try WeightTensor.encode(
            random.floats(storedRows * inFeatures), shape: [storedRows, inFeatures],
            dtype: dtype)
        weight = viewOffset > 0 ? whole.rows(viewOffset..<(viewOffset + outFeatures)) : whole
        bias = hasBias ? GuardedTensor(random.floats(outFeatures), shape: [outFeatures]) : nil
        out = GuardedTensor(shape: [rows, outFeatures])
        xSnapshot = InputSnapshot(x)
        let xs = Reference.widen(x.view)
        let ws = Reference.decoded(weight)
        expected = Reference.linear(
            xs, rows: rows, weight: ws, outFeatures: outFeatures, inFeatures: inFeatures,
            bias: bias.map { Reference.widen($0.view) })
        normFloor =
            Tolerance.roundsActivations(dtype)
            ? Reference.linearTermSquares(xs, rows: rows, weight: ws, outFeatures: outFeatures, inFeatures: inFeatures)
            : 0
    }

    func run(on backend: any Backend) throws -> String? {
        if let u = Conformance.unsupported(backend, OpDescriptor(.linear, dtype: weight.dtype)) { return u }
        out.poison()
        try backend.linear(x.view, weight: weight, bias: bias?.view, out: out.view)
        let bf16Dot = ConformanceBackends.roundsActivationsToBF16(backend, dtype: weight.dtype, rows: x.view.rows)
        let int8 = ConformanceBackends.roundsActivationsToInt8(backend, dtype: weight.dtype, rows: x.view.rows)
        let tolerance = Tolerance.linear(weight.dtype, bf16Dot: bf16Dot, int8: int8)
        if let problem = Comparison.check(out, expected: expected, tolerance: tolerance, normFloor: normFloor) {
            return problem
        }
        return xSnapshot.changes().map { "read-only input x was modified: \($0)" }
    }
}

final class LinearConformanceTests: XCTestCase {
    /// (in, out) pairs for dtypes without blocks: 1, odd, not a multiple of 8/16/32.
    static let plainShapes = [(1, 1), (7, 33), (65, 7), (33, 65)]
    /// (in, out) pairs for block dtypes (in % 32 == 0): one and three blocks per row; odd outputs.
    static let blockShapes = [(32, 1), (96, 7), (96, 33), (32, 65)]
    /// (in, out) pairs for the K-quants (in % 256 == 0): one, three and seven super-blocks per row; odd outputs.
    static let superBlockShapes = [(256, 1), (768, 7), (256, 33), (1792, 65)]

    static func shapes(_ dtype: DType) -> [(Int, Int)] {
        switch dtype.blockSize {
        case 1: return plainShapes
        case 32: return blockShapes
        default: return superBlockShapes
        }
    }

    /// A model-sized row of each dtype: gpt-oss's 2880 (90 blocks), or for the K-quants 2048 (Llama-3.2-1B's hidden
    /// size, 8 super-blocks).
    static func modelWidth(_ dtype: DType) -> Int { dtype.blockSize == 256 ? 2048 : 2880 }

    /// The GGUF 4/5/6-bit block types (integer GEMVs against 16-bit activations on the BLAS backend).
    static let ggufBlockTypes: [DType] = [.q4_0, .q4_1, .q5_0, .q5_1, .q4_K, .q5_K, .q6_K]

    /// T = 1: the GEMV (decode) path.
    func testLinearGEMV() throws {
        for dtype in DType.allCases {
            for (n, (inFeatures, outFeatures)) in Self.shapes(dtype).enumerated() {
                Conformance.check(
                    try LinearCase(
                        dtype: dtype, rows: 1, inFeatures: inFeatures,
                        outFeatures: outFeatures, bias: n % 2 == 0))
            }
            // one long row per dtype, many outputs: 4097 = 2^12 + 1 defeats every blocking of the output dimension
            Conformance.check(
                try LinearCase(
                    dtype: dtype, rows: 1,
                    inFeatures: dtype.blockSize == 1 ? 33 : dtype.blockSize,
                    outFeatures: 4097, bias: true))
            // rows longer than 4096 (AVX2: f16/bf16 take the batch kernel's row blocks there), 7 outputs (blocks of
            // 4 rows plus 3), an odd block count
            Conformance.check(
                try LinearCase(
                    dtype: dtype, rows: 1, inFeatures: dtype.blockSize == 1 ? 4131 : 4096 + dtype.blockSize,
                    outFeatures: 7, bias: false))
        }
    }

    /// T > 1: the GEMM (prefill) path, T = 2, 7, 64, 130.
    func testLinearGEMM() throws {
        for dtype in DType.allCases {
            for rows in [2, 7, 64, 130] {
                for (n, (inFeatures, outFeatures)) in Self.shapes(dtype).enumerated()
                where !(inFeatures == 1 && rows > 7) {
                    Conformance.check(
                        try LinearCase(
                            dtype: dtype, rows: rows, inFeatures: inFeatures,
                            outFeatures: outFeatures, bias: (n + rows) % 2 == 0))
                }
            }
        }
    }

    /// gpt-oss sized rows (H = 2880, 90 MXFP4 blocks): GEMV with 4097 outputs and GEMM with T = 64; rows of 4097
    /// inputs; GEMM with T = 130 and 4097 outputs.
    func testLinearModelSizes() throws {
        for dtype in DType.allCases {
            let width = Self.modelWidth(dtype)
            Conformance.check(try LinearCase(dtype: dtype, rows: 1, inFeatures: width, outFeatures: 4097, bias: true))
            Conformance.check(try LinearCase(dtype: dtype, rows: 64, inFeatures: width, outFeatures: 65, bias: false))
        }
        // 4097 = 2^12 + 1 inputs (plain dtypes only: block dtypes need in % 32 == 0): no SIMD width divides the row
        for dtype in DType.allCases where dtype.blockSize == 1 {
            Conformance.check(try LinearCase(dtype: dtype, rows: 1, inFeatures: 4097, outFeatures: 7, bias: false))
            Conformance.check(try LinearCase(dtype: dtype, rows: 7, inFeatures: 4097, outFeatures: 33, bias: true))
        }
        // 519 = 2·256 + 7 inputs, 97 outputs, T = 200: partial blocks in every dimension of a blocked GEMM
        for dtype in DType.allCases where dtype.blockSize == 1 {
            Conformance.check(try LinearCase(dtype: dtype, rows: 200, inFeatures: 519, outFeatures: 97, bias: true))
        }
        for dtype in [DType.f32, .bf16, .mxfp4, .q4_1, .q6_K] {
            Conformance.check(
                try LinearCase(
                    dtype: dtype, rows: 130, inFeatures: dtype.blockSize == 256 ? 256 : 96,
                    outFeatures: 4097, bias: true))
        }
        // the 16-bit integer GEMVs (MXFP4; Q8_0 on VNNI) at 5, 7, 8, 9 and 17 blocks per row (partial pairs, quads and
        // groups of 8), T = 1 and 3, with 7 outputs (passes of 4 or 2 rows, then the rest)
        for dtype in [DType.q8_0, .mxfp4, .q4_0, .q4_1, .q5_0, .q5_1] {
            for blocks in [5, 7, 8, 9, 17] {
                for rows in [1, 3] {
                    Conformance.check(
                        try LinearCase(
                            dtype: dtype, rows: rows, inFeatures: 32 * blocks, outFeatures: 7,
                            bias: blocks % 2 == 1))
                }
            }
        }
        // the K-quants' GEMVs at 1, 7 and 33 super-blocks per row, T = 1 and 3, 7 outputs
        for dtype in [DType.q4_K, .q5_K, .q6_K] {
            for superBlocks in [1, 7, 33] {
                for rows in [1, 3] {
                    Conformance.check(
                        try LinearCase(
                            dtype: dtype, rows: rows, inFeatures: 256 * superBlocks,
                            outFeatures: 7, bias: superBlocks % 2 == 1))
                }
            }
        }
        // the GGUF block types on both sides of their integer GEMV limits (T ≤ 16 for Q6_K, ≤ 32 for the others), at
        // 65 and 512 (the GEMM paths), with 32 / 96-wide rows (K-quants: 256 / 768) and odd outputs
        for dtype in Self.ggufBlockTypes {
            for (rows, blocks) in [(16, 1), (17, 3), (32, 1), (33, 3), (65, 1), (512, 3)] {
                Conformance.check(
                    try LinearCase(
                        dtype: dtype, rows: rows, inFeatures: blocks * dtype.blockSize,
                        outFeatures: 33, bias: rows % 2 == 1))
            }
        }
        // MXFP4 on both sides of the integer GEMV's T limits (64 on the AVX2 path, 256 on the AVX512-VNNI path)
        for rows in [65, 256, 257] {
            Conformance.check(
                try LinearCase(
                    dtype: .mxfp4, rows: rows, inFeatures: 96, outFeatures: 33,
                    bias: rows % 2 == 1))
        }
    }

    /// Batched decode (one activation row per stream): f32/f16/bf16 at T = 2 … 17 run the register-blocked GEMV
    /// (gemv_batch.c, T ≤ 16 on the AVX2 and AVX-512 paths; T = 17 is past it). Rows of 1, 7, 31 (< 32), 33, 97 and
    /// 1637 (K % 32 ≠ 0; 1637 crosses the kernel's K chunks of 768 f32 / 1536 f16/bf16 weights) inputs; 1, 7 and 33
    /// outputs (T = 2 one row at a time; from T = 3 blocks of 4 rows, then single rows).
    func testLinearBatchedDecodeGEMV() throws {
        for dtype in [DType.f32, .f16, .bf16] {
            for rows in [2, 3, 5, 8, 13, 16, 17] {
                for (n, (inFeatures, outFeatures)) in [(1, 7), (7, 33), (31, 1), (33, 7), (97, 33), (1637, 7)]
                    .enumerated()
                {
                    Conformance.check(
                        try LinearCase(
                            dtype: dtype, rows: rows, inFeatures: inFeatures,
                            outFeatures: outFeatures, bias: (n + rows) % 2 == 0))
                }
            }
            Conformance.check(try LinearCase(dtype: dtype, rows: 8, inFeatures: 2880, outFeatures: 65, bias: true))
        }
    }

    /// `BLASBackend.gemvMaxRows` raised to 64 keeps T = 33 and 37 on the batched GEMV, past its 32 vectors per pass
    /// over the rows (a second pass for the rest), on every backend and forced path.
    func testLinearBatchedDecodeGEMVBeyondOnePass() throws {
        BLASBackend.gemvMaxRows = 64
        defer { BLASBackend.gemvMaxRows = nil }
        for dtype in [DType.f32, .f16, .bf16] {
            for (rows, inFeatures) in [(33, 97), (37, 1637)] {
                Conformance.check(
                    try LinearCase(
                        dtype: dtype, rows: rows, inFeatures: inFeatures, outFeatures: 7,
                        bias: rows % 2 == 1))
            }
        }
    }

    /// Weight views (rows 5..<38 of a bigger weight, as q/k/v are cut from a fused qkv): data and MXFP4 scale
    /// pointers must be honoured.
    func testLinearWeightRowView() throws {
        for dtype in DType.allCases {
            for rows in [1, 7] {
                Conformance.check(
                    try LinearCase(
                        dtype: dtype, rows: rows, inFeatures: 3 * max(dtype.blockSize, 32),
                        outFeatures: 33, bias: true, viewOffset: 5))
            }
        }
    }
}
