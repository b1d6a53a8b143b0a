/// How the next token is chosen from the logits.
///
/// Order: temperature scales the logits; then top-k keeps the k most likely, top-p the smallest prefix (by
/// probability, descending) whose mass reaches p, min-p the tokens with probability ≥ minP × the top probability;
/// then one token is drawn from what is left, in proportion to its probability.
public struct SamplingParameters: Sendable, Equatable {
    /// Softmax temperature; ≤ 0 means greedy (argmax).
    public var temperature: Float
    /// Keep only the k most likely tokens; 0 = off.
    public var topK: Int
    /// Nucleus sampling mass in (0, 1]; 1 = off.
    public var topP: Float
    /// Minimum probability relative to the most likely token, in [0, 1]; 0 = off.
    public var minP: Float
    /// Seed of the sampler's random generator: the same seed, logits and parameters give the same tokens.
    public var seed: UInt64

    public init(temperature: Float = 1, topK: Int = 0, topP: Float = 1, minP: Float = 0, seed: UInt64 = 0) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.minP = minP
        self.seed = seed
    }

    /// Always the most likely token.
    public static let greedy = SamplingParameters(temperature: 0)

    /// Whether these parameters pick the argmax.
    public var isGreedy: Bool { temperature <= 0 }

    /// Throws a `SamplerError.invalidParameter` for values outside the ranges above.
    public func validate() throws {
        guard temperature.isFinite else {
            throw SamplerError.invalidParameter("temperature must be finite, got \(temperature)")
        }
        guard topK >= 0 else { throw SamplerError.invalidParameter("top-k must be ≥ 0, got \(topK)") }
        guard topP > 0, topP <= 1 else { throw SamplerError.invalidParameter("top-p must be in (0, 1], got \(topP)") }
        guard minP >= 0, minP <= 1 else { throw SamplerError.invalidParameter("min-p must be in [0, 1], got \(minP)") }
    }
}

/// Errors of sampling.
public enum SamplerError: Error, Equatable, CustomStringConvertible {
    case invalidParameter(String)
    /// The logits have no sampleable entry (all masked, or fewer entries than ids allowed); names the counts.
    case nothingToSample(String)
    /// A logit that is NaN (the model produced garbage).
    case notANumber(index: Int)

    public var description: String {
        switch self {
        case .invalidParameter(let d): return "sampler: invalid parameter: \(d)"
        case .nothingToSample(let d): return "sampler: nothing to sample: \(d)"
        case .notANumber(let i): return "sampler: logit \(i) is NaN"
        }
    }
}
