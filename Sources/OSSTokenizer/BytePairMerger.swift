/// Rank-ordered byte-pair merging of one pre-tokenized piece (tiktoken's `_byte_pair_merge`).
///
/// Starts from single bytes and repeatedly merges the adjacent pair whose concatenation has the lowest rank,
/// until no adjacent concatenation is a token. Scratch arrays are kept between pieces.
struct BytePairMerger {
    /// Start offset of each part within the piece, plus the end offset.
    private var starts: [Int32] = []
    /// Rank of the concatenation of part i and part i+1 (Int32.max when not a token or out of range).
    private var ranks: [Int32] = []

    /// Pieces longer than this use the heap-based merge (O(n log n)) instead of the quadratic scan.
    var longPieceThreshold = 256

    /// Heap-merge scratch: next/previous part start (by byte offset; -1 = none), current pair rank per part start.
    private var next: [Int32] = []
    private var previous: [Int32] = []
    private var pairRanks: [Int32] = []
    /// Min-heap of (rank << 32 | start); stale entries are skipped when popped.
    private var heap = MinHeap<UInt64>()

    /// Appends the tokens of `piece[0..<count]` (which is not itself a token, count ≥ 2) to `output`.
    mutating func merge(_ piece: UnsafePointer<UInt8>, count: Int, table: TokenTable, into output: inout [Int32]) {
        if count > longPieceThreshold {
            mergeLong(piece, count: count, table: table, into: &output)
            return
        }
        starts.removeAll(keepingCapacity: true)
        ranks.removeAll(keepingCapacity: true)
        for i in 0...count { starts.append(Int32(i)) }
        for i in 0..<count {
            ranks.append(i + 1 < count ? rankOrMax(table.rank(piece + i, 2)) : Int32.max)
        }
        // parts = starts.count - 1; pair i joins part i and part i + 1; ranks[parts - 1] is always max.
        while true {
            var best = Int32.max
            var bestIndex = -1
            let parts = starts.count - 1
            for i in 0..<(parts - 1) where ranks[i] < best {
                best = ranks[i]
                bestIndex = i
            }
            if bestIndex < 0 { break }
            let i = bestIndex
            // Part i absorbs part i + 1; recompute the pairs that now cover the merged part.
            starts.remove(at: i + 1)
            ranks.remove(at: i + 1)
            ranks[i] = pairRank(piece, i, table)
            if i > 0 { ranks[i - 1] = pairRank(piece, i - 1, table) }
        }
        for i in 0..<(starts.count - 1) {
            let s = Int(starts[i])
            let e = Int(starts[i + 1])
            // Every final part is a token: single bytes are tokens in a byte-level vocabulary, larger parts were merged.
            output.append(table.rank(piece + s, e - s))
        }
    }

    /// Rank of part i joined with part i + 1, or Int32.max.
    @inline(__always)
    private func pairRank(_ piece: UnsafePointer<UInt8>, _ i: Int, _ table: TokenTable) -> Int32 {
        guard i + 2 < starts.count else { return Int32.max }
        let s = Int(starts[i])
        let e = Int(starts[i + 2])
        return rankOrMax(table.rank(piece + s, e - s))
    }

    @inline(__always)
    private func rankOrMax(_ r: Int32) -> Int32 { r < 0 ? Int32.max : r }

    /// The same merge order as `merge` (lowest rank first, leftmost among equal ranks) over a linked list of parts
    /// and a min-heap keyed by (rank, start), for long pieces where the quadratic scan would dominate.
    private mutating func mergeLong(
        _ piece: UnsafePointer<UInt8>, count: Int, table: TokenTable, into output: inout [Int32]
    ) {
        next.removeAll(keepingCapacity: true)
        previous.removeAll(keepingCapacity: true)
        pairRanks.removeAll(keepingCapacity: true)
        heap.removeAll()
        for i in 0..<count {
            next.append(Int32(i + 1 < count ? i + 1 : -1))
            previous.append(Int32(i - 1))
            pairRanks.append(Int32.max)
        }
        func partEnd(_ s: Int) -> Int { next[s] < 0 ? count : Int(next[s]) }
        func computeRank(_ s: Int) -> Int32 {
            let n = next[s]
            guard n >= 0 else { return Int32.max }
            return rankOrMax(table.rank(piece + s, partEnd(Int(n)) - s))
        }
        for i in 0..<(count - 1) {
            pairRanks[i] = computeRank(i)
            if pairRanks[i] != Int32.max { heap.push((UInt64(pairRanks[i]) << 32) | UInt64(i)) }
        }
        while let top = heap.pop() {
            let rank = Int32(truncatingIfNeeded: top >> 32)
            let s = Int(top & 0xFFFF_FFFF)
            // Stale entry: the part was absorbed (its rank reset to max) or its pair changed.
            guard pairRanks[s] == rank else { continue }
            let absorbed = Int(next[s])
            let after = next[absorbed]
            next[s] = after
            if after >= 0 { previous[Int(after)] = Int32(s) }
            pairRanks[absorbed] = Int32.max
            pairRanks[s] = computeRank(s)
            if pairRanks[s] != Int32.max { heap.push((UInt64(pairRanks[s]) << 32) | UInt64(s)) }
            let p = Int(previous[s])
            if p >= 0 {
                pairRanks[p] = computeRank(p)
                if pairRanks[p] != Int32.max { heap.push((UInt64(pairRanks[p]) << 32) | UInt64(p)) }
            }
        }
        var s = 0
        while s >= 0 {
            output.append(table.rank(piece + s, partEnd(s) - s))
            s = Int(next[s])
        }
    }
}

extension UInt64: HeapElement {
    func before(_ other: UInt64) -> Bool { self < other }
}
