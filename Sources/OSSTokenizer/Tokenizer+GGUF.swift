extension Tokenizer {
    /// GGUF `tokenizer.ggml.token_type` values (llama.cpp `llama_token_type`).
    public enum GGUFTokenType: Int32, Sendable {
        case undefined = 0, normal = 1, unknown = 2, control = 3, userDefined = 4, unused = 5, byte = 6
    }

    /// Builds a tokenizer from GGUF vocabulary arrays (`tokenizer.ggml.tokens`, `.token_type`, `.merges`, `.pre`).
    ///
    /// Token i has id i. `normal` tokens are byte-level BPE strings in the GPT-2 byte map (rank = id); `control`
    /// and `userDefined` tokens are specials by name; `unused` tokens (llama.cpp's `<|reserved_N|>` padding) are
    /// specials too, so every id decodes. Merges are checked like tokenizer.json's (see `loadHuggingFace`).
    /// - Parameter preTokenizer: `tokenizer.ggml.pre`; only llama.cpp's `gpt-4o` (the o200k pattern) is implemented.
    /// Throws `inconsistentVocabulary` naming the offending entry.
    public static func fromGGUF(tokens: [String], tokenTypes: [Int32]?, merges: [String]?, preTokenizer: String?,
                                sampleableLimit: Int? = nil) throws -> Tokenizer {
        if let pre = preTokenizer, pre != "gpt-4o" {
            throw TokenizerError.inconsistentVocabulary("GGUF tokenizer.ggml.pre '\(pre)': only 'gpt-4o' (o200k) is implemented")
        }
        if let types = tokenTypes, types.count != tokens.count {
            throw TokenizerError.inconsistentVocabulary("GGUF has \(tokens.count) tokens but \(types.count) token types")
        }
        var mergeable: [(bytes: [UInt8], rank: Int)] = []
        var specials: [SpecialToken] = []
        mergeable.reserveCapacity(tokens.count)
        for (id, text) in tokens.enumerated() {
            let raw = tokenTypes?[id] ?? GGUFTokenType.normal.rawValue
            guard let type = GGUFTokenType(rawValue: raw) else {
                throw TokenizerError.inconsistentVocabulary("GGUF token \(id) has unknown token type \(raw)")
            }
            switch type {
            case .normal, .byte, .undefined:
                guard let bytes = GPT2ByteMap.bytes(of: text), !bytes.isEmpty else {
                    throw TokenizerError.inconsistentVocabulary("GGUF token \(id) '\(text)' is not in the GPT-2 byte alphabet")
                }
                mergeable.append((bytes, id))
            case .control, .userDefined, .unused, .unknown:
                guard !text.isEmpty else { throw TokenizerError.inconsistentVocabulary("GGUF special token \(id) is empty") }
                specials.append(SpecialToken(name: text, id: Int32(id)))
            }
        }
        let table = try TokenTable(tokens: mergeable)
        if let merges {
            var previous: Int32 = -1
            var joined: [UInt8] = []
            for (k, merge) in merges.enumerated() {
                guard let space = merge.firstIndex(of: " ") else {
                    throw TokenizerError.inconsistentVocabulary("GGUF merge \(k) '\(merge)' is not 'a b'")
                }
                joined.removeAll(keepingCapacity: true)
                let left = String(merge[..<space]), right = String(merge[merge.index(after: space)...])
                let leftOK = GPT2ByteMap.appendBytes(of: left, to: &joined) && table.rank(of: joined) != nil
                let split = joined.count
                let rightOK = GPT2ByteMap.appendBytes(of: right, to: &joined) && split < joined.count
                    && table.rank(of: Array(joined[split...])) != nil
                let merged = table.rank(of: joined).map { Int32($0) } ?? -1
                guard leftOK, rightOK, split > 0, merged >= 0 else {
                    throw TokenizerError.inconsistentVocabulary("GGUF merge \(k) '\(merge)' does not join two tokens into one")
                }
                guard merged >= previous else {
                    throw TokenizerError.inconsistentVocabulary("GGUF merge \(k) produces id \(merged), out of rank order")
                }
                previous = merged
            }
        }
        return try Tokenizer(table: table, specials: specials, sampleableLimit: sampleableLimit)
    }
}

extension Tokenizer {
    /// Builds the tokenizer a GGUF file describes (`tokenizer.ggml.*`), with its BOS/EOS ids, `add_bos_token` /
    /// `add_eos_token` and end-of-generation set (EOS, EOT, EOM and the end-of-turn tokens found by name).
    /// Throws `inconsistentVocabulary` naming what is wrong (an unknown `tokenizer.ggml.model` or `pre` included).
    public static func fromGGUF(_ v: GGUFVocabulary) throws -> Tokenizer {
        guard v.model == "gpt2" else {
            throw TokenizerError.inconsistentVocabulary("GGUF tokenizer.ggml.model '\(v.model)' is not supported (supported: gpt2)")
        }
        var t = try fromGGUF(tokens: v.tokens, tokenTypes: v.tokenTypes, merges: v.merges, preTokenizer: v.pre,
                             sampleableLimit: trainedLimit(v))
        try t.applySpecialIDs(v)
        return t
    }

    /// One past the largest id of a token that may be sampled: not of type unused, not a `<|reserved_N|>` or
    /// `<|endofprompt|>` placeholder.
    static func trainedLimit(_ v: GGUFVocabulary) -> Int {
        var limit = 0
        for (id, text) in v.tokens.enumerated() {
            if v.tokenTypes?[id] == GGUFTokenType.unused.rawValue || isReservedName(text)
                || text == SpecialToken.endOfPrompt.name { continue }
            limit = id + 1
        }
        return limit
    }

    /// Sets BOS/EOS, their `add_*` flags and the end-of-generation set from the GGUF keys (ids outside the
    /// vocabulary are an error, as are ids of no token).
    mutating func applySpecialIDs(_ v: GGUFVocabulary) throws {
        func check(_ id: Int32?, _ key: String) throws -> Int32? {
            guard let id else { return nil }
            guard id >= 0, Int(id) < v.tokens.count else {
                throw TokenizerError.inconsistentVocabulary("tokenizer.ggml.\(key) \(id) is outside the \(v.tokens.count) tokens")
            }
            return id
        }
        bosID = try check(v.bosID, "bos_token_id")
        eosID = try check(v.eosID, "eos_token_id")
        let eot = try check(v.eotID, "eot_token_id"), eom = try check(v.eomID, "eom_token_id")
        addBOS = v.addBOS ?? false
        addEOS = v.addEOS ?? false
        var eog = endOfGeneration
        for id in [eosID, eot, eom].compactMap({ $0 }) { eog.insert(id) }
        endOfGeneration = eog
    }
}
