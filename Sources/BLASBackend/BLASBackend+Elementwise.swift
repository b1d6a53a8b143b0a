import CKernels
import OSSCore

extension BLASBackend {
    /// gpt-oss clamped SwiGLU on interleaved `gateUp[T, 2I]` → `out[T, I]`.
    public func swiglu(_ gateUp: Tensor, limit: Float, alpha: Float, out: Tensor) throws {
        try OpValidation.swiglu(gateUp, out)
        ck_swiglu(
            gateUp.pointer, Int64(gateUp.rows), Int64(out.columns), limit, alpha, out.pointer,
            Int32(clamping: threads))
    }

    /// `out = silu(gate) · up`; `out` may alias either input.
    public func siluMul(gate: Tensor, up: Tensor, out: Tensor) throws {
        try OpValidation.elementwise("siluMul", gate, up, out)
        ck_silu_mul(gate.pointer, up.pointer, Int64(gate.count), out.pointer, Int32(clamping: threads))
    }

    /// `out = a + b`; `out` may alias either input.
    public func add(_ a: Tensor, _ b: Tensor, out: Tensor) throws {
        try OpValidation.elementwise("add", a, b, out)
        ck_add(a.pointer, b.pointer, Int64(a.count), out.pointer, Int32(clamping: threads))
    }
}
