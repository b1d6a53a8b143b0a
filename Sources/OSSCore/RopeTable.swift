import Foundation

/// Precomputed RoPE cos/sin for positions `0..<maxPositions` (built once at load, never per token).
///
/// `cos[p][i] = c·cos(p·invFreq[i])`, `sin[p][i] = c·sin(p·invFreq[i])` with c = attention factor (YaRN "mscale",
/// 1 without YaRN). Angles are computed in Float64.
public final class RopeTable: @unchecked Sendable {
    public let headDim: Int
    /// Inverse frequencies, `headDim/2` of them.
    public let invFreq: [Float]
    /// Factor baked into cos and sin (hits q and k, so logits scale by its square).
    public let attentionFactor: Float
    public let maxPositions: Int
    /// `[maxPositions, headDim/2]`.
    public let cos: Tensor
    /// `[maxPositions, headDim/2]`.
    public let sin: Tensor

    public init(headDim: Int, invFreq: [Float], attentionFactor: Float, maxPositions: Int) throws {
        guard headDim > 0, headDim % 2 == 0, invFreq.count == headDim / 2, maxPositions > 0 else {
            throw BackendError.invalidArgument(
                op: "rope", detail: "RopeTable headDim \(headDim), \(invFreq.count) freqs, maxPositions \(maxPositions)"
            )
        }
        self.headDim = headDim
        self.invFreq = invFreq
        self.attentionFactor = attentionFactor
        self.maxPositions = maxPositions
        let half = headDim / 2
        cos = Tensor(zeros: [maxPositions, half])
        sin = Tensor(zeros: [maxPositions, half])
        let c = Double(attentionFactor)
        for p in 0..<maxPositions {
            for i in 0..<half {
                let a = Double(p) * Double(invFreq[i])
                cos.pointer[p * half + i] = Float(c * Foundation.cos(a))
                sin.pointer[p * half + i] = Float(c * Foundation.sin(a))
            }
        }
    }

    /// Plain RoPE: `invFreq[i] = theta^(−2i/d)`, factor 1.
    public static func plain(headDim: Int, theta: Double, maxPositions: Int) throws -> RopeTable {
        let inv = (0..<(headDim / 2)).map { Float(1 / pow(theta, Double(2 * $0) / Double(headDim))) }
        return try RopeTable(headDim: headDim, invFreq: inv, attentionFactor: 1, maxPositions: maxPositions)
    }

    /// YaRN as in the gpt-oss torch reference (gpt-oss.md §2.3): ramp between `low` and `high` correction dims
    /// (not floored/ceiled unless `truncate`), concentration `0.1·ln(factor) + 1`.
    public static func yarn(
        headDim: Int, theta: Double, factor: Double, originalContext: Int,
        betaFast: Double, betaSlow: Double, truncate: Bool = false,
        maxPositions: Int
    ) throws -> RopeTable {
        let d = Double(headDim)
        let half = headDim / 2
        let freq = (0..<half).map { pow(theta, Double(2 * $0) / d) }
        guard factor > 1 else {
            return try RopeTable(
                headDim: headDim, invFreq: freq.map { Float(1 / $0) }, attentionFactor: 1,
                maxPositions: maxPositions)
        }
        let oc = Double(originalContext)
        var low = d / 2 * log(oc / (betaFast * 2 * Double.pi)) / log(theta)
        var high = d / 2 * log(oc / (betaSlow * 2 * Double.pi)) / log(theta)
        if truncate {
            low = low.rounded(.down)
            high = high.rounded(.up)
        }
        guard 0 < low, low < high, high < d / 2 - 1 else {
            throw BackendError.invalidArgument(
                op: "rope", detail: "YaRN needs 0 < low < high < d/2−1, got low \(low), high \(high)")
        }
        let inv = (0..<half).map { i -> Float in
            let ramp = min(max((Double(i) - low) / (high - low), 0), 1)
            let interp = 1 / (factor * freq[i])
            let extrap = 1 / freq[i]
            return Float((1 - ramp) * extrap + ramp * interp)
        }
        let c = 0.1 * log(factor) + 1
        return try RopeTable(headDim: headDim, invFreq: inv, attentionFactor: Float(c), maxPositions: maxPositions)
    }
}
