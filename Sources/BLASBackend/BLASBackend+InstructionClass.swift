import CKernels
import OSSCore

extension BLASBackend: InstructionClassReporting {
    /// The class of OpenBLAS's SGEMM kernels for the core type it chose (`ck_openblas_class`): the direct-call
    /// reference rows of the benchmark.
    public static var openBLASKernelClass: KernelClass {
        KernelClass(InstructionClass(index: Int(ck_openblas_class())) ?? .fma256)
    }

    /// The class of the C kernel that runs `op` now: linear (and the experts of `moe`, `rows` = tokens per expert)
    /// from the kernel dispatch (`ck_linear_class`), embedding/argmax/top-k as plain reads (scored against FMA256),
    /// every other op from the float kernels' width (`ck_float_class`).
    public func kernelClass(for op: OpDescriptor, rows: Int) -> KernelClass {
        switch op.kind {
        case .linear, .moe:
            var products: Int32 = 1
            let cls = ck_linear_class(context, (op.dtype ?? .f32).ckDType, Int64(max(rows, 1)), &products)
            return KernelClass(InstructionClass(index: Int(cls)) ?? .fma256, productsPerMAC: Int(products))
        default:
            return KernelClass(InstructionClass(index: Int(ck_float_class())) ?? .fma256)
        }
    }
}
