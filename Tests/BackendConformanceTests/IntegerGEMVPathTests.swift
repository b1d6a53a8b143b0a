import BLASBackend
import OSSCore
import XCTest

/// The BLAS backend's integer GEMVs. The MXFP4 one's instruction paths (AVX2 `vpmaddubsw`; AVX512 `vpdpbusd` with a
/// `vpermb` or a `vpshufb` lookup) compute the same integers and sum them in the same order, so their outputs must be
/// bit-identical; the Q8_0 one runs on VNNI CPUs; and the 16-bit activation rounding both share must keep the edge
/// cases of x right (NaN/inf propagate, all-zero and tiny blocks, one large element in a block).
final class IntegerGEMVPathTests: XCTestCase {
    /// y = x·Wᵀ on the BLAS backend with 2 threads, for T rows of x.
    private func run(_ x: [Float], rows: Int, weight: WeightTensor) throws -> [Float] {
        let backend = BLASBackend(threads: 2)
        let out = Tensor(zeros: Shape(rows, weight.shape[0]))
        try backend.linear(Tensor(x, shape: Shape(rows, weight.shape[1])), weight: weight, bias: nil, out: out)
        return out.toArray()
    }

    private func weight(rows: Int, cols: Int, seed: UInt64, dtype: DType = .mxfp4) throws -> WeightTensor {
        var random = SeededRandom(seed: seed)
        return try WeightTensor.encode(random.floats(rows * cols), shape: Shape(rows, cols), dtype: dtype)
    }

    func testVNNIAndAVX2PathsAreBitIdentical() throws {
        try XCTSkipUnless(BLASBackend.cpuHasVNNI && BLASBackend.usingAVX2Kernels, "CPU has no AVX512 VNNI")
        // OpenBLAS as the GEMM keeps the VNNI GEMV up to T = 256 (with our GEMM, its VNNI tiles take over from T = 33)
        BLASBackend.gemmOverride = .cblas
        defer {
            BLASBackend.disableVNNI = false
            BLASBackend.disableVBMI = false
            BLASBackend.gemmOverride = .auto
        }
        // (disable VNNI, disable VBMI) per path; the vpermb one only where the CPU has VBMI
        let paths: [(name: String, noVNNI: Bool, noVBMI: Bool)] =
            [("avx2", true, false), ("vpshufb", false, true)]
            + (BLASBackend.cpuHasVBMI ? [("vpermb", false, false)] : [])
        // 1, 3 (odd: a half pair), 5 and 7 (a quad and a partial one), 8, 9 (a full group plus one), 90 (gpt-oss H)
        // blocks; row counts that leave 1–3 rows after passes of 4 or 2; T = 1…5 (NX 1–4, then 4 + 1), 63 and 64 (the
        // last T on the AVX2 path's integer kernel: 15 passes of 4 plus 3, and 16 of 4)
        for (cols, outs) in [(32, 7), (96, 33), (160, 1), (224, 6), (256, 5), (288, 17), (2880, 65)] {
            let w = try weight(rows: outs, cols: cols, seed: UInt64(cols * 31 + outs))
            for rows in [1, 2, 3, 4, 5, 63, 64] {
                var random = SeededRandom(seed: UInt64(rows * 1000 + cols))
                let x = random.floats(rows * cols, scale: 3)
                var outputs: [[UInt32]] = []
                for path in paths {
                    BLASBackend.disableVNNI = path.noVNNI
                    BLASBackend.disableVBMI = path.noVBMI
                    XCTAssertEqual(BLASBackend.usingVNNIKernels, !path.noVNNI, path.name)
                    XCTAssertEqual(BLASBackend.usingVBMIKernels, path.name == "vpermb", path.name)
                    outputs.append(try run(x, rows: rows, weight: w).map(\.bitPattern))
                }
                for (path, out) in zip(paths.dropFirst(), outputs.dropFirst()) {
                    XCTAssertEqual(out, outputs[0], "\(path.name) vs avx2: cols \(cols), T \(rows)")
                }
            }
        }
    }

    /// `selectGEMVPath` sets the switches for a path the CPU has and throws, changing nothing, for one it lacks.
    func testSelectingAPath() throws {
        defer {
            BLASBackend.disableVNNI = false
            BLASBackend.disableVBMI = false
            BLASBackend.avx2Int8GEMV = true
        }
        let avx2 = BLASBackend.usingAVX2Kernels
        let has: [GEMVPath: Bool] = [
            .auto: true, .avx2: avx2, .avx2Int8: avx2, .vpshufb: avx2 && BLASBackend.cpuHasVNNI,
            .vpermb: avx2 && BLASBackend.cpuHasVBMI,
        ]
        for path in GEMVPath.allCases {
            try BLASBackend.selectGEMVPath(.auto)
            let before = (BLASBackend.disableVNNI, BLASBackend.disableVBMI, BLASBackend.avx2Int8GEMV)
            guard has[path] == true else {
                XCTAssertThrowsError(try BLASBackend.selectGEMVPath(path), path.rawValue)
                XCTAssertTrue(
                    (BLASBackend.disableVNNI, BLASBackend.disableVBMI, BLASBackend.avx2Int8GEMV) == before,
                    path.rawValue)
                continue
            }
            try BLASBackend.selectGEMVPath(path)
            XCTAssertEqual(BLASBackend.avx2Int8GEMV, path != .avx2, path.rawValue)
            // Q8_0's GEMV rounds x to 8 bits on every path but avx2 (where it runs in float)
            XCTAssertEqual(
                BLASBackend(threads: 1).linearRoundsActivationsToInt8(dtype: .q8_0, rows: 1), avx2 && path != .avx2,
                path.rawValue)
            XCTAssertEqual(
                BLASBackend.usingVNNIKernels,
                path == .vpshufb || path == .vpermb
                    || (path == .auto && avx2 && BLASBackend.cpuHasVNNI), path.rawValue)
            XCTAssertEqual(
                BLASBackend.usingVBMIKernels,
                path == .vpermb
                    || (path == .auto && avx2 && BLASBackend.cpuHasVBMI), path.rawValue)
        }
    }

    /// The Q8_0 GEMV (T ≤ 4) takes an integer path on 8-bit x (VNNI; AVX2 `vpmaddubsw` without it), whose rounding
    /// differs from the float one of `avx2Int8GEMV` off in the last bits (all are checked against the reference by the
    /// conformance suite's `blas`, `blas-avx2` and `blas-avx2-x16` runners).
    func testQ8GEMVTakesAnIntegerPath() throws {
        try XCTSkipUnless(BLASBackend.usingAVX2Kernels, "CPU has no AVX2")
        defer {
            BLASBackend.disableVNNI = false
            BLASBackend.avx2Int8GEMV = true
        }
        let w = try weight(rows: 33, cols: 2880, seed: 5, dtype: .q8_0)
        var random = SeededRandom(seed: 9)
        let x = random.floats(2 * 2880, scale: 3)
        let integer = try run(x, rows: 2, weight: w).map(\.bitPattern)
        BLASBackend.disableVNNI = true
        let avx2Int8 = try run(x, rows: 2, weight: w).map(\.bitPattern)
        BLASBackend.avx2Int8GEMV = false
        let float = try run(x, rows: 2, weight: w).map(\.bitPattern)
        XCTAssertNotEqual(integer, float, "identical bits: the integer path did not run")
        XCTAssertNotEqual(avx2Int8, float, "identical bits: the AVX2 8-bit path did not run")
    }

    /// The AVX2 8-bit GEMVs of Q8_0 and the block types compute the same integer sums from the same rounded x as the
    /// VNNI ones (only the float accumulation differs: 8 lanes instead of 16), so their outputs agree to float
    /// rounding: odd block counts (a half pair, a short last group), K-quant rows of 1–3 super-blocks, 1, 3 and 4
    /// vectors (Q8_0's GEMV takes T ≤ 4).
    func testAVX2Int8GEMVsMatchTheVNNIOnes() throws {
        try XCTSkipUnless(BLASBackend.cpuHasVNNI && BLASBackend.usingAVX2Kernels, "CPU has no AVX512 VNNI")
        BLASBackend.gemmOverride = .cblas  // keeps T ≤ 4 on the GEMVs of every dtype
        defer {
            BLASBackend.disableVNNI = false
            BLASBackend.gemmOverride = .auto
        }
        for dtype in [DType.q8_0, .q4_0, .q4_1, .q5_0, .q5_1, .q4_K, .q5_K, .q6_K] {
            let shapes =
                dtype.blockSize == 256 ? [(256, 5), (512, 17), (768, 3)] : [(32, 7), (96, 9), (224, 6), (2880, 33)]
            for (cols, outs) in shapes {
                let w = try weight(rows: outs, cols: cols, seed: UInt64(cols + outs), dtype: dtype)
                for rows in [1, 3, 4] {
                    var random = SeededRandom(seed: UInt64(rows * 100 + cols))
                    let x = random.floats(rows * cols, scale: 3)
                    BLASBackend.disableVNNI = false
                    let vnni = try run(x, rows: rows, weight: w)
                    BLASBackend.disableVNNI = true
                    XCTAssertTrue(
                        BLASBackend(threads: 1).linearRoundsActivationsToInt8(dtype: dtype, rows: rows),
                        "\(dtype) T \(rows)")
                    let avx2 = try run(x, rows: rows, weight: w)
                    let scale = vnni.reduce(Float(0)) { max($0, abs($1)) }
                    for (a, b) in zip(avx2, vnni) {
                        XCTAssertEqual(a, b, accuracy: 1e-5 * scale, "\(dtype) cols \(cols) T \(rows)")
                    }
                }
            }
        }
    }

    /// With AVX-VNNI the AVX2 8-bit GEMVs (AVX-512 off) take `vpdpbusd` / `vpdpwssd ymm` where they ran `vpmaddubsw`,
    /// `vpmaddwd` and `vpaddd` (and Q8_0's `vpsignb`): the block types' int32 sums and float steps are the same, so
    /// their bits are; Q8_0's lanes hold the levels w + 128 against the −128·Σq correction (its VNNI GEMV's form), so
    /// its bits differ by float rounding only. 1–5 vectors (a second pass over the rows), odd block counts, a
    /// partial group of 8 Q8_0 blocks.
    func testAVXVNNIGEMVsMatchTheVPMADDUBSWOnes() throws {
        try XCTSkipUnless(BLASBackend.cpuHasAVXVNNI && BLASBackend.usingAVX2Kernels, "CPU has no AVX-VNNI")
        BLASBackend.disableAVX512 = true
        defer {
            BLASBackend.disableAVX512 = false
            BLASBackend.disableAVXVNNI = false
        }
        for dtype in [DType.q8_0, .q4_0, .q4_1, .q5_0, .q5_1, .q4_K, .q5_K, .q6_K] {
            let cols = dtype.blockSize == 256 ? 768 : 32 * 13
            let w = try weight(rows: 37, cols: cols, seed: UInt64(cols + 5), dtype: dtype)
            for rows in [1, 3, 5] {
                var random = SeededRandom(seed: UInt64(rows * 31 + cols))
                let x = random.floats(rows * cols, scale: 3)
                BLASBackend.disableAVXVNNI = false
                XCTAssertTrue(BLASBackend.usingAVXVNNIKernels)
                XCTAssertTrue(BLASBackend(threads: 1).linearRoundsActivationsToInt8(dtype: dtype, rows: rows))
                XCTAssertFalse(BLASBackend(threads: 1).usesGEMM(dtype: dtype, rows: rows), "\(dtype) T \(rows)")
                let vnni = try run(x, rows: rows, weight: w)
                BLASBackend.disableAVXVNNI = true
                let maddubs = try run(x, rows: rows, weight: w)
                if dtype == .q8_0 {
                    let scale = maddubs.reduce(Float(0)) { max($0, abs($1)) }
                    for (a, b) in zip(vnni, maddubs) {
                        XCTAssertEqual(a, b, accuracy: 1e-5 * scale, "\(dtype) T \(rows)")
                    }
                    XCTAssertNotEqual(vnni.map(\.bitPattern), maddubs.map(\.bitPattern), "Q8_0: AVX-VNNI did not run")
                } else {
                    XCTAssertEqual(vnni.map(\.bitPattern), maddubs.map(\.bitPattern), "\(dtype) T \(rows)")
                }
            }
        }
    }

    /// The AVX2 8-bit GEMM tiles of MXFP4, Q8_0 and the block types (AVX-512 off: `vpmaddubsw`, or `vpdpbusd ymm`
    /// where the CPU has AVX-VNNI) compute the same integer block sums from the same rounded x as the VNNI 8-bit tiles
    /// (Q8_0, which the VNNI GEMM keeps on 16 bits: as its 8-bit GEMV; on `vpmaddubsw` as |w| × sign(x, w)), so their
    /// outputs agree to float rounding: token counts that leave partial groups of 4, rows of 1–3 and 90 blocks (a
    /// slice of 8 blocks and a short one), outputs that leave partial 8-row groups and 32-row panels. Edge cases of x
    /// (a zero block, a tiny one, an outlier; NaN in one row) keep their meaning on each tile.
    func testAVX2Int8GEMMTilesMatchTheVNNIOnes() throws {
        try XCTSkipUnless(BLASBackend.cpuHasVNNI && BLASBackend.usingAVX2Kernels, "CPU has no AVX512 VNNI")
        BLASBackend.gemvMaxRows = 1  // every T ≥ 2 on the GEMM
        defer {
            BLASBackend.gemvMaxRows = nil
            BLASBackend.disableAVX512 = false
            BLASBackend.disableAVXVNNI = false
        }
        let tiles: [(String, avxVNNI: Bool)] =
            [("vpmaddubsw", false)] + (BLASBackend.cpuHasAVXVNNI ? [("AVX-VNNI", true)] : [])
        for dtype in [DType.mxfp4, .q4_0, .q4_1, .q5_0, .q5_1, .q4_K, .q5_K, .q6_K, .q8_0] {
            let shapes = dtype.blockSize == 256 ? [(256, 7), (768, 41)] : [(32, 9), (96, 33), (2880, 70)]
            for (cols, outs) in shapes {
                let w = try weight(rows: outs, cols: cols, seed: UInt64(cols * 3 + outs), dtype: dtype)
                for rows in [2, 5, 11] {
                    var random = SeededRandom(seed: UInt64(rows * 1000 + cols))
                    let x = random.floats(rows * cols, scale: 3)
                    if dtype == .q8_0 { BLASBackend.gemvMaxRows = 64 }
                    let vnni = try run(x, rows: rows, weight: w)
                    BLASBackend.gemvMaxRows = 1
                    let scale = vnni.reduce(Float(0)) { max($0, abs($1)) }
                    for (name, avxVNNI) in tiles {
                        BLASBackend.disableAVX512 = true
                        BLASBackend.disableAVXVNNI = !avxVNNI
                        XCTAssertTrue(BLASBackend.usingAVX2Int8GEMMKernels, name)
                        XCTAssertEqual(BLASBackend.usingAVXVNNIKernels, avxVNNI, name)
                        XCTAssertTrue(
                            BLASBackend(threads: 1).linearRoundsActivationsToInt8(dtype: dtype, rows: rows), name)
                        let avx2 = try run(x, rows: rows, weight: w)
                        BLASBackend.disableAVX512 = false
                        for (a, b) in zip(avx2, vnni) {
                            XCTAssertEqual(a, b, accuracy: 1e-5 * scale, "\(dtype) \(name) cols \(cols) T \(rows)")
                        }
                    }
                }
            }
            // edge cases: row 0 a zero block, a tiny one (below 2^-60) and an outlier; row 1 the same with a NaN
            let cols = max(96, dtype.blockSize)
            let w = try weight(rows: 9, cols: cols, seed: 3, dtype: dtype)
            var random = SeededRandom(seed: 13)
            var x = [Float](repeating: 0, count: cols)
            for i in 32..<64 { x[i] = random.floats(1)[0] * 1e-25 }
            for i in 64..<cols { x[i] = random.floats(1)[0] }
            x[70] = 1000
            var withNaN = x
            withNaN[40] = .nan
            let decoded = w.decodedArray().map(Double.init)
            let reference = (0..<9).map { r in (0..<cols).reduce(0.0) { $0 + decoded[r * cols + $1] * Double(x[$1]) } }
            for (name, avxVNNI) in tiles {
                BLASBackend.disableAVX512 = true
                BLASBackend.disableAVXVNNI = !avxVNNI
                let y = try run(x + withNaN, rows: 2, weight: w)
                BLASBackend.disableAVX512 = false
                XCTAssertLessThan(
                    Comparison.nmse(Array(y[0..<9]), reference), Tolerance.linearInt8, "\(dtype) \(name) edge cases")
                XCTAssertTrue(y[9...].allSatisfy { !$0.isFinite }, "\(dtype) \(name): a NaN row gave \(y[9...])")
            }
        }
    }

    /// On VNNI CPUs the GEMVs of Q8_0 and the block types round x to 8 bits: the K-quants (T ≤ 32) per 256 elements
    /// (quant_k8.c), Q8_0 and the 32-weight types per 32 (quant.c, quant_legacy.c). `linearRoundsActivationsToInt8`
    /// says so exactly there (not with VNNI held off, not for MXFP4's GEMV; past the GEMV's T it is the GEMM's 8-bit
    /// tiles that round, per 32, unless `int8GEMM` is off), and the outputs differ in the last bits from the AVX2
    /// path's (both are checked against the reference by the conformance suite's `blas` and `blas-avx2` runners).
    func testBlockTypeGEMVRoundsToInt8OnVNNI() throws {
        try XCTSkipUnless(BLASBackend.cpuHasVNNI && BLASBackend.usingAVX2Kernels, "CPU has no AVX512 VNNI")
        defer {
            BLASBackend.disableVNNI = false
            BLASBackend.int8GEMM = true
            BLASBackend.avx2Int8GEMV = true
        }
        let backend = BLASBackend(threads: 2)
        XCTAssertFalse(backend.linearRoundsActivationsToInt8(dtype: .mxfp4, rows: 1))
        for dtype in [DType.q8_0, .q4_0, .q4_1, .q5_0, .q5_1, .q4_K, .q5_K, .q6_K] {
            XCTAssertTrue(backend.linearRoundsActivationsToInt8(dtype: dtype, rows: 1), "\(dtype)")
            if dtype.blockSize == 256 {
                let limit = 32
                XCTAssertTrue(backend.linearRoundsActivationsToInt8(dtype: dtype, rows: limit), "\(dtype)")
                XCTAssertTrue(backend.linearRoundsActivationsToInt8(dtype: dtype, rows: limit + 1), "\(dtype) GEMM")
                BLASBackend.int8GEMM = false
                XCTAssertFalse(
                    backend.linearRoundsActivationsToInt8(dtype: dtype, rows: limit + 1),
                    "\(dtype) 16-bit GEMM")
                XCTAssertTrue(backend.linearRoundsActivationsToInt8(dtype: dtype, rows: limit), "\(dtype)")
                BLASBackend.int8GEMM = true
            }
            let cols = dtype.blockSize == 256 ? 768 : 160  // an odd number of 32-blocks: a half-filled last pair
            let w = try weight(rows: 33, cols: cols, seed: 5, dtype: dtype)
            var random = SeededRandom(seed: 9)
            let x = random.floats(3 * cols, scale: 3)
            let int8 = try run(x, rows: 3, weight: w).map(\.bitPattern)
            BLASBackend.disableVNNI = true
            XCTAssertTrue(backend.linearRoundsActivationsToInt8(dtype: dtype, rows: 1), "\(dtype) AVX2 8-bit")
            BLASBackend.avx2Int8GEMV = false
            XCTAssertFalse(backend.linearRoundsActivationsToInt8(dtype: dtype, rows: 1), "\(dtype)")
            let fixed16 = try run(x, rows: 3, weight: w).map(\.bitPattern)
            BLASBackend.avx2Int8GEMV = true
            BLASBackend.disableVNNI = false
            XCTAssertNotEqual(int8, fixed16, "\(dtype): identical bits, the 8-bit path did not run")
        }
    }

    /// The same edge cases through the MXFP4 GEMV, on VNNI CPUs the Q8_0 one, and the GGUF block types' (all round x
    /// the same way, but the 8-bit GEMVs of Q8_0 and the block types: 8 bits per 256 or per 32, `linearInt8`), on the
    /// default path, the AVX2 8-bit one and the AVX2 one on unrounded x.
    func testActivationEdgeCases() throws {
        defer {
            BLASBackend.disableVNNI = false
            BLASBackend.avx2Int8GEMV = true
        }
        for (disableVNNI, avx2Int8) in [(false, true), (true, true), (true, false)] {
            BLASBackend.disableVNNI = disableVNNI
            BLASBackend.avx2Int8GEMV = avx2Int8
            for dtype in [DType.mxfp4, .q8_0, .q4_0, .q4_1, .q5_0, .q5_1, .q4_K, .q5_K, .q6_K] {
                try checkActivationEdgeCases(dtype)
            }
        }
    }

    private func checkActivationEdgeCases(_ dtype: DType) throws {
        let cols = max(96, dtype.blockSize)
        let outs = 9
        let w = try weight(rows: outs, cols: cols, seed: 7, dtype: dtype)
        let decoded = w.decodedArray().map(Double.init)
        func reference(_ x: [Float]) -> [Double] {
            (0..<outs).map { r in (0..<cols).reduce(0.0) { $0 + decoded[r * cols + $1] * Double(x[$1]) } }
        }
        func nmse(_ a: [Float], _ b: [Double]) -> Double {
            let num = zip(a, b).reduce(0.0) { $0 + (Double($1.0) - $1.1) * (Double($1.0) - $1.1) }
            return num / max(b.reduce(0.0) { $0 + $1 * $1 }, .leastNonzeroMagnitude)
        }
        var random = SeededRandom(seed: 11)
        // block 0 all zero, block 1 tiny (below 2^-60: rescaled before rounding), block 2 one large outlier
        var x = [Float](repeating: 0, count: cols)
        for i in 32..<64 { x[i] = random.floats(1)[0] * 1e-25 }
        for i in 64..<cols { x[i] = random.floats(1)[0] }
        x[70] = 1000
        let tiny = Array(x[0..<64]) + [Float](repeating: 0, count: cols - 64)
        // the block types' VNNI GEMVs round x to 8 bits (`linearInt8`)
        let int8 = BLASBackend(threads: 2).linearRoundsActivationsToInt8(dtype: dtype, rows: 1)
        for input in [x, tiny] {
            let y = try run(input, rows: 1, weight: w)
            XCTAssertTrue(y.allSatisfy(\.isFinite), "\(dtype)")
            XCTAssertLessThan(
                nmse(y, reference(input)), int8 ? Tolerance.linearInt8 : Tolerance.linearFixedPoint,
                "\(dtype) \(input.prefix(3)) int8 \(int8)")
        }
        // NaN or inf anywhere in x makes every output non-finite, as in float arithmetic
        for bad in [Float.nan, .infinity] {
            var xb = x
            xb[40] = bad
            let y = try run(xb, rows: 1, weight: w)
            XCTAssertTrue(y.allSatisfy { !$0.isFinite }, "\(dtype): x holding \(bad) gave \(y)")
        }
    }
}
