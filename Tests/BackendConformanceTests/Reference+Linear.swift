extension Reference {
    /// `y[t][o] = Σ_i x[t][i]·w[o][i] + b[o]` for x `[rows, inFeatures]`, w `[outFeatures, inFeatures]` (decoded).
    static func linear(_ x: [Double], rows: Int, weight w: [Double], outFeatures: Int, inFeatures: Int,
                       bias: [Double]?) -> [Double] {
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
}
