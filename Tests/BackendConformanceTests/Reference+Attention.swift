import Foundation
import OSSCore

extension Reference {
    /// Attention with GQA, causal mask, optional sliding window and optional sinks (gpt-oss.md §2.4).
    /// q, result `[rows, heads·headDim]`; keys, values `[slots, kvHeads·headDim]`; position j lives in slot j % slots.
    /// Query row t (position p = firstPosition + t) of head h reads KV head h / (heads / kvHeads) at positions j with
    /// j ≤ p and, when window W > 0, p − j < W. The sink adds exp(S_h − m) to the denominator only.
    static func attention(
        q: [Double], rows: Int, keys: [Double], values: [Double], slots: Int, sinks: [Double]?,
        params p: AttentionParams
    ) -> [Double] {
        let d = p.headDim
        let group = p.heads / p.kvHeads
        let qWidth = p.heads * d
        let kvWidth = p.kvHeads * d
        let scale = Double(p.scale)
        var out = [Double](repeating: 0, count: rows * qWidth)
        for t in 0..<rows {
            let position = p.firstPosition + t
            let first = p.window > 0 ? max(0, position - p.window + 1) : 0
            for h in 0..<p.heads {
                let g = h / group
                var scores = [Double]()
                for j in first...position {
                    let slot = j % slots
                    var dot = 0.0
                    for i in 0..<d { dot += q[t * qWidth + h * d + i] * keys[slot * kvWidth + g * d + i] }
                    scores.append(scale * dot)
                }
                var m = scores.max()!
                if let s = sinks { m = max(m, s[h]) }
                var denominator = scores.reduce(0) { $0 + exp($1 - m) }
                if let s = sinks { denominator += exp(s[h] - m) }
                for (n, j) in (first...position).enumerated() {
                    let weight = exp(scores[n] - m) / denominator
                    let slot = j % slots
                    for i in 0..<d { out[t * qWidth + h * d + i] += weight * values[slot * kvWidth + g * d + i] }
                }
            }
        }
        return out
    }
}
