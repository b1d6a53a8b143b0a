import OSSCore
import XCTest

/// Shape (inline rank ≤ 4) and Tensor views: rows, row, reshaped, offsets sharing one storage.
final class ShapeTensorTests: XCTestCase {
    func testShapeBasics() {
        let s: Shape = [3, 4, 5]
        XCTAssertEqual(s.rank, 3)
        XCTAssertEqual(s.dims, [3, 4, 5])
        XCTAssertEqual(s.count, 60)
        XCTAssertEqual(s.last, 5)
        XCTAssertEqual(s.rows, 12)
        XCTAssertEqual(Shape([]).count, 1)
        XCTAssertEqual(Shape([]).rank, 0)
        XCTAssertEqual(Shape([7]).rows, 1)
        XCTAssertEqual(Shape([7]).last, 7)
        XCTAssertEqual(Shape([2, 0, 3]).count, 0)
        XCTAssertEqual(Shape([2, 3]), Shape([2, 3]))
        XCTAssertNotEqual(Shape([2, 3]), Shape([3, 2]))
        XCTAssertNotEqual(Shape([6]), Shape([6, 1]), "rank is part of the shape")
        XCTAssertEqual(Set([Shape([2, 3]), Shape([2, 3]), Shape([6])]).count, 2)
        XCTAssertEqual(s.description, "[3, 4, 5]")
    }

    func testCheckedShapeRejectsBadDimensions() {
        XCTAssertEqual(try Shape.checked([2, 3], context: "t"), Shape([2, 3]))
        XCTAssertThrowsError(try Shape.checked([1, 2, 3, 4, 5], context: "t")) { XCTAssertTrue($0 is OSSError) }
        XCTAssertThrowsError(try Shape.checked([2, -1], context: "t")) { XCTAssertTrue($0 is OSSError) }
        XCTAssertThrowsError(try Shape.checked([Int.max / 2, 4], context: "t")) { XCTAssertTrue($0 is OSSError) }
    }

    func testTensorViewsShareStorage() throws {
        let t = Tensor((0..<24).map(Float.init), shape: [4, 6])
        XCTAssertEqual(t.rows, 4)
        XCTAssertEqual(t.columns, 6)
        let middle = t.rows(1..<3)
        XCTAssertEqual(middle.shape, Shape([2, 6]))
        XCTAssertEqual(middle.offset, 6)
        XCTAssertEqual(middle.toArray(), (6..<18).map(Float.init))
        let r = t.row(2)
        XCTAssertEqual(r.shape, Shape([6]))
        XCTAssertEqual(r.toArray(), (12..<18).map(Float.init))
        // a row of a rows-view is offset twice
        XCTAssertEqual(middle.row(1).toArray(), (12..<18).map(Float.init))
        // writes through a view land in the shared storage
        middle.row(0).fill(-1)
        XCTAssertEqual(t.toArray()[6..<12].map { $0 }, [Float](repeating: -1, count: 6))
        XCTAssertEqual(t.toArray()[5], 5)
        XCTAssertEqual(t.toArray()[12], 12)
        // rank-3 rows keep the inner dimensions
        let cube = try t.reshaped([2, 3, 4])
        XCTAssertEqual(cube.rows(1..<2).shape, Shape([1, 3, 4]))
        XCTAssertEqual(cube.rows(1..<2).offset, 12)
        XCTAssertEqual(cube.rows, 6)
        XCTAssertEqual(cube.columns, 4)
    }

    func testBorrowedTensorUsesCallerMemoryAndNeverFreesIt() {
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: 8)
        defer { buffer.deallocate() }
        buffer.initialize(repeating: 1, count: 8)
        do {
            let t = Tensor(borrowing: buffer, shape: [2, 4])
            XCTAssertEqual(t.pointer, buffer)
            t.row(1).fill(5)  // writes land in the caller's memory
            XCTAssertEqual(Array(UnsafeBufferPointer(start: buffer, count: 8)), [1, 1, 1, 1, 5, 5, 5, 5])
        }
        // the views are gone and the memory is still the caller's (deallocated by the defer, once)
        buffer[0] = 2
        XCTAssertEqual(buffer[0], 2)
    }

    func testReshapedKeepsElementsAndRejectsOtherCounts() throws {
        let t = Tensor((0..<12).map(Float.init), shape: [3, 4])
        let v = try t.rows(1..<3).reshaped([8])
        XCTAssertEqual(v.toArray(), (4..<12).map(Float.init))
        XCTAssertThrowsError(try t.reshaped([5, 2])) { error in
            guard case OSSError.invalidShape = error else {
                return XCTFail("expected OSSError.invalidShape, got \(error)")
            }
        }
    }

    func testCopyAndFill() {
        let a = Tensor(zeros: [2, 3])
        XCTAssertEqual(a.toArray(), [0, 0, 0, 0, 0, 0])
        a.fill(.nan)
        XCTAssertTrue(a.toArray().allSatisfy(\.isNaN))
        let b = Tensor([1, 2, 3, 4, 5, 6], shape: [3, 2])
        a.copy(from: b)
        XCTAssertEqual(a.toArray(), [1, 2, 3, 4, 5, 6])
    }

    func testWeightTensorViewsAndValidation() throws {
        // [E 2, out 3, in n] stack (n = 64, or 256 for the K-quants): matrix(e) and rows(range) address the right rows
        // of every dtype
        for dtype in DType.allCases {
            let n = max(64, dtype.blockSize)
            let values: [Float] = (0..<(2 * 3 * n)).map { (i: Int) -> Float in Float((i * 37) % 29 - 14) / 4 }
            let w = try WeightTensor.encode(values, shape: [2, 3, n], dtype: dtype)
            XCTAssertEqual(w.matrices, 2)
            XCTAssertEqual(w.outFeatures, 3)
            XCTAssertEqual(w.inFeatures, n)
            let all = w.decodedArray()
            XCTAssertEqual(w.matrix(1).decodedArray(), Array(all[(3 * n)...]), "\(dtype) matrix(1)")
            XCTAssertEqual(
                w.matrix(1).rows(1..<3).decodedArray(), Array(all[(4 * n)...]),
                "\(dtype) matrix(1).rows(1..<3)")
            XCTAssertEqual(w.storedBytes, 6 * (dtype.rowBytes(n) + dtype.rowScaleBytes(n)))
        }
        XCTAssertThrowsError(
            try WeightTensor.encode([Float](repeating: 0, count: 48), shape: [48], dtype: .q8_0),
            "48 is not a multiple of the Q8_0 block")
        XCTAssertThrowsError(try WeightTensor.encode([0, 1], shape: [3], dtype: .f32), "value count ≠ shape")
        let storage = WeightStorage(count: 64)
        XCTAssertThrowsError(
            try WeightTensor(dtype: .mxfp4, shape: [1, 32], data: storage.bytes, scales: nil, owner: storage),
            "mxfp4 without scales")
        XCTAssertThrowsError(
            try WeightTensor(dtype: .f32, shape: [1, 2, 3, 4], data: storage.bytes, owner: storage),
            "rank 4")
    }

    func testDTypeSizes() {
        XCTAssertEqual(DType.mxfp4.bytesPerWeight, 17.0 / 32.0)
        XCTAssertEqual(DType.q8_0.bytesPerWeight, 34.0 / 32.0)
        XCTAssertEqual(DType.bf16.rowBytes(7), 14)
        XCTAssertEqual(DType.mxfp4.rowBytes(2880), 90 * 16)
        XCTAssertEqual(DType.mxfp4.rowScaleBytes(2880), 90)
        XCTAssertEqual(DType(name: "BF16"), .bf16)
        XCTAssertEqual(DType(name: "q8-0"), .q8_0)
        XCTAssertNil(DType(name: "int4"))
    }
}
