/// Ranked merges of a byte-level BPE vocabulary (`tokenizer.ggml.merges`) and llama.cpp's merge loop
/// (`llm_tokenizer_bpe_session`): a piece starts as single bytes; the adjacent pair with the lowest merge rank
/// (leftmost among equals) merges, until no adjacent pair has a rank. Final parts that are tokens are emitted;
/// any other part (a merge result that is no token) is emitted byte by byte.
///
/// Every string a merge mentions gets a symbol number: token ids for tokens, numbers from `tokenCount` on for the
/// rest, so a pair is one 64-bit key and merging never builds strings.
final class BPEMerges: Sendable {
    /// Symbols below this are token ids.
    let tokenCount: Int
    /// (left symbol << 32 | right symbol) → (rank << 32 | result symbol).
    private let pairs: [UInt64: UInt64]
    /// Symbol of each single byte (every byte has a token: checked at load).
    private let byteSymbol: [Int32]
    /// Bytes of the symbols that are not tokens (index = symbol − tokenCount).
    private let extraBytes: [[UInt8]]
    /// Token of each single byte (for emitting non-token parts).
    private let byteToken: [Int32]

    /// - Parameters:
    ///   - merges: `"left right"` GPT-2 byte strings in rank order (split at the first space after index 0).
    ///   - table: the vocabulary's tokens (bytes → id).
    ///   - tokenCount: ids of the vocabulary (`tokens.count`).
    /// Throws `inconsistentVocabulary` for a merge that is not two GPT-2 strings, or a byte without a token.
    init(merges: [String], table: TokenTable, tokenCount: Int) throws {
        self.tokenCount = tokenCount
        var byteToken = [Int32](repeating: -1, count: 256)
        for b in 0..<256 {
            guard let id = table.rank(of: [UInt8(b)]) else {
                throw TokenizerError.inconsistentVocabulary("byte 0x\(String(b, radix: 16)) has no token")
            }
            byteToken[b] = Int32(id)
        }
        var extras: [[UInt8]: Int32] = [:]
        var extraBytes: [[UInt8]] = []
        func symbol(_ bytes: [UInt8]) -> Int32 {
            if let id = table.rank(of: bytes) { return Int32(id) }
            if let s = extras[bytes] { return s }
            let s = Int32(tokenCount + extraBytes.count)
            extras[bytes] = s
            extraBytes.append(bytes)
            return s
        }
        var pairs: [UInt64: UInt64] = [:]
        pairs.reserveCapacity(merges.count)
        for (rank, merge) in merges.enumerated() {
            let utf8 = Array(merge.utf8)
            // llama.cpp splits at the first space at index ≥ 1.
            guard utf8.count >= 3, let space = utf8[1...].firstIndex(of: 0x20),
                let left = GPT2ByteMap.bytes(of: String(decoding: utf8[..<space], as: UTF8.self)),
                let right = GPT2ByteMap.bytes(of: String(decoding: utf8[(space + 1)...], as: UTF8.self)),
                !left.isEmpty, !right.isEmpty
            else {
                throw TokenizerError.inconsistentVocabulary(
                    "GGUF merge \(rank) '\(merge)' is not 'left right' in the GPT-2 byte alphabet")
            }
            let key = UInt64(UInt32(symbol(left))) << 32 | UInt64(UInt32(symbol(right)))
            // The first (lowest) rank of a pair wins, as std::unordered_map::emplace keeps the first.
            if pairs[key] == nil { pairs[key] = UInt64(rank) << 32 | UInt64(UInt32(symbol(left + right))) }
        }
        self.pairs = pairs
        self.byteSymbol = byteToken
        self.byteToken = byteToken
        self.extraBytes = extraBytes
    }

    /// Appends the tokens of `piece` (one pre-tokenized piece of raw bytes) to `output`.
    func encode(_ piece: UnsafeBufferPointer<UInt8>, scratch: inout BPEMergeScratch, into output: inout [Int32]) {
        let n = piece.count
        guard n > 0 else { return }
        scratch.reset(n)
        for i in 0..<n { scratch.symbol[i] = byteSymbol[Int(piece[i])] }
        for i in 0..<(n - 1) { push(i, i + 1, &scratch) }
        while let top = scratch.pop() {
            guard let (before, after) = scratch.merge(top) else { continue }
            scratch.symbol[Int(top.left)] = top.result
            if before >= 0 { push(before, Int(top.left), &scratch) }
            if after >= 0 { push(Int(top.left), after, &scratch) }
        }
        var i = 0
        while i >= 0 {
            let s = Int(scratch.symbol[i])
            if s < tokenCount {
                output.append(Int32(s))
            } else {
                // Not a token: its bytes one by one (each byte has a token).
                for b in extraBytes[s - tokenCount] { output.append(byteToken[Int(b)]) }
            }
            i = Int(scratch.next[i])
        }
    }

    private func push(_ left: Int, _ right: Int, _ scratch: inout BPEMergeScratch) {
        let key =
            UInt64(UInt32(bitPattern: scratch.symbol[left])) << 32 | UInt64(UInt32(bitPattern: scratch.symbol[right]))
        guard let value = pairs[key] else { return }
        scratch.push(
            priority: Double(value >> 32), left: left, size: scratch.length[left] + scratch.length[right],
            result: Int32(truncatingIfNeeded: value & 0xFFFF_FFFF))
    }
}

/// Reused buffers of the merge loops (`BPEMerges`, `SentencePieceModel`): parts of a piece as a linked list and a
/// min-heap of candidate pairs.
struct BPEMergeScratch {
    /// A pair of adjacent parts that may merge: lower `priority` first (a merge rank, or a negated score),
    /// leftmost among equals; `size` is the pair's byte length when queued, `result` the merged symbol.
    struct Candidate: HeapElement {
        var priority: Double
        var left: Int32
        var size: Int32
        var result: Int32
        func before(_ o: Candidate) -> Bool { priority < o.priority || (priority == o.priority && left < o.left) }
    }

    /// Per part: its symbol (BPE) or byte offset (SentencePiece), byte length (0 once merged away), neighbours.
    var symbol: [Int32] = []
    var length: [Int32] = []
    var next: [Int32] = []
    var previous: [Int32] = []
    private var heap = MinHeap<Candidate>()

    /// `n` parts of one byte (or character) each, linked in order, and no candidates.
    mutating func reset(_ n: Int) {
        for a in [\BPEMergeScratch.symbol, \.length, \.next, \.previous] {
            self[keyPath: a].removeAll(keepingCapacity: true)
            self[keyPath: a].append(contentsOf: repeatElement(0, count: n))
        }
        for i in 0..<n {
            length[i] = 1
            next[i] = i + 1 < n ? Int32(i + 1) : -1
            previous[i] = Int32(i - 1)
        }
        heap.removeAll()
    }

    mutating func push(priority: Double, left: Int, size: Int32, result: Int32) {
        heap.push(Candidate(priority: priority, left: Int32(left), size: size, result: result))
    }

    mutating func pop() -> Candidate? { heap.pop() }

    /// Merges the right neighbour of `c.left` into it when `c` is still current (both parts alive and their bytes
    /// still the queued pair's, i.e. their lengths sum to `c.size`), returning the new neighbours (-1 = none);
    /// nil for a stale candidate.
    mutating func merge(_ c: Candidate) -> (before: Int, after: Int)? {
        let left = Int(c.left)
        let right = Int(next[left])
        guard length[left] > 0, right >= 0, length[right] > 0, length[left] + length[right] == c.size else {
            return nil
        }
        length[left] += length[right]
        length[right] = 0
        let after = next[right]
        next[left] = after
        if after >= 0 { previous[Int(after)] = Int32(left) }
        return (Int(previous[left]), Int(after))
    }
}
