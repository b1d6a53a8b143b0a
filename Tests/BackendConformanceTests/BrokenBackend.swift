import OSSCore

/// `ReferenceBackend` with one deliberate bug, for `HarnessSelfTests`: each fault is a mistake a real kernel
/// could make, and the harness must report it.
final class BrokenBackend: Backend {
    enum Fault: String, CaseIterable {
        /// The last output element is never written (left poisoned).
        case skipsLastElement
        /// Writes one element past the end of the output.
        case writesPastEnd
        /// The first output element is off by 1 % of the output's RMS.
        case perturbsFirstElement
        /// Attention window one key too wide (`p − j ≤ W`).
        case windowOffByOne
        /// Attention ignores the sink logits.
        case ignoresSinks
        /// linear drops the bias.
        case dropsBias
        /// rope pairs the other way (interleaved for neox and vice versa).
        case swapsRopeStyle
        /// argmax / topK prefer the highest index among equal values.
        case highestIndexWinsTies
        /// Uses its first input as scratch (adds 1 to its first element after the run).
        case modifiesInput
    }

    let fault: Fault
    private let base = ReferenceBackend()
    var name: String { "broken(\(fault.rawValue))" }
    let threads = 1

    init(_ fault: Fault) { self.fault = fault }

    func supports(_ op: OpDescriptor) -> Bool { true }

    /// Applies `modifiesInput` to an input after a correct run.
    private func scribble(_ input: Tensor) {
        if fault == .modifiesInput { input.pointer[0] += 1 }
    }

    /// Applies the output faults to `out` after a correct run.
    private func damage(_ out: Tensor) {
        switch fault {
        case .skipsLastElement: out.pointer[out.count - 1] = GuardedTensor.sentinel
        case .writesPastEnd: out.pointer[out.count] = 0  // test outputs are GuardedTensor views: this hits a guard
        case .perturbsFirstElement:
            let squares = out.toArray().reduce(Float(0)) { $0 + $1 * $1 }
            out.pointer[0] += 0.01 * (squares / Float(out.count)).squareRoot()
        default: break
        }
    }

    func linear(_ x: Tensor, weight: WeightTensor, bias: Tensor?, out: Tensor) throws {
        try base.linear(x, weight: weight, bias: fault == .dropsBias ? nil : bias, out: out)
        damage(out)
        scribble(x)
    }

    func rmsNorm(_ x: Tensor, weight: Tensor, eps: Float, out: Tensor) throws {
        try base.rmsNorm(x, weight: weight, eps: eps, out: out)
        damage(out)
        scribble(x)
    }

    func rope(_ x: Tensor, heads: Int, firstPosition: Int, table: RopeTable, style: RopeStyle) throws {
        let used: RopeStyle = fault == .swapsRopeStyle ? (style == .neox ? .interleaved : .neox) : style
        try base.rope(x, heads: heads, firstPosition: firstPosition, table: table, style: used)
        damage(x)
    }

    func attention(q: Tensor, keys: Tensor, values: Tensor, sinks: Tensor?, params: AttentionParams, out: Tensor) throws
    {
        var p = params
        if fault == .windowOffByOne, p.window > 0 { p.window += 1 }
        // a wider window may need one more cache row than the caller has: fall back to the caller's params then
        do {
            try base.attention(
                q: q, keys: keys, values: values, sinks: fault == .ignoresSinks ? nil : sinks,
                params: p, out: out)
        } catch BackendError.invalidArgument {
            try base.attention(q: q, keys: keys, values: values, sinks: sinks, params: params, out: out)
        }
        damage(out)
        scribble(q)
    }

    func attention(
        q: Tensor, keys: HalfTensor, values: HalfTensor, sinks: Tensor?, params: AttentionParams, out: Tensor
    ) throws {
        try base.attention(
            q: q, keys: keys, values: values, sinks: fault == .ignoresSinks ? nil : sinks, params: params, out: out)
        damage(out)
        scribble(q)
    }

    func softmax(_ x: Tensor, out: Tensor) throws {
        try base.softmax(x, out: out)
        damage(out)
        scribble(x)
    }

    func moe(_ x: Tensor, weights: MoEWeights, out: Tensor) throws {
        try base.moe(x, weights: weights, out: out)
        damage(out)
        scribble(x)
    }

    func swiglu(_ gateUp: Tensor, limit: Float, alpha: Float, out: Tensor) throws {
        try base.swiglu(gateUp, limit: limit, alpha: alpha, out: out)
        damage(out)
        scribble(gateUp)
    }

    func siluMul(gate: Tensor, up: Tensor, out: Tensor) throws {
        try base.siluMul(gate: gate, up: up, out: out)
        damage(out)
        scribble(gate)
    }

    func add(_ a: Tensor, _ b: Tensor, out: Tensor) throws {
        try base.add(a, b, out: out)
        damage(out)
        scribble(a)
    }

    func embedding(_ table: WeightTensor, tokens: [Int32], out: Tensor) throws {
        try base.embedding(table, tokens: tokens, out: out)
        damage(out)
    }

    func argmax(_ x: Tensor) throws -> Int {
        let best = try base.argmax(x)
        guard fault == .highestIndexWinsTies else { return best }
        let v = x.toArray()
        return v.lastIndex(of: v[best]) ?? best
    }

    func topK(_ x: Tensor, k: Int, ids: inout [Int32], values: inout [Float]) throws {
        try base.topK(x, k: k, ids: &ids, values: &values)
        guard fault == .highestIndexWinsTies else { return }
        let v = x.toArray()
        let order = v.indices.sorted { v[$0] != v[$1] ? v[$0] > v[$1] : $0 > $1 }
        for n in 0..<k {
            ids[n] = Int32(order[n])
            values[n] = v[order[n]]
        }
    }
}
