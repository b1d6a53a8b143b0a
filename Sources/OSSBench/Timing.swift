#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Monotonic time and the timed loop every cell runs.
public enum Timing {
    /// Monotonic clock in nanoseconds.
    @inline(__always) public static func nowNs() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    /// Runs `body(i)` `warmup` times untimed, then timed until `reps` samples are taken or, once `minReps` samples
    /// exist, `budgetSeconds` of timed work has passed (keeps slow cells bounded). Returns the samples in ns.
    /// `prelude(i)`, when given, runs untimed right before each timed `body(i)` (a paired reference measurement).
    public static func measure(
        warmup: Int, reps: Int, minReps: Int = 3, budgetSeconds: Double = .infinity,
        prelude: ((Int) throws -> Void)? = nil,
        _ body: (Int) throws -> Void
    ) rethrows -> [Double] {
        for i in 0..<max(0, warmup) { try body(i) }
        var samples: [Double] = []
        samples.reserveCapacity(reps)
        var spent = 0.0
        for i in 0..<max(1, reps) {
            try prelude?(warmup + i)
            let t0 = nowNs()
            try body(warmup + i)
            let dt = Double(nowNs() - t0)
            samples.append(dt)
            spent += dt / 1e9
            if samples.count >= minReps && spent >= budgetSeconds { break }
        }
        return samples
    }
}

/// SplitMix64: a small seeded generator for benchmark inputs (reproducible, not cryptographic).
struct BenchRandom {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [-scale, scale).
    mutating func float(scale: Float = 1) -> Float {
        (Float(next() >> 40) / Float(1 << 24) * 2 - 1) * scale
    }

    mutating func floats(_ n: Int, scale: Float = 1) -> [Float] { (0..<n).map { _ in float(scale: scale) } }

}
