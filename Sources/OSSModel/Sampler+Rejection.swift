import OSSCore

/// Temperature-only and top-p sampling without weighing the vocabulary: rejection sampling from the per-block
/// bounds, and a top-p membership test that reads only the blocks that reach the drawn id's logit.
extension Sampler {
    /// One id from the tempered softmax over the allowed ids of `row`, or nil when `maxTries` proposals were all
    /// rejected (the caller then samples by the softmax path).
    ///
    /// Proposal: block b with probability ∝ count_b · blockWeight_b (its bound), then an id in it uniformly; the id
    /// is accepted with probability weight(id) / blockWeight_b = 2^((logit − blockMax_b)·k), so an accepted id has
    /// probability ∝ its weight: exactly the softmax. Every block holds its maximum, so the bound exceeds the mass by
    /// at most the block size: fewer than 64 proposals per id are expected.
    func drawTempered(_ row: Row) -> Int32? {
        let k = self.k
        let block = SamplerKernels.maxBlock
        for _ in 0..<maxTries {
            let u = rng.nextUnit() * row.bound
            // the first block whose running bound exceeds u
            var lo = 0
            var hi = row.blocks - 1
            while lo < hi {
                let mid = (lo + hi) / 2
                if cumulativeBound[mid] > u { hi = mid } else { lo = mid + 1 }
            }
            let b = lo
            let below = b == 0 ? 0 : cumulativeBound[b - 1]
            let width = cumulativeBound[b] - below
            guard width > 0 else { continue }
            let start = b * block
            let count = min(block, row.limit - start)
            // The id by a draw of its own: the rest of u would pick it too, but would turn rounding differences of
            // the running bounds (logits that differ in the last bits, as a rewound slot's do) into another id.
            let j = start + min(Int(rng.nextUnit() * Double(count)), count - 1)
            guard isAllowed(j) else { continue }
            let accept = SamplerKernels.weight(row.p[j], top: blockMax[b], k: k)
            if rng.nextUnit() < Double(accept) { return Int32(j) }
        }
        return nil
    }

    /// One id from the top-p set of `row`, or nil when `maxNucleusDraws` tempered draws fell outside it (or a draw
    /// ran out of tries). A tempered draw kept only when it is in the set has exactly the set's distribution.
    func drawNucleus(_ row: Row) -> Int32? {
        var total: Double?
        for _ in 0..<maxNucleusDraws {
            guard let id = drawTempered(row) else { return nil }
            if inNucleus(Int(id), row, total: &total) { return id }
        }
        return nil
    }

    /// Whether allowed id `i` is in the top-p set of `row`: the mass A of the ids before it (descending logit, lower
    /// id first among equals) is below topP · Z, Z the total mass. Bounds decide first where they can: A is at least
    /// the maximum weight of every block whose maximum lies above the logit; Z is at least A + w_i + the maximum
    /// weight of every block below the logit, and at most A + Σ count_b · min(blockWeight_b, w_i) (nothing after i
    /// weighs more than i). A is read from the blocks whose maximum reaches the logit; Z is summed over the
    /// vocabulary only when the bounds do not decide (once per token: `total` keeps it), in the same pass as A when
    /// the blocks to read for A are most of them anyway.
    func inNucleus(_ i: Int, _ row: Row, total: inout Double?) -> Bool {
        let k = self.k
        let x = row.p[i]
        let target = Double(parameters.topP)
        let w = Double(SamplerKernels.weight(x, top: row.top, k: k))
        let bounds = SamplerKernels.blockTotals(
            blockMax, blockWeight, blocks: row.blocks, n: row.limit, around: x,
            cap: Float(w))
        if let z = total, bounds.above >= target * z { return false }
        let both = total == nil && bounds.reaching * 4 > row.blocks
        let (above, sum) = SamplerKernels.mass(
            row.p, row.limit, top: row.top, k: k, above: x, before: i,
            blockMax: blockMax, flagged: flagged, allowed: allowed, total: both)
        if both { total = sum }
        if let z = total { return above < target * z }
        if above < target * (above + w + bounds.below) { return true }
        if above >= target * (above + bounds.capped) { return false }
        let z = SamplerKernels.mass(
            row.p, row.limit, top: row.top, k: k, above: .infinity, before: 0,
            blockMax: blockMax, flagged: flagged, allowed: allowed, total: true
        ).total
        total = z
        return above < target * z
    }

    /// Test hook: whether `sample` would keep id `id` of `logits` as a top-p member (`forceTotal`: sum Z first, so
    /// the bounds are not used).
    func keepsInNucleus(_ id: Int32, of logits: Tensor, forceTotal: Bool = false) throws -> Bool {
        guard case .nucleus(let row) = try select(logits, exact: false) else {
            preconditionFailure("not a top-p sampler without top-k and min-p")
        }
        var total: Double?
        if forceTotal {
            total =
                SamplerKernels.mass(
                    row.p, row.limit, top: row.top, k: k, above: .infinity, before: 0,
                    blockMax: blockMax, flagged: flagged, allowed: allowed, total: true
                ).total
        }
        return isAllowed(Int(id)) && inNucleus(Int(id), row, total: &total)
    }
}
