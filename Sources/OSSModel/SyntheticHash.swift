/// The deterministic hash of gpt-oss.md §6 that defines every synthetic weight (uint32 wrap-around arithmetic).
public enum SyntheticHash {
    /// `h32(seed, i)`: `x = i·0x9E3779B1 + seed·0x85EBCA77 + 0x165667B1; x ^= x>>15; x *= 0x2C1B3C6D;
    /// x ^= x>>12; x *= 0x297A2D39; x ^= x>>15`.
    @inlinable
    public static func h32(seed: UInt32, index: UInt32) -> UInt32 {
        var x = index &* 0x9E37_79B1 &+ seed &* 0x85EB_CA77 &+ 0x1656_67B1
        x ^= x >> 15
        x &*= 0x2C1B_3C6D
        x ^= x >> 12
        x &*= 0x297A_2D39
        x ^= x >> 15
        return x
    }
}

/// How the values of one synthetic tensor follow from `h32(seed, i)` (i = flat row-major index in the
/// original-checkpoint shape; `b = h32 >> 24`).
public enum SyntheticRecipe: Sendable, Equatable {
    /// `(b − 128)·2^−shift`, stored as BF16 (exact).
    case float(seed: UInt32, shift: Int)
    /// Norm scale `(192 + (h32 >> 26)) / 256`, stored as BF16 (exact).
    case normScale(seed: UInt32)
    /// MXFP4 block byte = b (two E2M1 codes).
    case fp4Blocks(seed: UInt32)
    /// E8M0 scale byte = base + (b mod 3).
    case e8m0Scales(seed: UInt32, base: UInt8)

    /// The value of element `i` (float recipes).
    @inlinable
    public func value(_ i: UInt32) -> Float {
        switch self {
        case .float(let seed, let shift):
            let b = Int(SyntheticHash.h32(seed: seed, index: i) >> 24)
            return Float(b - 128) * Float(sign: .plus, exponent: -shift, significand: 1)
        case .normScale(let seed):
            return Float(192 + (SyntheticHash.h32(seed: seed, index: i) >> 26)) / 256
        case .fp4Blocks, .e8m0Scales:
            return Float(byte(i))
        }
    }

    /// The byte of element `i` (byte recipes).
    @inlinable
    public func byte(_ i: UInt32) -> UInt8 {
        switch self {
        case .fp4Blocks(let seed):
            return UInt8(truncatingIfNeeded: SyntheticHash.h32(seed: seed, index: i) >> 24)
        case .e8m0Scales(let seed, let base):
            return base &+ UInt8(truncatingIfNeeded: (SyntheticHash.h32(seed: seed, index: i) >> 24) % 3)
        case .float, .normScale:
            return 0
        }
    }

    /// Whether the tensor holds bytes (U8) rather than BF16 floats.
    public var isBytes: Bool {
        switch self {
        case .fp4Blocks, .e8m0Scales: return true
        case .float, .normScale: return false
        }
    }
}
