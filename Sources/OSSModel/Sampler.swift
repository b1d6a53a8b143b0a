import Foundation
import OSSCore

/// Chooses the next token from a logits vector (see `SamplingParameters` for the rules).
///
/// Ids at or past `sampleableLimit` (untrained `<|reserved_N|>` tokens of o200k: ids ≥ 200013) and `bannedIDs`
/// (ids the tokenizer has no token for) are never returned. Greedy uses `backend.argmax`, top-k `backend.topK`.
/// All scratch is allocated once here: sampling a token allocates nothing.
public final class Sampler {
    public let parameters: SamplingParameters
    /// Ids ≥ this are never sampled (also capped by the logits length at each call).
    public let sampleableLimit: Int
    /// Sorted ids below the limit that are never sampled.
    public let bannedIDs: [Int32]
    /// `allowed[i]` for i < sampleableLimit; empty when nothing is banned.
    private let allowed: [Bool]
    private var rng: Xoshiro256StarStar
    /// Candidate ids / logits from `topK` (capacity sampleableLimit).
    private var ids: [Int32]
    private var values: [Float]
    /// Unnormalised probabilities: over all ids (full path) or over the candidates (top-k path).
    private var weights: [Float]

    /// - Parameters:
    ///   - sampleableLimit: ids ≥ this are masked (e.g. `min(model.vocabSize, tokenizer.sampleableLimit)`).
    ///   - bannedIDs: further ids below the limit to mask (ids with no token bytes).
    public init(parameters: SamplingParameters, sampleableLimit: Int, bannedIDs: [Int32] = []) throws {
        try parameters.validate()
        guard sampleableLimit >= 1 else { throw SamplerError.invalidParameter("sampleable limit must be ≥ 1, got \(sampleableLimit)") }
        let banned = Array(Set(bannedIDs.filter { $0 >= 0 && Int($0) < sampleableLimit })).sorted()
        guard banned.count < sampleableLimit else {
            throw SamplerError.nothingToSample("all \(sampleableLimit) ids below the limit are banned")
        }
        self.parameters = parameters
        self.sampleableLimit = sampleableLimit
        self.bannedIDs = banned
        if banned.isEmpty { allowed = [] } else {
            var a = [Bool](repeating: true, count: sampleableLimit)
            for id in banned { a[Int(id)] = false }
            allowed = a
        }
        rng = Xoshiro256StarStar(seed: parameters.seed)
        ids = [Int32](repeating: 0, count: sampleableLimit)
        values = [Float](repeating: 0, count: sampleableLimit)
        weights = [Float](repeating: 0, count: sampleableLimit)
    }

    /// Restarts the random sequence (same seed → same choices again).
    public func reseed(_ seed: UInt64) { rng = Xoshiro256StarStar(seed: seed) }

    @inline(__always) private func isAllowed(_ id: Int) -> Bool { allowed.isEmpty || allowed[id] }

    /// The next token for `logits` (`[vocab]`, or any tensor whose elements are the vocabulary's logits).
    /// Throws `nothingToSample` when the logits have no allowed id, `notANumber` on a NaN logit.
    public func sample(_ logits: Tensor, backend: any Backend) throws -> Int32 {
        let limit = min(sampleableLimit, logits.count)
        let bannedBelow = bannedIDs.isEmpty ? 0 : bannedIDs.prefix { Int($0) < limit }.count
        guard limit > bannedBelow else {
            throw SamplerError.nothingToSample("\(logits.count) logits, limit \(sampleableLimit), \(bannedBelow) banned")
        }
        // A view of the first `limit` logits: masked ids past the limit are simply not looked at.
        let view = try logits.reshaped(Shape(logits.count, 1)).rows(0..<limit)
        if parameters.isGreedy { return try greedy(view, limit: limit, banned: bannedBelow, backend: backend) }
        if parameters.topK > 0 { return try sampleTopK(view, limit: limit, banned: bannedBelow, backend: backend) }
        return try sampleFull(view, limit: limit, banned: bannedBelow, backend: backend)
    }

    private func greedy(_ view: Tensor, limit: Int, banned: Int, backend: any Backend) throws -> Int32 {
        let best = try backend.argmax(view)
        if view.pointer[best].isNaN { throw SamplerError.notANumber(index: best) }
        if isAllowed(best) { return Int32(best) }
        // The argmax is banned: the best allowed id is among the top banned + 1.
        try backend.topK(view, k: banned + 1, ids: &ids, values: &values)
        for i in 0...banned where isAllowed(Int(ids[i])) { return ids[i] }
        throw SamplerError.nothingToSample("no allowed id among the top \(banned + 1)")
    }

    /// Top-k path: candidates from `backend.topK` (descending), tempered softmax over them, then top-p and min-p.
    private func sampleTopK(_ view: Tensor, limit: Int, banned: Int, backend: any Backend) throws -> Int32 {
        let k = min(parameters.topK + banned, limit)
        try backend.topK(view, k: k, ids: &ids, values: &values)
        // Compact the allowed candidates to the front, at most topK of them.
        var n = 0
        for i in 0..<k where isAllowed(Int(ids[i])) && n < parameters.topK {
            if values[i].isNaN { throw SamplerError.notANumber(index: Int(ids[i])) }
            ids[n] = ids[i]; values[n] = values[i]; n += 1
        }
        let inverseT = 1 / parameters.temperature
        let top = values[0]
        var total = 0.0
        for i in 0..<n {
            weights[i] = expf((values[i] - top) * inverseT)
            total += Double(weights[i])
        }
        n = cutoff(count: n, total: total)
        return draw(count: n) { ids[$0] }
    }

    /// Without top-k: tempered softmax over every allowed id; top-p finds its prefix with growing `backend.topK`.
    private func sampleFull(_ view: Tensor, limit: Int, banned: Int, backend: any Backend) throws -> Int32 {
        let p = view.pointer
        var top = -Float.infinity
        for i in 0..<limit where isAllowed(i) {
            let v = p[i]
            if v.isNaN { throw SamplerError.notANumber(index: i) }
            if v > top { top = v }
        }
        let inverseT = 1 / parameters.temperature
        var total = 0.0
        weights.withUnsafeMutableBufferPointer { w in
            for i in 0..<limit {
                let e = isAllowed(i) ? expf((p[i] - top) * inverseT) : 0
                w[i] = e
                total += Double(e)
            }
        }
        if parameters.topP < 1 {
            // Grow k until the top-k mass reaches top-p (or every id is included).
            var k = min(64 + banned, limit)
            while true {
                try backend.topK(view, k: k, ids: &ids, values: &values)
                var n = 0
                var mass = 0.0
                let target = Double(parameters.topP) * total
                for i in 0..<k where isAllowed(Int(ids[i])) {
                    ids[n] = ids[i]; n += 1
                    mass += Double(weights[Int(ids[n - 1])])
                    if mass >= target { break }
                }
                if mass >= target || k == limit {
                    // Candidates ids[0..<n], descending; move their weights to the front for the common tail.
                    for i in 0..<n { values[i] = weights[Int(ids[i])] }
                    for i in 0..<n { weights[i] = values[i] }
                    let m = minPCount(count: n)
                    return draw(count: m) { ids[$0] }
                }
                k = min(k * 4, limit)
            }
        }
        if parameters.minP > 0 {
            // The top allowed id has weight exactly 1 (exp(0)); keep weights ≥ minP.
            let threshold = parameters.minP
            weights.withUnsafeMutableBufferPointer { w in
                for i in 0..<limit where w[i] < threshold { w[i] = 0 }
            }
        }
        return draw(count: limit) { Int32($0) }
    }

    /// Applies top-p then min-p to candidates sorted by descending weight; returns how many remain.
    private func cutoff(count n: Int, total: Double) -> Int {
        var m = n
        if parameters.topP < 1 {
            let target = Double(parameters.topP) * total
            var mass = 0.0
            for i in 0..<n {
                mass += Double(weights[i])
                if mass >= target { m = i + 1; break }
            }
        }
        return minPCount(count: m)
    }

    /// Number of leading candidates (sorted descending by weight) with weight ≥ minP × the first one's.
    private func minPCount(count n: Int) -> Int {
        guard parameters.minP > 0, n > 0 else { return n }
        let threshold = parameters.minP * weights[0]
        var m = 1
        while m < n && weights[m] >= threshold { m += 1 }
        return m
    }

    /// Draws index i < count with probability weights[i] / Σ weights, returning `id(i)`.
    private func draw(count n: Int, id: (Int) -> Int32) -> Int32 {
        var total = 0.0
        for i in 0..<n { total += Double(weights[i]) }
        let target = rng.nextUnit() * total
        var cumulative = 0.0
        var last = 0
        for i in 0..<n where weights[i] > 0 {
            cumulative += Double(weights[i])
            last = i
            if target < cumulative { return id(i) }
        }
        // Rounding left the target at the very top: the last non-zero candidate.
        return id(last)
    }
}
