/// A SentencePiece (`tokenizer.ggml.model` = `llama`) vocabulary and llama.cpp's encoding of it
/// (`llm_tokenizer_spm_session`, gguf.md §5): a fragment (spaces already spelled `▁`) starts as UTF-8 characters;
/// the adjacent pair whose concatenation is a token with the highest score merges (leftmost among equals), until no
/// pair is a token. A final part that is no token is emitted as byte tokens `<0xNN>` (or the raw one-byte token).
final class SentencePieceModel: Sendable {
    /// Token texts as stored (UTF-8; spaces as ▁) → id.
    let texts: TokenTable
    let scores: [Float]
    /// Token of each byte: `<0xNN>`, else the one-byte text; -1 when neither exists.
    let byteToken: [Int32]
    /// `tokenizer.ggml.unknown_token_id`, emitted for a byte that has no token (llama.cpp would fail).
    let unknown: Int32?
    /// Decoded bytes of every id: ▁ → space for normal tokens, the byte of byte tokens, the text of specials,
    /// nothing for unused ones.
    let pieces: [[UInt8]]

    /// Unused tokens (no piece: they decode to nothing) take no part in encoding, not even as the unknown token, so
    /// every id `encode` gives has a token.
    init(tokens: [String], types: [Tokenizer.GGUFTokenType], scores: [Float], unknown: Int32?) throws {
        var entries: [(bytes: [UInt8], rank: Int)] = []
        entries.reserveCapacity(tokens.count)
        for (id, t) in tokens.enumerated() where !t.isEmpty && types[id] != .unused {
            entries.append((Array(t.utf8), id))
        }
        texts = try TokenTable(tokens: entries)
        self.scores = scores
        let unknown = unknown.flatMap { types[Int($0)] == .unused ? nil : $0 }
        self.unknown = unknown
        var byteToken = [Int32](repeating: -1, count: 256)
        for b in 0..<256 {
            let hex = "<0x" + String(b, radix: 16, uppercase: true).leftPadded(to: 2) + ">"
            if let id = texts.rank(of: Array(hex.utf8)) {
                byteToken[b] = Int32(id)
            } else if let id = texts.rank(of: [UInt8(b)]) {
                byteToken[b] = Int32(id)
            } else if let unknown {
                byteToken[b] = unknown
            } else {
                throw TokenizerError.inconsistentVocabulary(
                    "SentencePiece vocabulary has neither \(hex) nor a one-byte token for byte 0x\(String(b, radix: 16)), and no unknown token"
                )
            }
        }
        self.byteToken = byteToken
        pieces = zip(tokens, types).map { text, type in
            switch type {
            case .normal, .undefined:
                return Array(text.replacingOccurrences(of: "\u{2581}", with: " ").utf8)
            case .byte:
                let u = Array(text.utf8)
                if u.count == 6, u[0] == 0x3C, u[1] == 0x30, u[2] == 0x78, u[5] == 0x3E,
                    let v = UInt8(String(decoding: u[3..<5], as: UTF8.self), radix: 16)
                {
                    return [v]
                }
                return Array(text.utf8)
            case .control, .userDefined, .unknown:
                return Array(text.utf8)
            case .unused:
                return []
            }
        }
    }

    /// Appends the tokens of one fragment whose spaces are already ▁ (valid UTF-8) to `output`.
    func encode(_ text: UnsafeBufferPointer<UInt8>, scratch: inout BPEMergeScratch, into output: inout [Int32]) {
        let n = text.count
        guard n > 0, let base = text.baseAddress else { return }
        // Parts: one per UTF-8 character; `length` in bytes, `symbol` = start offset.
        var starts: [Int] = []
        var i = 0
        while i < n {
            starts.append(i)
            let b = text[i]
            i += b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4
        }
        let parts = starts.count
        scratch.reset(parts)
        for p in 0..<parts {
            scratch.symbol[p] = Int32(starts[p])
            scratch.length[p] = Int32((p + 1 < parts ? starts[p + 1] : n) - starts[p])
        }
        // Scores are queued negated: the highest score (leftmost among equals) merges first.
        func push(_ left: Int, _ right: Int) {
            let start = Int(scratch.symbol[left])
            let size = Int(scratch.length[left] + scratch.length[right])
            let id = texts.rank(base + start, size)
            guard id >= 0 else { return }
            scratch.push(priority: -Double(scores[Int(id)]), left: left, size: Int32(size), result: id)
        }
        for p in 0..<(parts - 1) { push(p, p + 1) }
        while let top = scratch.pop() {
            guard let (before, after) = scratch.merge(top) else { continue }
            if before >= 0 { push(before, Int(top.left)) }
            if after >= 0 { push(Int(top.left), after) }
        }
        var p = 0
        while p >= 0 {
            let start = Int(scratch.symbol[p])
            let size = Int(scratch.length[p])
            let id = texts.rank(base + start, size)
            if id >= 0 {
                output.append(id)
            } else {
                for k in 0..<size { output.append(byteToken[Int(text[start + k])]) }
            }
            p = Int(scratch.next[p])
        }
    }
}
