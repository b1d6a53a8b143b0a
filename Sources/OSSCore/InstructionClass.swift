/// The instruction class of a kernel's inner loop: what its compute ceiling is measured with. Peaks are counted in
/// GOP/s with multiplies and adds apart (an FP32 FMA lane is 2 ops, a `vpdpbusd` 32-bit lane 8, a `vdpbf16ps` or
/// `vpdpwssd` lane 4).
/// Mirrors `ck_iclass` of the C probes (same order).
public enum InstructionClass: String, Codable, CaseIterable, Sendable, CustomStringConvertible {
    /// FP32 FMA, 8 lanes (`vfmadd231ps ymm`).
    case fma256 = "fp32-fma256"
    /// FP32 FMA, 16 lanes (`vfmadd231ps zmm`, AVX512F).
    case fma512 = "fp32-fma512"
    /// u8×s8 dot on 256 bits: `vpmaddubsw` + `vpmaddwd` + `vpaddd` (AVX2).
    case int8Maddubs256 = "int8-maddubs256"
    /// u8×s8 dot on 256 bits: `vpdpbusd ymm` (AVX512-VNNI with VL, or AVX-VNNI).
    case int8VNNI256 = "int8-vnni256"
    /// u8×s8 dot on 512 bits: `vpdpbusd zmm` (AVX512-VNNI).
    case int8VNNI512 = "int8-vnni512"
    /// bf16 pair dot into FP32 on 512 bits: `vdpbf16ps zmm` (AVX512-BF16).
    case bf16Dot512 = "bf16-dot512"
    /// s16×s16 pair dot into s32 on 512 bits: `vpdpwssd zmm` (AVX512-VNNI; the BLAS backend's VNNI GEMM tiles).
    case int16VNNI512 = "int16-vnni512"

    public var description: String { rawValue }

    /// Register width in bits.
    public var bits: Int {
        switch self {
        case .fma256, .int8Maddubs256, .int8VNNI256: return 256
        case .fma512, .int8VNNI512, .bf16Dot512, .int16VNNI512: return 512
        }
    }

    /// The instruction the class's probe issues, for reports.
    public var instruction: String {
        switch self {
        case .fma256: return "vfmadd231ps ymm"
        case .fma512: return "vfmadd231ps zmm"
        case .int8Maddubs256: return "vpmaddubsw+vpmaddwd ymm"
        case .int8VNNI256: return "vpdpbusd ymm"
        case .int8VNNI512: return "vpdpbusd zmm"
        case .bf16Dot512: return "vdpbf16ps zmm"
        case .int16VNNI512: return "vpdpwssd zmm"
        }
    }

    /// Position in `ck_iclass` (the C probes' enum).
    public var index: Int { Self.allCases.firstIndex(of: self)! }

    /// The class at position `index` of `ck_iclass`, nil when out of range.
    public init?(index: Int) {
        guard Self.allCases.indices.contains(index) else { return nil }
        self = Self.allCases[index]
    }
}

/// The kernel a backend runs for one op, as far as its compute ceiling goes: the instruction class of its inner loop
/// and how many of that class's products one counted multiply-add costs (2 on integer paths that split 16-bit
/// fixed-point activations into two byte halves, 1 otherwise). Its ceiling in counted GFLOP/s is the class's peak
/// GOP/s ÷ `productsPerMAC`.
public struct KernelClass: Codable, Sendable, Equatable, Hashable, CustomStringConvertible {
    public var instruction: InstructionClass
    public var productsPerMAC: Int

    public init(_ instruction: InstructionClass, productsPerMAC: Int = 1) {
        self.instruction = instruction
        self.productsPerMAC = max(1, productsPerMAC)
    }

    /// "int8-vnni512÷2", "fp32-fma256".
    public var description: String {
        productsPerMAC == 1 ? instruction.rawValue : "\(instruction.rawValue)÷\(productsPerMAC)"
    }
}

/// A backend that can say which kernel class runs an op at a number of rows (for roofline scoring in benchmarks).
/// Optional: a backend without it is scored against the widest FP32 FMA peak.
public protocol InstructionClassReporting {
    /// The kernel class of `op` at `rows` activation rows (T) right now (CPU features, force switches, library core).
    func kernelClass(for op: OpDescriptor, rows: Int) -> KernelClass
}
