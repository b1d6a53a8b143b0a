/// The sampler's block-level passes: softmax mass above a logit without weighing the whole vocabulary, and the
/// per-block bounds that rejection sampling and the top-p test use. Blocks are the argmax pass's blocks of
/// `maxBlock` ids, whose maxima (`blockMax`) bound every weight inside them.
extension SamplerKernels {
    /// For blocks b < `blocks` of a row of `n` ids: `blockWeight[b] = weight(blockMax[b])` (the largest weight the
    /// block can hold) and `cumulative[b]` = Σ over blocks ≤ b of `count_b · blockWeight_b` (an upper bound of the
    /// blocks' mass, `count_b` = the block's ids). Returns the last cumulative value.
    static func blockBounds(
        _ blockMax: UnsafePointer<Float>, blocks: Int, n: Int, top: Float, k: Float,
        blockWeight: UnsafeMutablePointer<Float>, cumulative: UnsafeMutablePointer<Double>
    ) -> Double {
        let topV = V(repeating: top)
        let kV = V(repeating: k)
        var b = 0
        while b + 8 <= blocks {
            let w = weight(UnsafeRawPointer(blockMax + b).loadUnaligned(as: V.self), top: topV, k: kV)
            UnsafeMutableRawPointer(blockWeight + b).storeBytes(of: w, as: V.self)
            b += 8
        }
        while b < blocks {
            blockWeight[b] = weight(blockMax[b], top: top, k: k)
            b += 1
        }
        var sum = 0.0
        for b in 0..<blocks {
            sum += Double(blockWeight[b]) * Double(min(maxBlock, n - b * maxBlock))
            cumulative[b] = sum
        }
        return sum
    }

    /// Over blocks b < `blocks` of a row of `n` ids: Σ `blockWeight_b` of the blocks whose maximum is below `x`
    /// (each such block holds at least its maximum's weight, all of it below x) and of those whose maximum is above
    /// x (at least that much weight lies above x), Σ `count_b · min(blockWeight_b, cap)` (a bound of the mass of ids
    /// whose weight is ≤ cap), and how many blocks reach x.
    static func blockTotals(
        _ blockMax: UnsafePointer<Float>, _ blockWeight: UnsafePointer<Float>, blocks: Int, n: Int,
        around x: Float, cap: Float
    ) -> (below: Double, above: Double, capped: Double, reaching: Int) {
        let xV = V(repeating: x)
        let capV = V(repeating: cap)
        var below = V()
        var above = V()
        var capped = V()
        var reaching = SIMD8<Int32>()
        var b = 0
        while b + 8 <= blocks {
            let m = UnsafeRawPointer(blockMax + b).loadUnaligned(as: V.self)
            let w = UnsafeRawPointer(blockWeight + b).loadUnaligned(as: V.self)
            let low = m .< xV
            below += w.replacing(with: 0, where: .!low)
            above += w.replacing(with: 0, where: .!(m .> xV))
            reaching &-= unsafeBitCast(.!low, to: SIMD8<Int32>.self)
            capped += w.replacing(with: capV, where: w .> capV)
            b += 8
        }
        var belowSum = Double(below.sum())
        var aboveSum = Double(above.sum())
        var cappedSum = Double(capped.sum()) * Double(maxBlock)
        var count = Int(reaching.wrappedSum())
        while b < blocks {
            if blockMax[b] < x { belowSum += Double(blockWeight[b]) } else { count += 1 }
            if blockMax[b] > x { aboveSum += Double(blockWeight[b]) }
            cappedSum += Double(min(blockWeight[b], cap)) * Double(maxBlock)
            b += 1
        }
        // the last block may be short
        if blocks > 0 {
            let short = maxBlock - (n - (blocks - 1) * maxBlock)
            cappedSum -= Double(min(blockWeight[blocks - 1], cap)) * Double(short)
        }
        return (belowSum, aboveSum, cappedSum, count)
    }

    /// Softmax mass (weights relative to `top`, k = log2(e)/T) of the allowed ids j < n that come before id `i` in
    /// the order by descending logit, lower id first among equal logits (`p[j] > x`, or `p[j] == x` and j < i) —
    /// and, with `total`, of every allowed id, in the same pass. Without `total`, blocks whose maximum is below x
    /// are skipped unread and vectors with no id above x are not weighed. `flagged[b]`: block b holds ids that are
    /// not allowed (`allowed[j]` false), read one by one; nil = every id is allowed. x = +∞ gives the total alone.
    static func mass(
        _ p: UnsafePointer<Float>, _ n: Int, top: Float, k: Float, above x: Float, before i: Int,
        blockMax: UnsafePointer<Float>, flagged: UnsafePointer<Bool>?, allowed: UnsafePointer<Bool>?,
        total wantTotal: Bool
    ) -> (above: Double, total: Double) {
        let topV = V(repeating: top)
        let kV = V(repeating: k)
        let xV = V(repeating: x)
        var above = 0.0
        var total = 0.0
        var b = 0
        var start = 0
        while start < n {
            let end = min(start + maxBlock, n)
            defer {
                b += 1
                start = end
            }
            if !wantTotal && blockMax[b] < x { continue }
            if let flagged, let allowed, flagged[b] {
                for j in start..<end where allowed[j] {
                    let v = p[j]
                    let e = Double(weight(v, top: top, k: k))
                    total += e
                    if v > x || (v == x && j < i) { above += e }
                }
                continue
            }
            var accAbove = V()
            var accTotal = V()
            var j = start
            while j + 8 <= end {
                let v = UnsafeRawPointer(p + j).loadUnaligned(as: V.self)
                let higher = v .> xV
                if wantTotal {
                    let e = weight(v, top: topV, k: kV)
                    accTotal += e
                    accAbove += e.replacing(with: 0, where: .!higher)
                } else if any(higher) {
                    accAbove += weight(v, top: topV, k: kV).replacing(with: 0, where: .!higher)
                }
                if any(v .== xV) {  // ties with x: the lower ids come first
                    for l in 0..<8 where v[l] == x && j + l < i { above += Double(weight(x, top: top, k: k)) }
                }
                j += 8
            }
            while j < end {
                let v = p[j]
                let e = Double(weight(v, top: top, k: k))
                total += e
                if v > x || (v == x && j < i) { above += e }
                j += 1
            }
            above += Double(accAbove.sum())
            total += Double(accTotal.sum())
        }
        return (above, wantTotal ? total : 0)
    }
}
