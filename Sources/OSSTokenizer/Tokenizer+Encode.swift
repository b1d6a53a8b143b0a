import Foundation

extension Tokenizer {
    /// Token ids of `text`. With `allowSpecial`, special token names in the text become their ids; without, they
    /// are encoded as ordinary text.
    public func encode(_ text: String, allowSpecial: Bool = false) -> [Int32] {
        var text = text
        // Native Swift strings are contiguous, validated UTF-8.
        return text.withUTF8 { encodeValidated($0, allowSpecial: allowSpecial) }
    }

    /// Token ids of `text` as a model prompt: with `addSpecial`, BOS first when `addBOS` and EOS last when `addEOS`
    /// (llama.cpp's `add_special`); `allowSpecial` as in `encode(_:allowSpecial:)` (llama.cpp's `parse_special`).
    public func encode(_ text: String, allowSpecial: Bool, addSpecial: Bool) -> [Int32] {
        let ids = encode(text, allowSpecial: allowSpecial)
        return addSpecial ? addingSpecials(ids) : ids
    }

    /// Token ids of UTF-8 `bytes`. Throws `TokenizerError.invalidUTF8` (with the byte offset) on malformed input.
    public func encode(utf8 bytes: [UInt8], allowSpecial: Bool = false) throws -> [Int32] {
        try bytes.withUnsafeBufferPointer { try encodeChecked($0, allowSpecial: allowSpecial) }
    }

    /// Token ids of UTF-8 `bytes`, with BOS / EOS added when `addSpecial` as in `encode(_:allowSpecial:addSpecial:)`.
    /// Throws `TokenizerError.invalidUTF8` on malformed input.
    public func encode(utf8 bytes: [UInt8], allowSpecial: Bool, addSpecial: Bool) throws -> [Int32] {
        let ids = try encode(utf8: bytes, allowSpecial: allowSpecial)
        return addSpecial ? addingSpecials(ids) : ids
    }

    /// `ids` with BOS first when `addBOS` and EOS last when `addEOS`.
    private func addingSpecials(_ ids: [Int32]) -> [Int32] {
        var ids = ids
        if addBOS, let bos = bosID { ids.insert(bos, at: 0) }
        if addEOS, let eos = eosID { ids.append(eos) }
        return ids
    }

    /// Token ids of UTF-8 `data`. Throws `TokenizerError.invalidUTF8` on malformed input.
    public func encode(utf8 data: Data, allowSpecial: Bool = false) throws -> [Int32] {
        try encode(utf8: [UInt8](data), allowSpecial: allowSpecial)
    }

    /// Token ids of one special token name; throws `unknownSpecialToken`.
    public func encodeSpecial(_ name: String) throws -> Int32 { try specialID(name) }

    private func encodeChecked(_ bytes: UnsafeBufferPointer<UInt8>, allowSpecial: Bool) throws -> [Int32] {
        var scalars: [UInt32] = []
        var classes: [ScalarClass] = []
        var offsets: [Int32] = []
        if let bad = UTF8Scanner.scan(bytes, scalars: &scalars, classes: &classes, offsets: &offsets) {
            throw TokenizerError.invalidUTF8(offset: bad)
        }
        return encodeValidated(bytes, allowSpecial: allowSpecial)
    }

    /// Encodes valid UTF-8: the ordinary text between allowed special tokens goes through the pre-tokenizer and BPE.
    func encodeValidated(_ bytes: UnsafeBufferPointer<UInt8>, allowSpecial: Bool) -> [Int32] {
        if case .tiktoken = engine {} else { return encodeGGUF(bytes, parseSpecial: allowSpecial) }
        var output: [Int32] = []
        output.reserveCapacity(bytes.count / 3 + 4)
        var scratch = EncoderScratch()
        guard allowSpecial else {
            encodeOrdinary(UnsafeBufferPointer(rebasing: bytes[...]), scratch: &scratch, into: &output)
            return output
        }
        var segmentStart = 0
        var i = 0
        let n = bytes.count
        while i < n {
            let candidates = specialsByFirstByte[Int(bytes[i])]
            if !candidates.isEmpty,
                let match = candidates.first(where: { c in
                    c.bytes.count <= n - i
                        && c.bytes.withUnsafeBufferPointer {
                            memoryEqual($0.baseAddress!, bytes.baseAddress! + i, c.bytes.count)
                        }
                })
            {
                encodeOrdinary(UnsafeBufferPointer(rebasing: bytes[segmentStart..<i]), scratch: &scratch, into: &output)
                output.append(match.id)
                i += match.bytes.count
                segmentStart = i
            } else {
                i += 1
            }
        }
        encodeOrdinary(UnsafeBufferPointer(rebasing: bytes[segmentStart..<n]), scratch: &scratch, into: &output)
        return output
    }

    /// Pre-tokenizes and BPE-encodes valid UTF-8 with no special tokens.
    private func encodeOrdinary(
        _ bytes: UnsafeBufferPointer<UInt8>, scratch: inout EncoderScratch, into output: inout [Int32]
    ) {
        guard bytes.count > 0 else { return }
        // The bytes are valid UTF-8 (checked by the caller or guaranteed by String), so the scan cannot fail.
        _ = UTF8Scanner.scan(bytes, scalars: &scratch.scalars, classes: &scratch.classes, offsets: &scratch.offsets)
        let base = bytes.baseAddress!
        scratch.classes.withUnsafeBufferPointer { classes in
            scratch.scalars.withUnsafeBufferPointer { scalars in
                scratch.offsets.withUnsafeBufferPointer { offsets in
                    let splitter = PreTokenizer(classes: classes, scalars: scalars)
                    var i = 0
                    let n = classes.count
                    while i < n {
                        let length = splitter.matchLength(at: i)
                        let s = Int(offsets[i])
                        let e = Int(offsets[i + length])
                        let whole = e - s == 0 ? -1 : table.rank(base + s, e - s)
                        if whole >= 0 {
                            output.append(whole)
                        } else {
                            scratch.merger.merge(base + s, count: e - s, table: table, into: &output)
                        }
                        i += length
                    }
                }
            }
        }
    }

    /// The pre-tokenizer's pieces of `text` (no special-token handling): the split tiktoken's regex produces.
    public func pieces(_ text: String) -> [String] {
        var scalars: [UInt32] = []
        var classes: [ScalarClass] = []
        var offsets: [Int32] = []
        var text = text
        return text.withUTF8 { bytes -> [String] in
            _ = UTF8Scanner.scan(bytes, scalars: &scalars, classes: &classes, offsets: &offsets)
            var result: [String] = []
            classes.withUnsafeBufferPointer { c in
                scalars.withUnsafeBufferPointer { s in
                    let splitter = PreTokenizer(classes: c, scalars: s)
                    var i = 0
                    while i < c.count {
                        let length = splitter.matchLength(at: i)
                        let piece = UnsafeBufferPointer(rebasing: bytes[Int(offsets[i])..<Int(offsets[i + length])])
                        result.append(String(decoding: piece, as: UTF8.self))
                        i += length
                    }
                }
            }
            return result
        }
    }
}

/// Per-call scratch of `encode`: per-scalar arrays and the merger's part arrays, reused across segments and pieces.
struct EncoderScratch {
    var scalars: [UInt32] = []
    var classes: [ScalarClass] = []
    var offsets: [Int32] = []
    var merger = BytePairMerger()
    var flags: [LlamaFlags] = []
    var ends: [Int] = []
    var endsScratch: [Int] = []
    var merge = BPEMergeScratch()
    var escaped: [UInt8] = []
}
