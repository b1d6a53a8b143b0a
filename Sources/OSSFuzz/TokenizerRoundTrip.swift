import OSSTokenizer

/// The encode/decode properties every byte-level tokenizer keeps: ids inside the vocabulary, at most one id per
/// byte (plus specials), `decode(encode(s)) == s` for valid UTF-8, and streaming decode equal to decode.
enum TokenizerRoundTrip {
    /// How decoding a SentencePiece encoding differs from the text: `▁` becomes a space, and a space leads.
    enum Spelling {
        case exact
        case sentencePiece(spacePrefix: Bool)
    }

    static func check(_ t: Tokenizer, _ text: String, allowSpecial: Bool, spelling: Spelling, _ check: FuzzCheck)
        throws(FuzzFailure)
    {
        let ids = t.encode(text, allowSpecial: allowSpecial)
        try check.require(ids.count <= text.utf8.count + 1, "\(ids.count) ids for \(text.utf8.count) bytes")
        for id in ids {
            try check.require(
                id >= 0 && Int(id) < t.vocabularySize && t.hasToken(id),
                "encode produced id \(id) outside the vocabulary of \(t.vocabularySize)")
        }
        let decoded: [UInt8]
        do { decoded = try t.decodeBytes(ids) } catch {
            throw FuzzFailure(target: check.target, property: "decode of its own encoding failed: \(error)")
        }
        let expected: [UInt8]
        switch spelling {
        case .exact: expected = Array(text.utf8)
        case .sentencePiece(let spacePrefix):
            let spaced = text.replacingOccurrences(of: "\u{2581}", with: " ")
            expected = Array(((spacePrefix && !text.isEmpty ? " " : "") + spaced).utf8)
        }
        try check.require(
            decoded == expected,
            "decode(encode(\(debug(text)))) = \(debug(String(decoding: decoded, as: UTF8.self)))"
                + " (allowSpecial \(allowSpecial), ids \(ids.prefix(32)))")
        var stream = StreamingDecoder(tokenizer: t)
        var streamed = ""
        for id in ids { streamed += stream.append(id) }
        streamed += stream.finish()
        try check.require(streamed == String(decoding: decoded, as: UTF8.self), "streaming decode differs from decode")
    }

    /// A short, escaped rendering of a text for messages.
    static func debug(_ s: String) -> String {
        let escaped = s.unicodeScalars.prefix(80).map {
            $0.isASCII && $0.value >= 0x20 && $0.value < 0x7F
                ? String($0)
                : "\\u{\(String($0.value, radix: 16))}"
        }.joined()
        return "\"\(escaped)\"" + (s.unicodeScalars.count > 80 ? "…" : "")
    }
}
