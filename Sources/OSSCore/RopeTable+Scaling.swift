import Foundation

/// YaRN parameters as ggml's `rope_yarn` takes them (gguf.md §2).
public struct RopeYaRN: Sendable, Equatable {
    /// Context the model was trained with before extension (`rope.scaling.original_context_length`).
    public var originalContext: Int
    /// `ext_factor` (1 for YaRN).
    public var extFactor: Double
    public var betaFast: Double
    public var betaSlow: Double
    public init(originalContext: Int, extFactor: Double = 1, betaFast: Double = 32, betaSlow: Double = 1) {
        self.originalContext = originalContext
        self.extFactor = extFactor
        self.betaFast = betaFast
        self.betaSlow = betaSlow
    }
}

extension RopeTable {
    /// RoPE as ggml computes it for llama.cpp's dense models (gguf.md §2), folded into per-pair inverse frequencies
    /// (every term is linear in the position) and one cos/sin factor:
    /// `θ_i = p·base^(−2i/d)/f_i`, then `θ = freqScale·θ` without YaRN, or the YaRN blend
    /// `θ·((1 − m_i)·freqScale + m_i)` with `m_i = ramp_i·extFactor` over ggml's floored/ceiled correction dims;
    /// cos/sin × `attnFactor` (× `1 + 0.1·ln(1/freqScale)` with YaRN).
    /// - Parameters:
    ///   - freqScale: 1/factor for linear and YaRN scaling, 1 without.
    ///   - freqFactors: `f_i`, `headDim/2` of them (`rope_freqs.weight`, Llama 3's scaling), nil = all 1.
    public static func ggml(
        headDim: Int, base: Double, freqScale: Double = 1, freqFactors: [Float]? = nil,
        yarn: RopeYaRN? = nil, attnFactor: Double = 1, maxPositions: Int
    ) throws -> RopeTable {
        let half = headDim / 2
        let d = Double(headDim)
        guard base.isFinite, base > 1, freqScale.isFinite, freqScale > 0, attnFactor.isFinite, attnFactor > 0 else {
            throw BackendError.invalidArgument(
                op: "rope", detail: "base \(base), freq scale \(freqScale), attention factor \(attnFactor)")
        }
        if let f = freqFactors {
            guard f.count == half, f.allSatisfy({ $0.isFinite && $0 > 0 }) else {
                throw BackendError.invalidArgument(
                    op: "rope", detail: "\(f.count) frequency factors for head_dim \(headDim) (need \(half), each > 0)")
            }
        }
        var mix = [Double](repeating: 0, count: half)
        var factor = attnFactor
        if let y = yarn, y.extFactor != 0 {
            guard y.originalContext > 0, y.betaFast > 0, y.betaSlow > 0 else {
                throw BackendError.invalidArgument(
                    op: "rope", detail: "YaRN original context \(y.originalContext), β \(y.betaFast)/\(y.betaSlow)")
            }
            func corr(_ beta: Double) -> Double {
                d * log(Double(y.originalContext) / (beta * 2 * Double.pi)) / (2 * log(base))
            }
            let low = max(0, corr(y.betaFast).rounded(.down))
            let high = min(d - 1, corr(y.betaSlow).rounded(.up))
            for i in 0..<half {
                let ramp = 1 - min(1, max(0, (Double(i) - low) / max(0.001, high - low)))
                mix[i] = ramp * y.extFactor
            }
            factor *= 1 + 0.1 * log(1 / freqScale)
        }
        let inv = (0..<half).map { i -> Float in
            let extrap = pow(base, -2 * Double(i) / d) / Double(freqFactors?[i] ?? 1)
            return Float(extrap * ((1 - mix[i]) * freqScale + mix[i]))
        }
        return try RopeTable(headDim: headDim, invFreq: inv, attentionFactor: Float(factor), maxPositions: maxPositions)
    }

    /// Llama 3's frequency factors (what llama.cpp's converter bakes into `rope_freqs.weight`, gguf.md §2):
    /// with `λ_i = 2π·base^(2i/d)`, `f_i = 1` when `λ_i < L/high`, `factor` when `λ_i > L/low`, else
    /// `1/((1 − s)/factor + s)` with `s = (L/λ_i − low)/(high − low)`.
    public static func llama3FrequencyFactors(
        headDim: Int, base: Double, factor: Double, lowFrequencyFactor low: Double,
        highFrequencyFactor high: Double, originalContext: Int
    ) -> [Float] {
        let d = Double(headDim)
        let l = Double(originalContext)
        return (0..<(headDim / 2)).map { i in
            let lambda = 2 * Double.pi * pow(base, 2 * Double(i) / d)
            if lambda < l / high { return 1 }
            if lambda > l / low { return Float(factor) }
            let s = (l / lambda - low) / (high - low)
            return Float(1 / ((1 - s) / factor + s))
        }
    }
}
