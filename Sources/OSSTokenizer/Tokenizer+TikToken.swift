import Foundation

extension Tokenizer {
    /// Loads a `.tiktoken` vocabulary (`base64(token bytes) rank` per line) plus `specials`.
    /// Throws `unreadableFile`, `malformedTikTokenLine` or `inconsistentVocabulary`.
    public static func loadTikToken(
        path: String, specials: [SpecialToken] = SpecialToken.o200kHarmony,
        sampleableLimit: Int? = nil
    ) throws -> Tokenizer {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path), options: .mappedIfSafe) } catch {
            throw TokenizerError.unreadableFile(path: path, reason: "\(error.localizedDescription)")
        }
        let table = try data.withUnsafeBytes { raw in
            try parseTikToken(
                UnsafeBufferPointer(start: raw.bindMemory(to: UInt8.self).baseAddress, count: raw.count),
                file: path)
        }
        return try Tokenizer(table: table, specials: specials, sampleableLimit: sampleableLimit)
    }

    /// Parses `.tiktoken` contents. `file` names the source in errors (a duplicate token or rank too). Blank lines are
    /// ignored; `\r\n` is accepted.
    public static func parseTikToken(_ bytes: UnsafeBufferPointer<UInt8>, file: String) throws -> TokenTable {
        var arena: [UInt8] = []
        arena.reserveCapacity(bytes.count / 2)
        var starts: [Int32] = [0]
        var ranks: [Int] = []
        var inOrder = true
        var line = 0
        var i = 0
        let n = bytes.count
        while i < n {
            line += 1
            var end = i
            while end < n && bytes[end] != 0x0A { end += 1 }
            var lineEnd = end
            if lineEnd > i && bytes[lineEnd - 1] == 0x0D { lineEnd -= 1 }
            defer { i = end + 1 }
            if lineEnd == i { continue }
            var space = i
            while space < lineEnd && bytes[space] != 0x20 { space += 1 }
            guard space < lineEnd else {
                throw TokenizerError.malformedTikTokenLine(file: file, line: line, reason: "expected 'base64 rank'")
            }
            guard Base64Decoder.decode(UnsafeBufferPointer(rebasing: bytes[i..<space]), appendingTo: &arena) else {
                throw TokenizerError.malformedTikTokenLine(file: file, line: line, reason: "invalid base64 token")
            }
            guard arena.count > Int(starts[starts.count - 1]) else {
                throw TokenizerError.malformedTikTokenLine(file: file, line: line, reason: "empty token")
            }
            var rank = 0
            var digits = 0
            for k in (space + 1)..<lineEnd {
                let d = bytes[k] &- 0x30
                guard d < 10, digits < 10 else {
                    throw TokenizerError.malformedTikTokenLine(
                        file: file, line: line, reason: "rank is not a decimal number")
                }
                rank = rank * 10 + Int(d)
                digits += 1
            }
            guard digits > 0, rank < Int(Int32.max) else {
                throw TokenizerError.malformedTikTokenLine(
                    file: file, line: line, reason: "missing or out-of-range rank")
            }
            if rank != ranks.count { inOrder = false }
            ranks.append(rank)
            starts.append(Int32(arena.count))
        }
        do {
            if inOrder { return try TokenTable(arena: arena, starts: starts, count: ranks.count) }
            // Ranks out of file order (or with gaps): rebuild in rank order.
            var tokens: [(bytes: [UInt8], rank: Int)] = []
            tokens.reserveCapacity(ranks.count)
            for (k, r) in ranks.enumerated() { tokens.append((Array(arena[Int(starts[k])..<Int(starts[k + 1])]), r)) }
            return try TokenTable(tokens: tokens)
        } catch let TokenizerError.inconsistentVocabulary(detail) {
            throw TokenizerError.inconsistentVocabulary("\(file): \(detail)")
        }
    }

    /// The `.tiktoken` text of a token table (ranks in order), as tiktoken writes it.
    public static func tikTokenText(_ table: TokenTable) -> String {
        var lines: [String] = []
        lines.reserveCapacity(table.count)
        for r in 0..<table.rankLimit {
            if let b = table.bytes(ofRank: r) { lines.append("\(Base64Decoder.encode(b)) \(r)") }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
