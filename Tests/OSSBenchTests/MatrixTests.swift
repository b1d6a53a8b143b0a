import OSSCore
import XCTest

@testable import OSSBench

final class MatrixTests: XCTestCase {
    func testCommaListsAndRanges() throws {
        XCTAssertEqual(try VectorParameter.integers("1,2", name: "threads"), [1, 2])
        XCTAssertEqual(try VectorParameter.integers("1-4", name: "threads"), [1, 2, 3, 4])
        XCTAssertEqual(try VectorParameter.integers("1,4-6,2", name: "threads"), [1, 4, 5, 6, 2])
        XCTAssertEqual(try VectorParameter.integers("1-16*2", name: "tokens"), [1, 2, 4, 8, 16])
        XCTAssertEqual(try VectorParameter.integers("0-12+4", name: "x", minimum: 0), [0, 4, 8, 12])
        XCTAssertEqual(try VectorParameter.integers("2,2,1", name: "threads"), [2, 1], "duplicates dropped")
    }

    func testBadIntegerListsThrowNamingTheParameter() {
        for bad in ["", "x", "4-1", "0", "1-", "1-4*1", "1-4+0"] {
            XCTAssertThrowsError(try VectorParameter.integers(bad, name: "threads"), bad) { error in
                guard case BenchError.invalidParameter(let name, _, _) = error else { return XCTFail("\(error)") }
                XCTAssertEqual(name, "threads")
            }
        }
    }

    func testNamesAndProduct() throws {
        XCTAssertEqual(
            try VectorParameter.names("swift,blas", name: "backend", allowed: ["swift", "blas", "auto"]),
            ["swift", "blas"])
        XCTAssertEqual(try VectorParameter.names(" Swift , BLAS ", name: "backend"), ["swift", "blas"])
        XCTAssertThrowsError(try VectorParameter.names("swift,cuda", name: "backend", allowed: ["swift", "blas"]))
        let p = VectorParameter.product([["swift", "blas"], ["1", "2", "3"]])
        XCTAssertEqual(p.count, 6)
        XCTAssertEqual(p.first, ["swift", "1"])
        XCTAssertEqual(p.last, ["blas", "3"])
    }

    func testOpsSpecExpansion() throws {
        let linear = try OpsSuite.specs(ops: ["linear"], dtypes: nil, tokens: [1, 16], kvLengths: [128])
        // Five matrices at two T, the unembedding at T = 1 only (prefill unembeds the last token).
        XCTAssertEqual(linear.count, 11)
        XCTAssertEqual(linear.first(where: { $0.family == .gate_up })?.dtype, .mxfp4, "natural dtype")
        XCTAssertEqual(linear.filter { $0.family == .unembed }.map(\.tokens), [1])
        let typed = try OpsSuite.specs(ops: ["qkv"], dtypes: [.f32, .q8_0], tokens: [1, 512], kvLengths: [128])
        XCTAssertEqual(
            typed.map(\.description),
            ["linear.qkv f32 T=1", "linear.qkv f32 T=512", "linear.qkv q8_0 T=1", "linear.qkv q8_0 T=512"])
        let attention = try OpsSuite.specs(ops: ["attention"], dtypes: nil, tokens: [1, 512], kvLengths: [128, 1024])
        // T = 512 does not fit a 128-position cache: 2 × (1 @128, 1 @1024, 512 @1024).
        XCTAssertEqual(attention.count, 6)
        XCTAssertEqual(Set(attention.map(\.test)), ["attention.full", "attention.sliding"])
        XCTAssertThrowsError(try OpsSuite.specs(ops: ["conv"], dtypes: nil, tokens: [1], kvLengths: [128]))
    }

    func testDefaultMatrixCoversTheIssueFigures() {
        let c = BenchConfiguration.defaultMatrix(cores: 2)
        XCTAssertEqual(c.threads, [1, 2])
        XCTAssertEqual(c.suites, [.ops, .e2e])
        let specs = c.opSpecs
        XCTAssertTrue(specs.contains(OpSpec(.qkv, dtype: .f32, tokens: 512)))
        for d in [DType.f32, .bf16, .q8_0, .mxfp4] {
            XCTAssertTrue(specs.contains(OpSpec(.qkv, dtype: d, tokens: 1)), "\(d)")
        }
        XCTAssertTrue(specs.contains(OpSpec(.moe, dtype: .mxfp4, tokens: 512)))
        // ops × 2 backends × 2 threads + the cblas rows of the two f32 cells × 2 threads + the read rows of the ten
        // T = 1 linear cells × 2 threads + e2e 2 × 2.
        XCTAssertEqual(specs.filter { $0.family.linearShape != nil && $0.tokens == 1 }.count, 10)
        XCTAssertEqual(c.cellCount, specs.count * 4 + 2 * 2 + 10 * 2 + 4)
    }
}

final class DTypeListTests: XCTestCase {
    func testDTypeLists() throws {
        XCTAssertEqual(try VectorParameter.dtypes("f32,BF16,q8_0,mxfp4", name: "dtype"), [.f32, .bf16, .q8_0, .mxfp4])
        XCTAssertThrowsError(try VectorParameter.dtypes("f32,q3_k", name: "dtype"))
    }
}
