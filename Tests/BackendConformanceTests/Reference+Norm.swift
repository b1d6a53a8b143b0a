import Foundation

extension Reference {
    /// Row-wise `y_i = x_i / sqrt(mean_j x_j² + eps) · g_i` (gpt-oss.md §2.1) for x `[rows, n]`.
    static func rmsNorm(_ x: [Double], rows: Int, n: Int, weight g: [Double], eps: Double) -> [Double] {
        var y = [Double](repeating: 0, count: rows * n)
        for t in 0..<rows {
            var sumSquares = 0.0
            for i in 0..<n { sumSquares += x[t * n + i] * x[t * n + i] }
            let inverseRMS = 1 / (sumSquares / Double(n) + eps).squareRoot()
            for i in 0..<n { y[t * n + i] = x[t * n + i] * inverseRMS * g[i] }
        }
        return y
    }

    /// Row-wise softmax of x `[rows, n]` (max subtracted first).
    static func softmax(_ x: [Double], rows: Int, n: Int) -> [Double] {
        var y = [Double](repeating: 0, count: rows * n)
        for t in 0..<rows {
            var m = -Double.infinity
            for i in 0..<n { m = max(m, x[t * n + i]) }
            var sum = 0.0
            for i in 0..<n { sum += exp(x[t * n + i] - m) }
            for i in 0..<n { y[t * n + i] = exp(x[t * n + i] - m) / sum }
        }
        return y
    }
}
