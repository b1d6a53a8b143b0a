extension Tokenizer {
    /// The bytes of `ids` concatenated (special ids give their names). Throws `unknownTokenID` for an id with no token.
    public func decodeBytes(_ ids: [Int32]) throws -> [UInt8] {
        var out: [UInt8] = []
        for id in ids where !appendBytes(of: id, to: &out) { throw TokenizerError.unknownTokenID(id) }
        return out
    }

    /// The text of `ids`; byte runs that are not valid UTF-8 become U+FFFD. Throws `unknownTokenID`.
    public func decode(_ ids: [Int32]) throws -> String {
        String(decoding: try decodeBytes(ids), as: UTF8.self)
    }

    /// The bytes of one id (nil when the id has no token).
    public func tokenBytes(_ id: Int32) -> [UInt8]? {
        var out: [UInt8] = []
        return appendBytes(of: id, to: &out) ? out : nil
    }

    /// Appends the bytes of `id` to `output`; false (nothing appended) when the id has no token.
    @inline(__always)
    func appendBytes(of id: Int32, to output: inout [UInt8]) -> Bool {
        if case .sentencePiece(let m, _) = engine {
            guard id >= 0, Int(id) < m.pieces.count, !m.pieces[Int(id)].isEmpty else { return false }
            output.append(contentsOf: m.pieces[Int(id)])
            return true
        }
        if table.appendBytes(ofRank: Int(id), to: &output) { return true }
        if let name = specialNames[id] {
            output.append(contentsOf: name)
            return true
        }
        return false
    }
}
