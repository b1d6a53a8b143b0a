extension Reference {
    /// `y[t][o] = Σ_i x[t][i]·w[o][i] + b[o]` for x `[rows, inFeatures]`, w `[outFeatures, inFeatures]` (decoded).
    static func linear(
        _ x: [Double], rows: Int, weight w: [Double], outFeatures: Int, inFeatures: Int,
        bias: [Double]?
    ) -> [Double] {
        var y = [Double](repeating: 0, count: rows * outFeatures)
        for t in 0..<rows {
            for o in 0..<outFeatures {
                var acc = 0.0
                for i in 0..<inFeatures { acc += x[t * inFeatures + i] * w[o * inFeatures + i] }
                y[t * outFeatures + o] = acc + (bias?[o] ?? 0)
            }
        }
        return y
    }

    /// `Σ_t Σ_o Σ_i (x[t][i]·w[o][i])²`: the scale of the error that rounding x gives a dot product
    /// (`Tolerance.linearFixedPoint`).
    static func linearTermSquares(
        _ x: [Double], rows: Int, weight w: [Double], outFeatures: Int,
        inFeatures: Int
    ) -> Double {
        var sum = 0.0
        for t in 0..<rows {
            for o in 0..<outFeatures {
                for i in 0..<inFeatures {
                    let p = x[t * inFeatures + i] * w[o * inFeatures + i]
                    sum += p * p
                }
            }
        }
        return sum
    }
}
