import OSSCore

extension SwiftBackend: InstructionClassReporting {
    /// Every Swift kernel computes in `SIMD8<Float>` FMAs (the package builds Swift for the Haswell AVX2+FMA floor;
    /// weights are decoded to float in registers).
    public func kernelClass(for op: OpDescriptor, rows: Int) -> KernelClass { KernelClass(.fma256) }
}
