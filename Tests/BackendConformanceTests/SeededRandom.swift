/// Deterministic SplitMix64 generator: every conformance case draws its inputs from its own seed, printed in the
/// case name, so a failure can be reproduced exactly.
struct SeededRandom {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    /// Next 64 random bits (SplitMix64, Steele et al. 2014).
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform Double in [−1, 1).
    mutating func signedUnit() -> Double { Double(next() >> 11) * 0x1p-52 - 1 }

    /// Uniform integer in `0..<n` (n > 0).
    mutating func index(_ n: Int) -> Int { Int(next() % UInt64(n)) }

    /// `count` Floats uniform in [−scale, scale).
    mutating func floats(_ count: Int, scale: Float = 1) -> [Float] {
        (0..<count).map { _ in Float(signedUnit()) * scale }
    }

    /// Seed derived from a case's parameters (FNV-1a of its description), so the same case draws the same
    /// inputs for every backend and thread count.
    static func seed(for description: String) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in description.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        return h
    }
}
