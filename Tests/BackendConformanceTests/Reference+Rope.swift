import Foundation
import OSSCore

extension Reference {
    /// RoPE of x `[rows, heads·headDim]`, row t at position `firstPosition + t` (gpt-oss.md §2.3).
    /// Angles, cos and sin are computed here in Double from the table's `invFreq` and `attentionFactor`, not read
    /// from the table's Float cos/sin, so the table itself is checked too.
    /// neox pairs `(x[i], x[i + d/2])`, interleaved pairs `(x[2i], x[2i+1])`; pair i rotates by `p·invFreq[i]`.
    static func rope(
        _ x: [Double], rows: Int, heads: Int, headDim: Int, firstPosition: Int, invFreq: [Float],
        attentionFactor: Float, style: RopeStyle
    ) -> [Double] {
        let half = headDim / 2
        let c = Double(attentionFactor)
        var y = x
        for t in 0..<rows {
            let p = Double(firstPosition + t)
            for h in 0..<heads {
                let base = t * heads * headDim + h * headDim
                for i in 0..<half {
                    let angle = p * Double(invFreq[i])
                    let cosine = c * cos(angle)
                    let sine = c * sin(angle)
                    let (ia, ib) = style == .neox ? (base + i, base + i + half) : (base + 2 * i, base + 2 * i + 1)
                    let a = x[ia]
                    let b = x[ib]
                    y[ia] = a * cosine - b * sine
                    y[ib] = b * cosine + a * sine
                }
            }
        }
        return y
    }
}
