import OSSCore

/// The float64 reference wrapped as a `Backend` (results rounded to Float32), single-threaded.
///
/// Not a backend to ship: it exists so `HarnessSelfTests` can show that the harness passes a correct backend
/// at the thresholds of `Tolerance` and catches broken ones (see `BrokenBackend`). It validates shapes through
/// `OpValidation` like every real backend.
final class ReferenceBackend: Backend {
    let name = "reference"
    let threads = 1

    func supports(_ op: OpDescriptor) -> Bool { true }

    private func store(_ values: [Double], into out: Tensor) {
        for i in values.indices { out.pointer[i] = Float(values[i]) }
    }

    func linear(_ x: Tensor, weight: WeightTensor, bias: Tensor?, out: Tensor) throws {
        try OpValidation.linear(x, weight, bias, out)
        store(
            Reference.linear(
                Reference.widen(x), rows: x.rows, weight: Reference.decoded(weight),
                outFeatures: weight.outFeatures, inFeatures: weight.inFeatures,
                bias: bias.map(Reference.widen)), into: out)
    }

    func rmsNorm(_ x: Tensor, weight: Tensor, eps: Float, out: Tensor) throws {
        try OpValidation.rmsNorm(x, weight, out)
        store(
            Reference.rmsNorm(
                Reference.widen(x), rows: x.rows, n: x.columns, weight: Reference.widen(weight),
                eps: Double(eps)), into: out)
    }

    func rope(_ x: Tensor, heads: Int, firstPosition: Int, table: RopeTable, style: RopeStyle) throws {
        try OpValidation.rope(x, heads: heads, firstPosition: firstPosition, table: table)
        store(
            Reference.rope(
                Reference.widen(x), rows: x.rows, heads: heads, headDim: table.headDim,
                firstPosition: firstPosition, invFreq: table.invFreq,
                attentionFactor: table.attentionFactor, style: style), into: x)
    }

    func attention(q: Tensor, keys: Tensor, values: Tensor, sinks: Tensor?, params: AttentionParams, out: Tensor) throws
    {
        try OpValidation.attention(q: q, keys: keys, values: values, sinks: sinks, p: params, out: out)
        attention(q, Reference.widen(keys), Reference.widen(values), slots: keys.rows, sinks, params, out)
    }

    func attention(
        q: Tensor, keys: HalfTensor, values: HalfTensor, sinks: Tensor?, params: AttentionParams, out: Tensor
    ) throws {
        try OpValidation.attention(q: q, keys: keys, values: values, sinks: sinks, p: params, out: out)
        attention(q, Reference.widen(keys), Reference.widen(values), slots: keys.rows, sinks, params, out)
    }

    /// The float64 attention over widened cache rows.
    private func attention(
        _ q: Tensor, _ keys: [Double], _ values: [Double], slots: Int, _ sinks: Tensor?, _ params: AttentionParams,
        _ out: Tensor
    ) {
        store(
            Reference.attention(
                q: Reference.widen(q), rows: q.rows, keys: keys, values: values, slots: slots,
                sinks: sinks.map(Reference.widen), params: params), into: out)
    }

    func softmax(_ x: Tensor, out: Tensor) throws {
        try OpValidation.rowwise("softmax", x, out)
        store(Reference.softmax(Reference.widen(x), rows: x.rows, n: x.columns), into: out)
    }

    func moe(_ x: Tensor, weights: MoEWeights, out: Tensor) throws {
        try OpValidation.moe(x, weights, out)
        var statistics = Reference.MoEStatistics()
        store(
            Reference.moe(
                Reference.widen(x), rows: x.rows, weights: Reference.DecodedMoE(weights),
                statistics: &statistics), into: out)
    }

    func swiglu(_ gateUp: Tensor, limit: Float, alpha: Float, out: Tensor) throws {
        try OpValidation.swiglu(gateUp, out)
        store(
            Reference.swiglu(
                Reference.widen(gateUp), rows: gateUp.rows, intermediate: out.columns,
                limit: Double(limit), alpha: Double(alpha)), into: out)
    }

    func siluMul(gate: Tensor, up: Tensor, out: Tensor) throws {
        try OpValidation.elementwise("siluMul", gate, up, out)
        store(Reference.siluMul(gate: Reference.widen(gate), up: Reference.widen(up)), into: out)
    }

    func add(_ a: Tensor, _ b: Tensor, out: Tensor) throws {
        try OpValidation.elementwise("add", a, b, out)
        store(Reference.add(Reference.widen(a), Reference.widen(b)), into: out)
    }

    func embedding(_ table: WeightTensor, tokens: [Int32], out: Tensor) throws {
        try OpValidation.embedding(table, tokens, out)
        store(Reference.embedding(table: Reference.decoded(table), hidden: table.inFeatures, tokens: tokens), into: out)
    }

    func argmax(_ x: Tensor) throws -> Int {
        guard x.count > 0 else { throw BackendError.emptyInput(op: "argmax", detail: "x \(x.shape) is empty") }
        return Reference.argmax(x.toArray())
    }

    func topK(_ x: Tensor, k: Int, ids: inout [Int32], values: inout [Float]) throws {
        try OpValidation.topK(x, k: k, ids: ids, values: values)
        for (n, e) in Reference.topK(x.toArray(), k: k).enumerated() {
            ids[n] = Int32(e.id)
            values[n] = e.value
        }
    }
}
