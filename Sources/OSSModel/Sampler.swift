import Foundation
import OSSCore

/// Chooses the next token from a logits vector (see `SamplingParameters` for the rules).
///
/// Ids at or past `sampleableLimit` (untrained `<|reserved_N|>` tokens of o200k: ids ≥ 200013) and `bannedIDs`
/// (ids the tokenizer has no token for) are never returned. The work is partial selection, never a sort of the
/// vocabulary, and mostly not even a softmax over it. One vectorised argmax pass also leaves the maximum of every
/// block of 64 ids, which bounds every weight in the block. Then:
/// - greedy: the argmax;
/// - top-k: a k-element heap fed only from blocks whose maximum beats its smallest;
/// - min-p: a logit threshold (top + T·ln minP): only blocks that reach it are read, only kept ids weighed; with
///   top-p too, the top-p prefix is cut inside that set (it needs the softmax total only when the set's mass is
///   not provably below top-p of it);
/// - temperature alone: exact rejection sampling from the block bounds (a block by its bound, an id in it
///   uniformly, accepted with its weight over the bound: at most 64 tries expected, none of the vocabulary weighed);
/// - top-p: a draw from the tempered softmax as above, kept when it is in the top-p set: the mass of the ids before it
///   (read from the blocks that reach its logit) below topP times the total, which block bounds often decide; the
///   exact total (one vectorised pass) only when they do not. A draw outside the set is drawn again; accepted draws
///   follow the top-p distribution exactly.
/// When the tries run out (a cap far above the expected counts), or on infinite logits, a vectorised softmax over the
/// vocabulary with the top-p cut found by bisection and weighted selection draws instead (the same distribution).
/// All scratch is allocated once here: sampling a token allocates nothing.
public final class Sampler {
    public let parameters: SamplingParameters
    /// Ids ≥ this are never sampled (also capped by the logits length at each call).
    public let sampleableLimit: Int
    /// Sorted ids below the limit that are never sampled.
    public let bannedIDs: [Int32]
    /// `allowed[i]` for i < sampleableLimit; nil when nothing is banned.
    let allowed: UnsafeMutablePointer<Bool>?
    /// Blocks of `SamplerKernels.maxBlock` ids that hold a banned id (their maxima are taken over allowed ids only).
    let bannedBlocks: [Int]
    /// `flagged[b]`: block b holds a banned id (nil when nothing is banned).
    let flagged: UnsafeMutablePointer<Bool>?
    var rng: Xoshiro256StarStar
    /// Candidate ids / logits or weights (capacity sampleableLimit): the top-k heap, or the ids at a top-p cut.
    let ids: UnsafeMutablePointer<Int32>
    let values: UnsafeMutablePointer<Float>
    /// Weights: over all ids (softmax path) or over the candidates (top-k path), capacity sampleableLimit.
    let weights: UnsafeMutablePointer<Float>
    /// Σ weights per block of `block` ids (softmax path).
    let blockSums: UnsafeMutablePointer<Double>
    /// Sort keys of the ids at a top-p cut (capacity sampleableLimit).
    let keys: UnsafeMutablePointer<UInt64>
    /// Maximum logit of each block of `SamplerKernels.maxBlock` allowed ids (from the argmax pass).
    let blockMax: UnsafeMutablePointer<Float>
    /// Per block: the weight of its maximum, and the running sum of the blocks' mass bounds (rejection sampling).
    let blockWeight: UnsafeMutablePointer<Float>
    let cumulativeBound: UnsafeMutablePointer<Double>
    static let block = 1024
    /// A top-p cut stops bisecting once at most this many weights lie between its brackets (they are sorted).
    static let cutCandidates = 512
    /// Rejection-sampling tries per token before the softmax path draws instead (expected: at most 64).
    var maxTries = 4096
    /// Draws tested for top-p membership per token before the softmax path draws instead (expected: 1 / topP).
    var maxNucleusDraws = 32
    /// Tokens the softmax path drew because rejection sampling ran out of tries.
    public private(set) var fallbacks = 0

    /// - Parameters:
    ///   - sampleableLimit: ids ≥ this are masked (e.g. `min(model.vocabSize, tokenizer.sampleableLimit)`).
    ///   - bannedIDs: further ids below the limit to mask (ids with no token bytes).
    public init(parameters: SamplingParameters, sampleableLimit: Int, bannedIDs: [Int32] = []) throws {
        try parameters.validate()
        guard sampleableLimit >= 1 else {
            throw SamplerError.invalidParameter("sampleable limit must be ≥ 1, got \(sampleableLimit)")
        }
        let banned = Array(Set(bannedIDs.filter { $0 >= 0 && Int($0) < sampleableLimit })).sorted()
        guard banned.count < sampleableLimit else {
            throw SamplerError.nothingToSample("all \(sampleableLimit) ids below the limit are banned")
        }
        self.parameters = parameters
        self.sampleableLimit = sampleableLimit
        self.bannedIDs = banned
        let blocks = (sampleableLimit + SamplerKernels.maxBlock - 1) / SamplerKernels.maxBlock
        if banned.isEmpty {
            allowed = nil
            flagged = nil
            bannedBlocks = []
        } else {
            let a = UnsafeMutablePointer<Bool>.allocate(capacity: sampleableLimit)
            a.initialize(repeating: true, count: sampleableLimit)
            for id in banned { a[Int(id)] = false }
            allowed = a
            bannedBlocks = Array(Set(banned.map { Int($0) / SamplerKernels.maxBlock })).sorted()
            let f = UnsafeMutablePointer<Bool>.allocate(capacity: blocks)
            f.initialize(repeating: false, count: blocks)
            for b in bannedBlocks { f[b] = true }
            flagged = f
        }
        rng = Xoshiro256StarStar(seed: parameters.seed)
        ids = .allocate(capacity: sampleableLimit)
        values = .allocate(capacity: sampleableLimit)
        weights = .allocate(capacity: sampleableLimit)
        blockSums = .allocate(capacity: (sampleableLimit + Self.block - 1) / Self.block)
        keys = .allocate(capacity: sampleableLimit)
        blockMax = .allocate(capacity: blocks)
        blockWeight = .allocate(capacity: blocks)
        cumulativeBound = .allocate(capacity: blocks)
    }

    deinit {
        ids.deallocate()
        values.deallocate()
        weights.deallocate()
        blockSums.deallocate()
        keys.deallocate()
        blockMax.deallocate()
        blockWeight.deallocate()
        cumulativeBound.deallocate()
        allowed?.deallocate()
        flagged?.deallocate()
    }

    /// Restarts the random sequence (same seed → same choices again).
    public func reseed(_ seed: UInt64) { rng = Xoshiro256StarStar(seed: seed) }

    @inline(__always) func isAllowed(_ id: Int) -> Bool { allowed?[id] ?? true }

    /// log2(e)/T: weights are 2^((logit − top)·k).
    var k: Float { SamplerKernels.log2e / parameters.temperature }

    /// The next token for `logits`; `backend` is not used (the sampler's loops are its own, vectorised, on the
    /// calling thread) and stays for callers written against the earlier signature.
    public func sample(_ logits: Tensor, backend: any Backend) throws -> Int32 { try sample(logits) }

    /// The next token for `logits` (`[vocab]`, or any tensor whose elements are the vocabulary's logits).
    /// Throws `nothingToSample` when the logits have no allowed id, `notANumber` on a NaN logit.
    public func sample(_ logits: Tensor) throws -> Int32 {
        switch try select(logits, exact: false) {
        case .single(let id): return id
        case .candidates(let count): return draw(count: count)
        case .threshold(let threshold, let extra, let limit, let total, let massAbove):
            return drawAtLeast(threshold, extra: extra, limit: limit, total: total, massAbove: massAbove)
        case .tempered(let row):
            if let id = drawTempered(row) { return id }
        case .nucleus(let row):
            if let id = drawNucleus(row) { return id }
        }
        // the tries ran out: the softmax path (same distribution)
        fallbacks += 1
        return try sample(fromSoftmaxOf: logits)
    }

    /// `sample` by the vectorised softmax over the vocabulary (the fallback of the rejection paths).
    func sample(fromSoftmaxOf logits: Tensor) throws -> Int32 {
        guard
            case .threshold(let threshold, let extra, let limit, let total, let massAbove) = try select(
                logits, exact: true)
        else {
            preconditionFailure("the softmax path selects by threshold")
        }
        return drawAtLeast(threshold, extra: extra, limit: limit, total: total, massAbove: massAbove)
    }

    /// The ids `sample` may return for `logits` and their probabilities (tests compare it with a reference). For
    /// the paths that sample by rejection this is the set and weights their accepted draws follow, computed by the
    /// softmax path.
    func distribution(_ logits: Tensor) throws -> [Int32: Double] {
        var p: [Int32: Double] = [:]
        switch try select(logits, exact: true) {
        case .single(let id): p[id] = 1
        case .candidates(let count):
            for i in 0..<count where weights[i] > 0 { p[ids[i]] = Double(weights[i]) }
        case .threshold(let threshold, let extra, let limit, _, _):
            for i in 0..<limit where weights[i] >= threshold && weights[i] > 0 { p[Int32(i)] = Double(weights[i]) }
            for j in 0..<extra where values[j] > 0 { p[ids[j]] = Double(values[j]) }
        case .tempered, .nucleus: preconditionFailure("exact selection never samples by rejection")
        }
        let total = p.values.reduce(0, +)
        return p.mapValues { $0 / total }
    }

    /// What is left to draw from once the filters ran.
    enum Selection {
        /// Greedy: this id.
        case single(Int32)
        /// `ids[0..<count]` with `weights[0..<count]`.
        case candidates(count: Int)
        /// Ids i < limit with `weights[i] ≥ threshold` (and > 0), plus `ids[0..<extra]` with `values[0..<extra]`.
        /// `massAbove`: Σ weights ≥ threshold when known (nil: summed when drawing).
        case threshold(Float, extra: Int, limit: Int, total: Double, massAbove: Double?)
        /// The tempered softmax over the allowed ids, drawn by rejection from the block bounds.
        case tempered(Row)
        /// Its top-p set, drawn by rejection: tempered draws tested for membership.
        case nucleus(Row)
    }

    /// A logits row after the argmax pass: `p[0..<limit]`, its largest allowed logit `top`, block maxima in
    /// `blockMax[0..<blocks]` (over allowed ids), block bounds in `blockWeight` / `cumulativeBound`.
    struct Row {
        let p: UnsafePointer<Float>
        let limit: Int
        let top: Float
        let blocks: Int
        /// Σ count_b · blockWeight_b.
        let bound: Double
    }

    /// Runs the argmax pass and the filters. `exact`: no rejection paths (`distribution`, and the fallback).
    func select(_ logits: Tensor, exact: Bool) throws -> Selection {
        let limit = min(sampleableLimit, logits.count)
        let bannedBelow = bannedIDs.isEmpty ? 0 : bannedIDs.prefix { Int($0) < limit }.count
        guard limit > bannedBelow else {
            throw SamplerError.nothingToSample(
                "\(logits.count) logits, limit \(sampleableLimit), \(bannedBelow) banned")
        }
        let p = UnsafePointer(logits.pointer)
        let (best, nonFinite) = SamplerKernels.argmax(p, limit, blockMax: blockMax)
        if nonFinite, let i = (0..<limit).first(where: { p[$0].isNaN }) { throw SamplerError.notANumber(index: i) }
        let blocks = (limit + SamplerKernels.maxBlock - 1) / SamplerKernels.maxBlock
        var topID = best
        if !bannedBlocks.isEmpty {
            // block maxima over allowed ids only; the argmax, if banned: the first largest allowed id
            for b in bannedBlocks where b < blocks {
                var m = -Float.infinity
                for i in (b * SamplerKernels.maxBlock)..<min((b + 1) * SamplerKernels.maxBlock, limit)
                where isAllowed(i) && p[i] > m { m = p[i] }
                blockMax[b] = m
            }
            if !isAllowed(best) {
                var top = -Float.infinity
                var bestBlock = 0
                for b in 0..<blocks where blockMax[b] > top {
                    top = blockMax[b]
                    bestBlock = b
                }
                topID =
                    (bestBlock * SamplerKernels.maxBlock..<limit).first { isAllowed($0) && p[$0] == top }
                    ?? (0..<limit).first { isAllowed($0) }!  // all allowed logits are −∞
            }
        }
        let top = p[topID]
        if parameters.isGreedy { return .single(Int32(topID)) }
        if top == .infinity {
            // The tempered softmax's limit: the allowed ids at +∞ share all the mass (weights relative to an infinite
            // top are 0 or NaN), uniformly; no filter can cut inside a set of equal weights by logit.
            var n = 0
            for i in 0..<limit where p[i] == .infinity && isAllowed(i) {
                ids[n] = Int32(i)
                weights[n] = 1
                n += 1
            }
            return .candidates(count: n)
        }
        if parameters.topK > 0 && parameters.topK < limit - bannedBelow {
            return .candidates(count: selectTopK(p, limit: limit))
        }
        if parameters.minP > 0 && !nonFinite {
            return .candidates(count: selectMinP(p, limit: limit, top: top, blocks: blocks))
        }
        if exact || nonFinite { return selectSoftmax(p, limit: limit, top: top) }
        let bound = SamplerKernels.blockBounds(
            blockMax, blocks: blocks, n: limit, top: top, k: k,
            blockWeight: blockWeight, cumulative: cumulativeBound)
        let row = Row(p: p, limit: limit, top: top, blocks: blocks, bound: bound)
        return parameters.topP < 1 ? .nucleus(row) : .tempered(row)
    }

    /// Min-p needs no softmax over the vocabulary: weight ≥ minP (the top weight is 1) is logit ≥
    /// top + T·ln(minP), so only blocks reaching that are read and only the ids kept are weighed. With top-p, the
    /// set drawn from is the shorter of the two prefixes (by descending weight): the min-p set when its mass is
    /// below topP of the total, else the top-p prefix inside it. Leaves the candidates in `ids`/`weights`.
    private func selectMinP(_ p: UnsafePointer<Float>, limit: Int, top: Float, blocks: Int) -> Int {
        let k = self.k
        // a little below the exact cut, so rounding never loses an id; the weight test below is the exact one
        let cut = top + parameters.temperature * (logf(parameters.minP) - 1e-3)
        let found = SamplerKernels.collect(
            p, limit, lo: cut, hi: .infinity, ids: ids, values: values,
            blockMax: blockMax)
        var n = 0
        var mass = 0.0
        for j in 0..<found where isAllowed(Int(ids[j])) {
            let w = SamplerKernels.weight(values[j], top: top, k: k)
            guard w >= parameters.minP else { continue }  // the same test as the softmax path, after rounding
            ids[n] = ids[j]
            weights[n] = w
            mass += Double(w)
            n += 1
        }
        guard parameters.topP < 1 else { return n }
        // The total is at least the set's mass plus each block below the cut's maximum weight.
        _ = SamplerKernels.blockBounds(
            blockMax, blocks: blocks, n: limit, top: top, k: k,
            blockWeight: blockWeight, cumulative: cumulativeBound)
        let lowBlocks = SamplerKernels.blockTotals(
            blockMax, blockWeight, blocks: blocks, n: limit, around: cut,
            cap: 0
        ).below
        let target = Double(parameters.topP)
        if mass < target * (mass + lowBlocks) { return n }
        let total = SamplerKernels.mass(
            p, limit, top: top, k: k, above: .infinity, before: 0, blockMax: blockMax,
            flagged: flagged, allowed: allowed, total: true
        ).total
        if mass < target * total { return n }
        // the top-p prefix of the min-p set by weighted selection on unique keys (weight bits, then lower id)
        for j in 0..<n { keys[j] = UInt64(weights[j].bitPattern) << 32 | UInt64(UInt32.max - UInt32(ids[j])) }
        let taken = Self.selectPrefix(keys, count: n, mass: target * total)
        for j in 0..<taken {
            ids[j] = Int32(UInt32.max - UInt32(truncatingIfNeeded: keys[j]))
            weights[j] = Float(bitPattern: UInt32(keys[j] >> 32))
        }
        return taken
    }

    // MARK: top-k

    /// Heap order: whether candidate a is worse than b (smaller logit; among equals the larger id).
    @inline(__always) private func worse(_ a: Int, _ b: Int) -> Bool {
        values[a] < values[b] || (values[a] == values[b] && ids[a] > ids[b])
    }

    private func siftDown(_ start: Int, size: Int) {
        var i = start
        while true {
            let l = 2 * i + 1
            let r = l + 1
            var m = i
            if l < size && worse(l, m) { m = l }
            if r < size && worse(r, m) { m = r }
            if m == i { return }
            ids.swapAt(i, m)
            values.swapAt(i, m)
            i = m
        }
    }

    private func siftUp(_ start: Int) {
        var i = start
        while i > 0 {
            let parent = (i - 1) / 2
            guard worse(i, parent) else { return }
            ids.swapAt(i, parent)
            values.swapAt(i, parent)
            i = parent
        }
    }

    /// Top-k: the k largest allowed logits by a min-heap (a vectorised pass skips every 8 values that do not beat
    /// the heap's smallest), sorted descending; tempered softmax over them, then top-p and min-p.
    private func selectTopK(_ p: UnsafePointer<Float>, limit: Int) -> Int {
        let k = parameters.topK
        var size = 0
        var i = 0
        while i < limit && size < k {
            if isAllowed(i) {
                ids[size] = Int32(i)
                values[size] = p[i]
                size += 1
                siftUp(size - 1)
            }
            i += 1
        }
        // Blocks whose maximum does not beat the heap's smallest are skipped whole.
        let block = SamplerKernels.maxBlock
        func offer(_ j: Int) {
            guard p[j] > values[0], isAllowed(j) else { return }
            ids[0] = Int32(j)
            values[0] = p[j]
            siftDown(0, size: k)
        }
        while i < limit && i % block != 0 {
            offer(i)
            i += 1
        }
        while i < limit {
            let end = min(i + block, limit)
            if blockMax[i / block] > values[0] { for j in i..<end { offer(j) } }
            i = end
        }
        // Heap sort: the worst goes to the end each time, leaving the candidates in descending order.
        var n = k
        while n > 1 {
            ids.swapAt(0, n - 1)
            values.swapAt(0, n - 1)
            n -= 1
            siftDown(0, size: n)
        }
        let scale = self.k
        let top = values[0]
        var total = 0.0
        for j in 0..<k {
            weights[j] = SamplerKernels.weight(values[j], top: top, k: scale)
            total += Double(weights[j])
        }
        return cutoff(count: k, total: total)
    }

    /// Applies top-p then min-p to candidates sorted by descending weight; returns how many remain.
    private func cutoff(count n: Int, total: Double) -> Int {
        var m = n
        if parameters.topP < 1 {
            let target = Double(parameters.topP) * total
            var mass = 0.0
            for i in 0..<n {
                mass += Double(weights[i])
                if mass >= target {
                    m = i + 1
                    break
                }
            }
        }
        guard parameters.minP > 0, m > 0 else { return m }
        let threshold = parameters.minP * weights[0]
        var kept = 1
        while kept < m && weights[kept] >= threshold { kept += 1 }
        return kept
    }

    /// Draws candidate i < count with probability weights[i] / Σ weights.
    private func draw(count n: Int) -> Int32 {
        var total = 0.0
        for i in 0..<n { total += Double(weights[i]) }
        let target = rng.nextUnit() * total
        var cumulative = 0.0
        var last = 0
        for i in 0..<n where weights[i] > 0 {
            cumulative += Double(weights[i])
            last = i
            if target < cumulative { return ids[i] }
        }
        // Rounding left the target at the very top: the last non-zero candidate.
        return ids[last]
    }

    // MARK: softmax over the whole vocabulary

    /// Without top-k: vectorised tempered softmax over every allowed id, then the top-p and min-p sets (each a
    /// prefix of the ids by descending weight) described as "weight ≥ threshold" plus a few ids at the cut.
    private func selectSoftmax(_ p: UnsafePointer<Float>, limit: Int, top: Float) -> Selection {
        let w = weights
        let block = Self.block
        var total = SamplerKernels.weights(
            p, limit, top: top, k: k, into: w,
            blockSums: blockSums, block: block)
        if !bannedIDs.isEmpty {
            var dirty = -1
            for id in bannedIDs where Int(id) < limit {
                w[Int(id)] = 0
                let b = Int(id) / block
                if b != dirty {
                    if dirty >= 0 { recomputeBlock(dirty, limit: limit) }
                    dirty = b
                }
            }
            if dirty >= 0 { recomputeBlock(dirty, limit: limit) }
            total = 0
            for b in 0..<((limit + block - 1) / block) { total += blockSums[b] }
        }
        // The set drawn from: weights ≥ threshold (0 = all), plus ids[0..<extra] (weights values[0..<extra]).
        var threshold: Float = 0
        var smallest: Float = 0
        var extra = 0
        var massAbove: Double? = total
        if parameters.topP < 1 { (threshold, extra, smallest, massAbove) = nucleus(limit: limit, total: total) }
        if parameters.minP > 0 {
            // The top allowed id has weight exactly 1 (e^0): min-p keeps weights ≥ minP, a shorter prefix than the
            // top-p set when minP exceeds that set's smallest weight.
            if parameters.minP > smallest {
                threshold = parameters.minP
                extra = 0
                massAbove = nil
            }
        }
        return .threshold(threshold, extra: extra, limit: limit, total: total, massAbove: massAbove)
    }

    private func recomputeBlock(_ b: Int, limit: Int) {
        let start = b * Self.block
        blockSums[b] = SamplerKernels.blockMass(weights, start, min(start + Self.block, limit), 0)
    }

    /// The top-p set: the shortest prefix by descending weight whose mass reaches topP·total. Bisects (in log
    /// space) a threshold pair lo < hi with mass(w ≥ hi) < target ≤ mass(w ≥ lo) until few weights lie between
    /// them, sorts those and walks them. Returns hi and the number of cut ids left in `ids`/`values`.
    private func nucleus(limit: Int, total: Double)
        -> (threshold: Float, extra: Int, smallest: Float, massAbove: Double)
    {
        let w = weights
        let target = Double(parameters.topP) * total
        // Ids below (total − target)/limit cannot hold the mass that is left out, so this lo keeps ≥ target.
        var lo = max(Float((total - target) / Double(limit)), .leastNormalMagnitude)
        var hi = Float(1).nextUp  // the top weight is exactly 1: nothing is ≥ hi
        var massHi = 0.0
        var countHi = 0
        var countLo = limit  // an upper bound until a pass measures it
        var rounds = 0
        while countLo - countHi > Self.cutCandidates && rounds < 32 {
            // four thresholds evenly spaced in log space split [lo, hi) into five parts per pass
            let a = log2(lo)
            let b = log2(hi)
            let t = SIMD4<Float>((1...4).map { exp2(a + (b - a) * Float($0) / 5) })
            guard t[0] > lo && t[3] < hi else { break }
            let (mass, count) = SamplerKernels.massAtLeast4(w, limit, t)
            for l in 0..<4 {  // ascending thresholds: mass and count fall
                if mass[l] >= target {
                    lo = t[l]
                    countLo = count[l]
                } else {
                    hi = t[l]
                    massHi = mass[l]
                    countHi = count[l]
                    break
                }
            }
            rounds += 1
        }
        let m = SamplerKernels.collect(w, limit, lo: lo, hi: hi, ids: ids, values: values)
        // Order: descending weight, lower id first among equals — one unique UInt64 key per candidate (positive
        // floats order as their bit patterns). The cut is found by weighted selection, not a sort.
        for j in 0..<m { keys[j] = UInt64(values[j].bitPattern) << 32 | UInt64(UInt32.max - UInt32(ids[j])) }
        let taken = Self.selectPrefix(keys, count: m, mass: target - massHi)
        var smallest = hi
        for j in 0..<taken {
            let key = keys[j]
            ids[j] = Int32(UInt32.max - UInt32(truncatingIfNeeded: key))
            values[j] = Float(bitPattern: UInt32(key >> 32))
            smallest = min(smallest, values[j])
        }
        return (hi, taken, smallest, massHi)
    }

    /// Weighted selection over unique keys (`weight bits << 32 | inverted id`): moves the shortest prefix, by
    /// descending key, whose weights sum to at least `mass` to `keys[0..<n]` (in no particular order) and returns n
    /// (all `count` when their sum falls short). Quickselect partitions; no allocation.
    static func selectPrefix(_ keys: UnsafeMutablePointer<UInt64>, count: Int, mass: Double) -> Int {
        @inline(__always) func weight(_ k: UInt64) -> Double { Double(Float(bitPattern: UInt32(k >> 32))) }
        var need = mass
        var lo = 0
        var hi = count  // keys[0..<lo] are taken; the cut lies in keys[lo..<hi]
        while hi - lo > 1 {
            // median-of-three pivot, moved to keys[lo]
            let mid = lo + (hi - lo) / 2
            let a = keys[lo]
            let b = keys[mid]
            let c = keys[hi - 1]
            let pivotIndex = (a < b) == (b < c) ? mid : (b < a) == (a < c) ? lo : hi - 1
            keys.swapAt(lo, pivotIndex)
            let pivot = keys[lo]
            // keys > pivot to keys[lo + 1 ..< s]
            var s = lo + 1
            var above = 0.0
            for j in (lo + 1)..<hi where keys[j] > pivot {
                above += weight(keys[j])
                keys.swapAt(j, s)
                s += 1
            }
            // put the pivot right after the larger keys: keys[lo..<s-1] > pivot, keys[s-1] = pivot
            keys.swapAt(lo, s - 1)
            if above >= need {
                hi = s - 1
            } else if above + weight(pivot) >= need {
                return s
            } else {
                need -= above + weight(pivot)
                lo = s
            }
        }
        if hi - lo == 1 && need > 0 { return lo + 1 }
        return lo
    }

    /// Draws from {i : w[i] ≥ threshold, w[i] > 0} ∪ ids[0..<extra] in proportion to the weights, walking
    /// block sums first.
    private func drawAtLeast(_ threshold: Float, extra: Int, limit: Int, total: Double, massAbove: Double?) -> Int32 {
        let w = weights
        let block = Self.block
        let blocks = (limit + block - 1) / block
        var mass = threshold == 0 ? total : massAbove ?? SamplerKernels.massAtLeast(w, limit, threshold).mass
        for j in 0..<extra { mass += Double(values[j]) }
        let target = rng.nextUnit() * mass
        var cumulative = 0.0
        var last = -1
        for b in 0..<blocks {
            let start = b * block
            let end = min(start + block, limit)
            let s = threshold == 0 ? blockSums[b] : SamplerKernels.blockMass(w, start, end, threshold)
            guard s > 0 else { continue }
            if cumulative + s <= target {
                cumulative += s
                last = b
                continue
            }
            for i in start..<end where w[i] >= threshold && w[i] > 0 {
                cumulative += Double(w[i])
                if target < cumulative { return Int32(i) }
            }
            last = b
        }
        for j in 0..<extra where values[j] > 0 {
            cumulative += Double(values[j])
            if target < cumulative { return ids[j] }
        }
        // Rounding left the target at the very top: the last candidate with weight.
        if extra > 0 { return ids[extra - 1] }
        let b = max(last, 0)
        var i = min((b + 1) * block, limit) - 1
        while i > b * block && !(w[i] >= threshold && w[i] > 0) { i -= 1 }
        return Int32(i)
    }
}
