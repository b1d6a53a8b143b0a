import CKernels
import OSSCore

extension BLASBackend {
    /// Index of the largest element (lowest index on ties; NaNs skipped).
    public func argmax(_ x: Tensor) throws -> Int {
        guard x.count > 0 else { throw BackendError.emptyInput(op: "argmax", detail: "x \(x.shape) is empty") }
        return Int(ck_argmax(x.pointer, Int64(x.count)))
    }

    /// The k largest elements, descending, lowest index first among equals (NaNs rank last).
    public func topK(_ x: Tensor, k: Int, ids: inout [Int32], values: inout [Float]) throws {
        try OpValidation.topK(x, k: k, ids: ids, values: values)
        ids.withUnsafeMutableBufferPointer { i in
            values.withUnsafeMutableBufferPointer { v in
                ck_topk(x.pointer, Int64(x.count), Int64(k), i.baseAddress, v.baseAddress)
            }
        }
    }
}
