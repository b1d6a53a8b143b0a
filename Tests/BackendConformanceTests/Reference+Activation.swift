extension Reference {
    /// gpt-oss clamped SwiGLU on interleaved gateUp `[rows, 2I]` → `[rows, I]`:
    /// g = min(gate, L), u = clamp(up, ±L), out = g·σ(α·g)·(u + 1).
    static func swiglu(_ gateUp: [Double], rows: Int, intermediate: Int, limit: Double, alpha: Double) -> [Double] {
        var y = [Double](repeating: 0, count: rows * intermediate)
        for t in 0..<rows {
            for j in 0..<intermediate {
                let g = min(gateUp[t * 2 * intermediate + 2 * j], limit)
                let u = min(max(gateUp[t * 2 * intermediate + 2 * j + 1], -limit), limit)
                y[t * intermediate + j] = g * sigmoid(alpha * g) * (u + 1)
            }
        }
        return y
    }

    /// Llama gated SiLU: out = gate·σ(gate)·up, element-wise.
    static func siluMul(gate: [Double], up: [Double]) -> [Double] {
        zip(gate, up).map { g, u in g * sigmoid(g) * u }
    }

    /// Element-wise a + b.
    static func add(_ a: [Double], _ b: [Double]) -> [Double] { zip(a, b).map { $0 + $1 } }
}
