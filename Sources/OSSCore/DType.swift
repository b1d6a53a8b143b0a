/// Storage type of a weight tensor, as it sits in a model file.
///
/// Activations and accumulators are always Float32; weights keep their stored dtype and are decoded inside kernels.
public enum DType: String, Sendable, CaseIterable, Codable, CustomStringConvertible {
    /// IEEE binary32.
    case f32
    /// IEEE binary16.
    case f16
    /// bfloat16 (upper half of a binary32; decode is `bits << 16`).
    case bf16
    /// GGUF Q8_0: blocks of 32 weights, 34 bytes each: `{ f16 d; i8 qs[32] }`, value = d·qs[k].
    case q8_0
    /// OCP MXFP4 in the gpt-oss safetensors layout: separate `blocks` (16 bytes per 32 weights, low nibble = even
    /// element, high nibble = odd element, E2M1 codes) and `scales` (one E8M0 byte per 32 weights, 2^(s−127)).
    case mxfp4

    public var description: String { rawValue }

    /// Number of weights that share one block (1 for plain float types).
    public var blockSize: Int {
        switch self {
        case .f32, .f16, .bf16: return 1
        case .q8_0, .mxfp4: return 32
        }
    }

    /// Bytes of one block in the main data buffer (for MXFP4: the `blocks` buffer only; scales are separate).
    public var bytesPerBlock: Int {
        switch self {
        case .f32: return 4
        case .f16, .bf16: return 2
        case .q8_0: return 34
        case .mxfp4: return 16
        }
    }

    /// Bytes per weight including scales, for bandwidth accounting (MXFP4: 17/32 = 4.25 bits).
    public var bytesPerWeight: Double {
        switch self {
        case .mxfp4: return 17.0 / 32.0
        default: return Double(bytesPerBlock) / Double(blockSize)
        }
    }

    /// Bytes of the main data buffer for a row of `n` weights (n must be a multiple of `blockSize`).
    public func rowBytes(_ n: Int) -> Int { n / blockSize * bytesPerBlock }

    /// Bytes of the separate scale buffer for a row of `n` weights (MXFP4 only; 0 otherwise).
    public func rowScaleBytes(_ n: Int) -> Int { self == .mxfp4 ? n / 32 : 0 }

    /// Parses names used on the command line and in files ("f32", "F32", "bf16", "q8_0", "mxfp4", …).
    public init?(name: String) {
        let n = name.lowercased().replacingOccurrences(of: "-", with: "_")
        switch n {
        case "f32", "float32", "fp32": self = .f32
        case "f16", "float16", "fp16": self = .f16
        case "bf16", "bfloat16": self = .bf16
        case "q8_0", "q8": self = .q8_0
        case "mxfp4", "mxfp4_moe": self = .mxfp4
        default: return nil
        }
    }
}
