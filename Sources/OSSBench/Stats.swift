/// Summary statistics of one cell's timed samples (warm-up already excluded). All times in nanoseconds.
public struct SampleStatistics: Codable, Sendable, Equatable {
    public var count: Int
    public var min: Double
    public var max: Double
    public var mean: Double
    public var median: Double
    public var p10: Double
    public var p90: Double
    public var p99: Double

    /// Statistics of `samples` (any order). Percentiles interpolate linearly between order statistics
    /// (the "R-7" / NumPy default: rank = p·(n−1)). Empty input gives all zeros.
    public init(_ samples: [Double]) {
        let s = samples.sorted()
        count = s.count
        guard let first = s.first, let last = s.last else {
            min = 0
            max = 0
            mean = 0
            median = 0
            p10 = 0
            p90 = 0
            p99 = 0
            return
        }
        min = first
        max = last
        mean = s.reduce(0, +) / Double(s.count)
        median = Self.percentile(sorted: s, 0.5)
        p10 = Self.percentile(sorted: s, 0.1)
        p90 = Self.percentile(sorted: s, 0.9)
        p99 = Self.percentile(sorted: s, 0.99)
    }

    /// The `p`-quantile (0…1) of ascending `sorted` samples, linearly interpolated.
    public static func percentile(sorted: [Double], _ p: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let rank = Swift.min(Swift.max(p, 0), 1) * Double(sorted.count - 1)
        let lo = Int(rank.rounded(.down))
        let hi = Swift.min(lo + 1, sorted.count - 1)
        let frac = rank - Double(lo)
        return sorted[lo] + (sorted[hi] - sorted[lo]) * frac
    }
}
