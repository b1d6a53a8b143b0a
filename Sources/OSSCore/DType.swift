/// Storage type of a weight tensor, as it sits in a model file.
///
/// Activations and accumulators are always Float32; weights keep their stored dtype and are decoded inside kernels.
/// The GGUF block types keep ggml's byte layouts (all little-endian, `d`/`m`/`dmin` IEEE f16); see
/// `LegacyQuant` (Q4_0…Q5_1) and `KQuant` (Q4_K, Q5_K, Q6_K) for the element formulas.
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
    /// GGUF Q4_0: 18-byte blocks of 32 `{ f16 d; u8 qs[16] }`, value = d·(q − 8), q a nibble (element k < 16: low
    /// nibble of qs[k]; k ≥ 16: high nibble of qs[k − 16]).
    case q4_0
    /// GGUF Q4_1: 20-byte blocks of 32 `{ f16 d; f16 m; u8 qs[16] }`, value = d·q + m.
    case q4_1
    /// GGUF Q5_0: 22-byte blocks of 32 `{ f16 d; u8 qh[4]; u8 qs[16] }`, q = nibble | bit k of qh (LE u32) << 4,
    /// value = d·(q − 16).
    case q5_0
    /// GGUF Q5_1: 24-byte blocks of 32 `{ f16 d; f16 m; u8 qh[4]; u8 qs[16] }`, value = d·q + m.
    case q5_1
    /// GGUF Q4_K: 144-byte super-blocks of 256 `{ f16 d; f16 dmin; u8 scales[12]; u8 qs[128] }`: 8 sub-blocks of 32
    /// with 6-bit scale sc and min m, value = d·sc·q − dmin·m, q a nibble.
    case q4_K = "q4_k"
    /// GGUF Q5_K: 176-byte super-blocks of 256 `{ f16 d; f16 dmin; u8 scales[12]; u8 qh[32]; u8 qs[128] }`: Q4_K
    /// with a fifth bit per weight.
    case q5_K = "q5_k"
    /// GGUF Q6_K: 210-byte super-blocks of 256 `{ u8 ql[128]; u8 qh[64]; i8 scales[16]; f16 d }`: 16 sub-blocks of
    /// 16, value = d·scale·(q − 32), q 6 bits.
    case q6_K = "q6_k"

    public var description: String { rawValue }

    /// Number of weights that share one block (1 for plain float types).
    public var blockSize: Int {
        switch self {
        case .f32, .f16, .bf16: return 1
        case .q8_0, .mxfp4, .q4_0, .q4_1, .q5_0, .q5_1: return 32
        case .q4_K, .q5_K, .q6_K: return 256
        }
    }

    /// Bytes of one block in the main data buffer (for MXFP4: the `blocks` buffer only; scales are separate).
    public var bytesPerBlock: Int {
        switch self {
        case .f32: return 4
        case .f16, .bf16: return 2
        case .q8_0: return 34
        case .mxfp4: return 16
        case .q4_0: return 18
        case .q4_1: return 20
        case .q5_0: return 22
        case .q5_1: return 24
        case .q4_K: return 144
        case .q5_K: return 176
        case .q6_K: return 210
        }
    }

    /// Bytes per weight including scales, for bandwidth accounting (MXFP4: 17/32 = 4.25 bits).
    public var bytesPerWeight: Double {
        switch self {
        case .mxfp4: return 17.0 / 32.0
        default: return Double(bytesPerBlock) / Double(blockSize)
        }
    }

    /// Whether weights are stored in blocks with their own scales (every dtype but f32, f16, bf16).
    public var isQuantized: Bool { blockSize > 1 }

    /// Bytes of the main data buffer for a row of `n` weights (n must be a multiple of `blockSize`).
    public func rowBytes(_ n: Int) -> Int { n / blockSize * bytesPerBlock }

    /// Bytes of the separate scale buffer for a row of `n` weights (MXFP4 only; 0 otherwise).
    public func rowScaleBytes(_ n: Int) -> Int { self == .mxfp4 ? n / 32 : 0 }

    /// Parses names used on the command line and in files ("f32", "F32", "bf16", "q8_0", "mxfp4", "Q4_K", …).
    public init?(name: String) {
        let n = name.lowercased().replacingOccurrences(of: "-", with: "_")
        switch n {
        case "f32", "float32", "fp32": self = .f32
        case "f16", "float16", "fp16": self = .f16
        case "bf16", "bfloat16": self = .bf16
        case "q8_0", "q8": self = .q8_0
        case "mxfp4", "mxfp4_moe": self = .mxfp4
        case "q4_0": self = .q4_0
        case "q4_1": self = .q4_1
        case "q5_0": self = .q5_0
        case "q5_1": self = .q5_1
        case "q4_k": self = .q4_K
        case "q5_k": self = .q5_K
        case "q6_k": self = .q6_K
        default: return nil
        }
    }
}
