/// The mergeable (byte-sequence) tokens of a BPE vocabulary: rank → bytes and bytes → rank.
///
/// All token bytes live in one arena; the reverse map is an open-addressing hash table keyed by the byte run,
/// so a lookup of a slice of the input hashes and compares in place without building a key.
/// In tiktoken vocabularies the rank of a token is also its id.
public struct TokenTable: Sendable {
    /// Concatenated token bytes, in rank order.
    let arena: [UInt8]
    /// `starts[r] ..< starts[r + 1]` is the byte range of rank r in `arena` (empty for a rank with no token).
    let starts: [Int32]
    /// Hash slots: a rank, or -1 for an empty slot. Capacity is a power of two ≥ 2 × count.
    let slots: [Int32]
    let slotMask: Int
    /// Number of ranks with a token.
    public let count: Int

    /// Ranks `0 ..< rankLimit` (some may be missing).
    public var rankLimit: Int { starts.count - 1 }

    /// Most ranks below the largest that may have no token. The tables are sized by the largest rank, so without a
    /// bound one line `QQ== 2000000000` would cost 16 GB; real vocabularies leave at most a few special ids out.
    public static let maxMissingRanks = 1 << 16

    /// Builds the table from (bytes, rank) pairs. Throws on an empty token, a duplicate token or a duplicate rank, or
    /// ranks that leave more than `maxMissingRanks` ranks without a token.
    public init(tokens: [(bytes: [UInt8], rank: Int)]) throws {
        var limit = 0
        for t in tokens {
            guard t.rank >= 0, t.rank < Int(Int32.max) else {
                throw TokenizerError.inconsistentVocabulary("rank \(t.rank) out of range")
            }
            limit = max(limit, t.rank + 1)
        }
        guard limit - tokens.count <= Self.maxMissingRanks else {
            throw TokenizerError.inconsistentVocabulary(
                "ranks up to \(limit - 1) for \(tokens.count) tokens: more than \(Self.maxMissingRanks) ranks have no token"
            )
        }
        var lengths = [Int32](repeating: -1, count: limit)
        var totalBytes = 0
        for t in tokens {
            guard !t.bytes.isEmpty else { throw TokenizerError.inconsistentVocabulary("empty token at rank \(t.rank)") }
            guard lengths[t.rank] < 0 else {
                throw TokenizerError.inconsistentVocabulary("rank \(t.rank) appears twice")
            }
            lengths[t.rank] = Int32(t.bytes.count)
            totalBytes += t.bytes.count
        }
        var starts = [Int32](repeating: 0, count: limit + 1)
        for r in 0..<limit { starts[r + 1] = starts[r] + max(lengths[r], 0) }
        var arena = [UInt8](repeating: 0, count: totalBytes)
        for t in tokens {
            let s = Int(starts[t.rank])
            for (i, b) in t.bytes.enumerated() { arena[s + i] = b }
        }
        try self.init(arena: arena, starts: starts, count: tokens.count)
    }

    /// Builds the table from an arena already in rank order (`starts` has rankLimit + 1 entries).
    init(arena: [UInt8], starts: [Int32], count: Int) throws {
        self.arena = arena
        self.starts = starts
        self.count = count
        var capacity = 16
        while capacity < 2 * max(count, 1) { capacity <<= 1 }
        var slots = [Int32](repeating: -1, count: capacity)
        let mask = capacity - 1
        try arena.withUnsafeBufferPointer { a in
            for r in 0..<(starts.count - 1) {
                let s = Int(starts[r])
                let e = Int(starts[r + 1])
                if s == e { continue }
                var slot = Int(truncatingIfNeeded: TokenTable.hash(a.baseAddress! + s, e - s)) & mask
                while slots[slot] >= 0 {
                    let other = Int(slots[slot])
                    let os = Int(starts[other])
                    let oe = Int(starts[other + 1])
                    if oe - os == e - s && memoryEqual(a.baseAddress! + os, a.baseAddress! + s, e - s) {
                        throw TokenizerError.inconsistentVocabulary("token bytes of rank \(r) repeat rank \(other)")
                    }
                    slot = (slot + 1) & mask
                }
                slots[slot] = Int32(r)
            }
        }
        self.slots = slots
        self.slotMask = mask
    }

    /// FNV-1a over the bytes, finished with a multiply-xorshift so low bits mix well.
    @inline(__always)
    static func hash(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for i in 0..<n { h = (h ^ UInt64(p[i])) &* 0x0000_0100_0000_01b3 }
        h ^= h >> 29
        h = h &* 0xbf58_476d_1ce4_e5b9
        return h ^ (h >> 32)
    }

    /// The rank of the byte run `p[0..<n]`, or -1 when it is not a token.
    @inline(__always)
    func rank(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int32 {
        arena.withUnsafeBufferPointer { a in
            starts.withUnsafeBufferPointer { st in
                slots.withUnsafeBufferPointer { sl in
                    var slot = Int(truncatingIfNeeded: TokenTable.hash(p, n)) & slotMask
                    while true {
                        let r = sl[slot]
                        if r < 0 { return -1 }
                        let s = Int(st[Int(r)])
                        let e = Int(st[Int(r) + 1])
                        if e - s == n && memoryEqual(a.baseAddress! + s, p, n) { return r }
                        slot = (slot + 1) & slotMask
                    }
                }
            }
        }
    }

    /// The rank of `bytes`, or nil.
    public func rank(of bytes: [UInt8]) -> Int? {
        guard !bytes.isEmpty else { return nil }
        let r = bytes.withUnsafeBufferPointer { rank($0.baseAddress!, $0.count) }
        return r < 0 ? nil : Int(r)
    }

    /// Whether `rank` has a token.
    public func hasRank(_ rank: Int) -> Bool {
        rank >= 0 && rank < rankLimit && starts[rank] != starts[rank + 1]
    }

    /// The bytes of `rank`, or nil when the rank has no token.
    public func bytes(ofRank rank: Int) -> [UInt8]? {
        guard rank >= 0, rank < rankLimit else { return nil }
        let s = Int(starts[rank])
        let e = Int(starts[rank + 1])
        return s == e ? nil : Array(arena[s..<e])
    }

    /// Appends the bytes of `rank` to `output`; returns false when the rank has no token.
    @inline(__always)
    func appendBytes(ofRank rank: Int, to output: inout [UInt8]) -> Bool {
        guard rank >= 0, rank < rankLimit else { return false }
        let s = Int(starts[rank])
        let e = Int(starts[rank + 1])
        if s == e { return false }
        output.append(contentsOf: arena[s..<e])
        return true
    }
}

@inline(__always)
func memoryEqual(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ n: Int) -> Bool {
    var i = 0
    while i < n {
        if a[i] != b[i] { return false }
        i += 1
    }
    return true
}
