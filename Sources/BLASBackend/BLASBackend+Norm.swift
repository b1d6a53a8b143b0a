import CKernels
import OSSCore

extension BLASBackend {
    /// Row-wise RMSNorm; `out` may be `x`.
    public func rmsNorm(_ x: Tensor, weight: Tensor, eps: Float, out: Tensor) throws {
        try OpValidation.rmsNorm(x, weight, out)
        ck_rms_norm(
            x.pointer, weight.pointer, eps, Int64(x.rows), Int64(x.columns), out.pointer, Int32(clamping: threads))
    }

    /// Row-wise softmax; `out` may be `x`.
    public func softmax(_ x: Tensor, out: Tensor) throws {
        try OpValidation.rowwise("softmax", x, out)
        ck_softmax(x.pointer, Int64(x.rows), Int64(x.columns), out.pointer, Int32(clamping: threads))
    }
}
