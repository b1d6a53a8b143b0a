import Foundation
import OSSCore

extension Reference {
    /// MoE weights decoded to Double (layouts as `MoEWeights`).
    struct DecodedMoE {
        var experts: Int, hidden: Int, intermediate: Int, topK: Int
        /// `[E, H]`, `[E]`?
        var router: [Double], routerBias: [Double]?
        /// `[E, 2I, H]` (row 2j = gate j, row 2j+1 = up j), `[E, 2I]`?
        var gateUp: [Double], gateUpBias: [Double]?
        /// `[E, H, I]`, `[E, H]`?
        var down: [Double], downBias: [Double]?
        var limit: Double, alpha: Double

        init(
            experts: Int, hidden: Int, intermediate: Int, topK: Int, router: [Double], routerBias: [Double]?,
            gateUp: [Double], gateUpBias: [Double]?, down: [Double], downBias: [Double]?, limit: Double, alpha: Double
        ) {
            self.experts = experts
            self.hidden = hidden
            self.intermediate = intermediate
            self.topK = topK
            self.router = router
            self.routerBias = routerBias
            self.gateUp = gateUp
            self.gateUpBias = gateUpBias
            self.down = down
            self.downBias = downBias
            self.limit = limit
            self.alpha = alpha
        }

        init(_ w: MoEWeights) {
            experts = w.experts
            hidden = w.hidden
            intermediate = w.intermediate
            topK = w.topK
            router = Reference.decoded(w.router)
            routerBias = w.routerBias.map(Reference.widen)
            gateUp = Reference.decoded(w.gateUp)
            gateUpBias = w.gateUpBias.map(Reference.widen)
            down = Reference.decoded(w.down)
            downBias = w.downBias.map(Reference.widen)
            limit = Double(w.swigluLimit)
            alpha = Double(w.swigluAlpha)
        }
    }

    /// What a MoE case exercised, so a test can insist that the clamps were live and routing was unambiguous.
    struct MoEStatistics {
        /// Selected-expert gate values above the limit (clamped from above).
        var gatesClamped = 0
        /// Selected-expert up values outside ±limit.
        var upsClamped = 0
        /// Smallest gap between the k-th and (k+1)-th router logit over all tokens (∞ when k = E).
        var smallestSelectionGap = Double.infinity
    }

    /// gpt-oss MoE block (gpt-oss.md §2.5) for x `[rows, H]`: router logits → top-k (descending, lowest index
    /// first among equals) → softmax over the k → per expert z = W1·x + b1, g = min(z_even, L),
    /// u = clamp(z_odd, ±L), a = g·σ(α·g)·(u + 1), y = W2·a + b2 → Σ weight·y.
    static func moe(_ x: [Double], rows: Int, weights w: DecodedMoE, statistics: inout MoEStatistics) -> [Double] {
        let e = w.experts
        let h = w.hidden
        let inter = w.intermediate
        var out = [Double](repeating: 0, count: rows * h)
        for t in 0..<rows {
            let token = Array(x[(t * h)..<((t + 1) * h)])
            let logits = linear(token, rows: 1, weight: w.router, outFeatures: e, inFeatures: h, bias: w.routerBias)
            let order = (0..<e).sorted { logits[$0] != logits[$1] ? logits[$0] > logits[$1] : $0 < $1 }
            let selected = Array(order.prefix(w.topK))
            if w.topK < e {
                statistics.smallestSelectionGap = min(
                    statistics.smallestSelectionGap,
                    logits[order[w.topK - 1]] - logits[order[w.topK]])
            }
            let routing = softmax(selected.map { logits[$0] }, rows: 1, n: w.topK)
            for (n, expert) in selected.enumerated() {
                let z = linear(
                    token, rows: 1, weight: Array(w.gateUp[(expert * 2 * inter * h)..<((expert + 1) * 2 * inter * h)]),
                    outFeatures: 2 * inter, inFeatures: h,
                    bias: w.gateUpBias.map { Array($0[(expert * 2 * inter)..<((expert + 1) * 2 * inter)]) })
                var activation = [Double](repeating: 0, count: inter)
                for j in 0..<inter {
                    if z[2 * j] > w.limit { statistics.gatesClamped += 1 }
                    if abs(z[2 * j + 1]) > w.limit { statistics.upsClamped += 1 }
                    let g = min(z[2 * j], w.limit)
                    let u = min(max(z[2 * j + 1], -w.limit), w.limit)
                    activation[j] = g * sigmoid(w.alpha * g) * (u + 1)
                }
                let y = linear(
                    activation, rows: 1, weight: Array(w.down[(expert * h * inter)..<((expert + 1) * h * inter)]),
                    outFeatures: h, inFeatures: inter,
                    bias: w.downBias.map { Array($0[(expert * h)..<((expert + 1) * h)]) })
                for i in 0..<h { out[t * h + i] += routing[n] * y[i] }
            }
        }
        return out
    }
}
