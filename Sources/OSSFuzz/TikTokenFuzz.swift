import OSSTokenizer

/// A `.tiktoken` vocabulary (`base64 rank` lines), as `Tokenizer.loadTikToken` reads it.
///
/// Properties: a `TokenizerError` naming the file, or a table that writes back to `.tiktoken` text parsing to the
/// same table; when every byte has a token, a tokenizer whose encoding of the input's text decodes back exactly.
struct TikTokenFuzz: FuzzHarness {
    static let name = "tiktoken"
    static let summary =
        ".tiktoken vocabulary: TokenizerError naming the file, or a table that round-trips through "
        + "its text; with all 256 bytes, decode(encode(s)) == s"
    static let maxLength = 8 << 10
    // Token arena, starts, the rank hash table and the rebuilt tokens of an out-of-order file; up to
    // TokenTable.maxMissingRanks (65,536) ranks without a token cost 512 KB of rank tables whatever the input size.
    static let allocationBound = (perInputByte: 128, fixed: 2 << 20)

    let file = "fuzz/vocab.tiktoken"

    init() {}

    func run(_ input: [UInt8]) throws(FuzzFailure) -> FuzzOutcome {
        let check = FuzzCheck(target: Self.name)
        let table: TokenTable
        do {
            table = try input.withUnsafeBufferPointer { try Tokenizer.parseTikToken($0, file: file) }
        } catch {
            return try check.typedError(error, allowed: [TokenizerError.self], naming: file)
        }
        let text = Array(Tokenizer.tikTokenText(table).utf8)
        let again: TokenTable
        do { again = try text.withUnsafeBufferPointer { try Tokenizer.parseTikToken($0, file: file) } } catch {
            throw FuzzFailure(target: Self.name, property: "its own .tiktoken text does not parse: \(error)")
        }
        try check.require(
            again.rankLimit == table.rankLimit && again.count == table.count, "round trip changed the table size")
        for r in 0..<table.rankLimit {
            try check.require(again.bytes(ofRank: r) == table.bytes(ofRank: r), "round trip changed rank \(r)")
        }
        guard (0...255).allSatisfy({ table.rank(of: [UInt8($0)]) != nil }) else { return .accepted }
        let tokenizer: Tokenizer
        do {
            tokenizer = try Tokenizer(
                table: table, specials: [SpecialToken(name: "<|fuzz|>", id: Int32(table.rankLimit))])
        } catch {
            throw FuzzFailure(
                target: Self.name, property: "a table with every byte does not make a tokenizer: \(error)")
        }
        let sample = String(decoding: input.suffix(256), as: UTF8.self) + "<|fuzz|>"
        for allow in [false, true] {
            try TokenizerRoundTrip.check(tokenizer, sample, allowSpecial: allow, spelling: .exact, check)
        }
        return .accepted
    }
}
