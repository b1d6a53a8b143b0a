/// Incremental detokenizer: accepts ids one at a time and yields text only once complete UTF-8 is available.
///
/// A token may end in the middle of a multi-byte character; those bytes wait for the next token(s).
/// Ids with no token (never produced by a correctly masked sampler) contribute nothing and are counted.
public struct StreamingDecoder: Sendable {
    public let tokenizer: Tokenizer
    /// Bytes of a UTF-8 sequence still waiting for its continuation bytes.
    private var pending: [UInt8] = []
    /// Reused byte buffer for the current token.
    private var buffer: [UInt8] = []
    /// Ids that decoded to nothing because the tokenizer has no token for them.
    public private(set) var unknownIDs = 0

    public init(tokenizer: Tokenizer) {
        self.tokenizer = tokenizer
        pending.reserveCapacity(8)
        buffer.reserveCapacity(64)
    }

    /// Adds one id and returns the text that became complete ("" when the token ends inside a character).
    public mutating func append(_ id: Int32) -> String {
        buffer.removeAll(keepingCapacity: true)
        buffer.append(contentsOf: pending)
        pending.removeAll(keepingCapacity: true)
        if !tokenizer.appendBytes(of: id, to: &buffer) { unknownIDs += 1 }
        let complete = StreamingDecoder.completePrefixLength(buffer)
        pending.append(contentsOf: buffer[complete...])
        return String(decoding: buffer[..<complete], as: UTF8.self)
    }

    /// Text of any bytes still pending (an incomplete sequence at the end becomes U+FFFD), and resets.
    public mutating func finish() -> String {
        defer { pending.removeAll(keepingCapacity: true) }
        return pending.isEmpty ? "" : String(decoding: pending, as: UTF8.self)
    }

    /// Length of the longest prefix of `bytes` that does not end inside a multi-byte UTF-8 sequence that could
    /// still be completed. Invalid bytes are not held back (they decode to U+FFFD).
    static func completePrefixLength(_ bytes: [UInt8]) -> Int {
        let n = bytes.count
        // A sequence is at most 4 bytes: look back at most 3 bytes for a lead byte.
        var k = n - 1
        var continuation = 0
        while k >= 0 && k >= n - 4 {
            let b = bytes[k]
            if b & 0xC0 == 0x80 {
                continuation += 1
                k -= 1
                continue
            }
            let needed: Int
            if b & 0xE0 == 0xC0 {
                needed = 1
            } else if b & 0xF0 == 0xE0 {
                needed = 2
            } else if b & 0xF8 == 0xF0 {
                needed = 3
            } else {
                return n
            }
            return continuation < needed ? k : n
        }
        return n
    }
}
