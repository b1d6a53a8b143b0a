import Foundation
import OSSCore

@testable import OSSModel

/// A plain float64 forward pass of the dense Llama family, written from gguf.md §1–2 independently of the model
/// and the backends: the reference the model's logits are checked against.
enum ReferenceLlama {
    /// Logits `[T][V]` of `tokens` from position 0.
    static func logits(_ c: LlamaConfig, _ w: LlamaWeights, tokens: [Int32]) -> [[Double]] {
        let h = c.hiddenSize
        let d = c.headDim
        let group = c.heads / c.kvHeads
        func decode(_ t: WeightTensor) -> [Double] { t.decodedArray().map(Double.init) }
        func vec(_ t: Tensor?) -> [Double]? { t.map { $0.toArray().map(Double.init) } }
        func matvec(_ m: [Double], _ rows: Int, _ x: [Double], bias: [Double]?) -> [Double] {
            let n = x.count
            return (0..<rows).map { r in
                var s = bias?[r] ?? 0
                for i in 0..<n { s += m[r * n + i] * x[i] }
                return s
            }
        }
        func rmsNorm(_ x: [Double], _ g: [Double]) -> [Double] {
            let ms = x.reduce(0) { $0 + $1 * $1 } / Double(x.count)
            let r = 1 / (ms + Double(c.rmsNormEps)).squareRoot()
            return zip(x, g).map { $0 * r * $1 }
        }
        // RoPE angle of pair i at position p, and the cos/sin factor (gguf.md §2).
        let half = d / 2
        var factors = [Double](repeating: 1, count: half)
        if let f = w.ropeFrequencyFactors { factors = f.map(Double.init) }
        var freqScale = 1.0
        var mix = [Double](repeating: 0, count: half)
        var mscale = c.ropeAttentionFactor
        switch c.ropeScaling {
        case .none: break
        case .linear(let factor): freqScale = 1 / factor
        case .yarn(let factor, let original):
            freqScale = 1 / factor
            let corr = { (beta: Double) in Double(d) * log(Double(original) / (beta * 2 * .pi)) / (2 * log(c.ropeTheta))
            }
            let lo = max(0, floor(corr(32)))
            let hi = min(Double(d - 1), ceil(corr(1)))
            for i in 0..<half { mix[i] = 1 - min(1, max(0, (Double(i) - lo) / max(0.001, hi - lo))) }
            mscale *= 1 + 0.1 * log(factor)
        case .llama3(let factor, let low, let high, let original):
            if w.ropeFrequencyFactors == nil {
                for i in 0..<half {
                    let wavelength = 2 * Double.pi * pow(c.ropeTheta, 2 * Double(i) / Double(d))
                    let l = Double(original)
                    if wavelength < l / high {
                        factors[i] = 1
                    } else if wavelength > l / low {
                        factors[i] = factor
                    } else {
                        let s = (l / wavelength - low) / (high - low)
                        factors[i] = 1 / ((1 - s) / factor + s)
                    }
                }
            }
        }
        func rope(_ x: inout [Double], heads: Int, position p: Int) {
            for head in 0..<heads {
                for i in 0..<half {
                    let extrap = Double(p) * pow(c.ropeTheta, -2 * Double(i) / Double(d)) / factors[i]
                    let theta = extrap * freqScale * (1 - mix[i]) + extrap * mix[i]
                    let (a, b) =
                        c.architecture == .llama
                        ? (head * d + 2 * i, head * d + 2 * i + 1)
                        : (head * d + i, head * d + i + half)
                    let x0 = x[a]
                    let x1 = x[b]
                    let cs = cos(theta) * mscale
                    let sn = sin(theta) * mscale
                    x[a] = x0 * cs - x1 * sn
                    x[b] = x0 * sn + x1 * cs
                }
            }
        }

        let embedding = decode(w.embedding)
        let unembedding = decode(w.unembedding)
        var xs = tokens.map { t in Array(embedding[(Int(t) * h)..<(Int(t) * h + h)]) }
        for layer in w.layers {
            let q = decode(layer.q)
            let k = decode(layer.k)
            let v = decode(layer.v)
            let o = decode(layer.out)
            let gate = decode(layer.gate)
            let up = decode(layer.up)
            let down = decode(layer.down)
            var keys: [[Double]] = []
            var values: [[Double]] = []
            var queries: [[Double]] = []
            for (p, x) in xs.enumerated() {
                let n = rmsNorm(x, vec(layer.attentionNorm)!)
                var qp = matvec(q, c.qWidth, n, bias: vec(layer.qBias))
                var kp = matvec(k, c.kvWidth, n, bias: vec(layer.kBias))
                if let qn = vec(layer.qNorm), let kn = vec(layer.kNorm) {
                    for head in 0..<c.heads {
                        qp.replaceSubrange(
                            (head * d)..<(head * d + d), with: rmsNorm(Array(qp[(head * d)..<(head * d + d)]), qn))
                    }
                    for head in 0..<c.kvHeads {
                        kp.replaceSubrange(
                            (head * d)..<(head * d + d), with: rmsNorm(Array(kp[(head * d)..<(head * d + d)]), kn))
                    }
                }
                rope(&qp, heads: c.heads, position: p)
                rope(&kp, heads: c.kvHeads, position: p)
                queries.append(qp)
                keys.append(kp)
                values.append(matvec(v, c.kvWidth, n, bias: vec(layer.vBias)))
            }
            for p in xs.indices {
                var attn = [Double](repeating: 0, count: c.qWidth)
                for head in 0..<c.heads {
                    let g = head / group
                    let scores = (0...p).map { j in
                        (0..<d).reduce(0.0) { $0 + queries[p][head * d + $1] * keys[j][g * d + $1] }
                            / Double(d).squareRoot()
                    }
                    let m = scores.max()!
                    let e = scores.map { exp($0 - m) }
                    let sum = e.reduce(0, +)
                    for j in 0...p { for i in 0..<d { attn[head * d + i] += e[j] / sum * values[j][g * d + i] } }
                }
                let y = matvec(o, c.hiddenSize, attn, bias: vec(layer.outBias))
                xs[p] = zip(xs[p], y).map(+)
                let n = rmsNorm(xs[p], vec(layer.ffnNorm)!)
                let gp = matvec(gate, c.feedForward, n, bias: vec(layer.gateBias))
                let upp = matvec(up, c.feedForward, n, bias: vec(layer.upBias))
                let act = zip(gp, upp).map { g, u in g / (1 + exp(-g)) * u }
                xs[p] = zip(xs[p], matvec(down, c.hiddenSize, act, bias: vec(layer.downBias))).map(+)
            }
        }
        return xs.map { matvec(unembedding, c.vocabSize, rmsNorm($0, vec(w.finalNorm)!), bias: vec(w.unembeddingBias)) }
    }
}
