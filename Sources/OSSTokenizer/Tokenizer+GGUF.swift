extension Tokenizer {
    /// GGUF `tokenizer.ggml.token_type` values (llama.cpp `llama_token_type`).
    public enum GGUFTokenType: Int32, Sendable {
        case undefined = 0
        case normal = 1
        case unknown = 2
        case control = 3
        case userDefined = 4
        case unused = 5
        case byte = 6
    }

    /// Builds a tokenizer from GGUF vocabulary arrays (`tokenizer.ggml.tokens`, `.token_type`, `.merges`, `.pre`).
    ///
    /// Token i has id i. `normal` tokens are byte-level BPE strings in the GPT-2 byte map (rank = id); `control`
    /// and `userDefined` tokens are specials by name; `unused` tokens (llama.cpp's `<|reserved_N|>` padding) are
    /// specials too, so every id decodes. Merges are checked like tokenizer.json's (see `loadHuggingFace`).
    /// This is the tiktoken engine for o200k vocabularies (ids = ranks, merges in rank order, as llama.cpp's
    /// converter writes gpt-oss's); `fromGGUF(_:)` takes it for `gpt-4o` vocabularies whose merges fit, and the
    /// general BPE engine otherwise.
    /// - Parameter preTokenizer: `tokenizer.ggml.pre`: `gpt-4o` (or its alias `llama4`) or nil.
    /// Throws `inconsistentVocabulary` naming the offending entry.
    public static func fromGGUF(
        tokens: [String], tokenTypes: [Int32]?, merges: [String]?, preTokenizer: String?,
        sampleableLimit: Int? = nil
    ) throws -> Tokenizer {
        if let pre = preTokenizer, pre != "gpt-4o", pre != "llama4" {
            throw TokenizerError.inconsistentVocabulary(
                "GGUF tokenizer.ggml.pre '\(pre)': the tiktoken engine runs 'gpt-4o' (o200k) only")
        }
        if let types = tokenTypes, types.count != tokens.count {
            throw TokenizerError.inconsistentVocabulary(
                "GGUF has \(tokens.count) tokens but \(types.count) token types")
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
                    throw TokenizerError.inconsistentVocabulary(
                        "GGUF token \(id) '\(text)' is not in the GPT-2 byte alphabet")
                }
                mergeable.append((bytes, id))
            case .control, .userDefined, .unused, .unknown:
                guard !text.isEmpty else {
                    throw TokenizerError.inconsistentVocabulary("GGUF special token \(id) is empty")
                }
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
                let left = String(merge[..<space])
                let right = String(merge[merge.index(after: space)...])
                let leftOK = GPT2ByteMap.appendBytes(of: left, to: &joined) && table.rank(of: joined) != nil
                let split = joined.count
                let rightOK =
                    GPT2ByteMap.appendBytes(of: right, to: &joined) && split < joined.count
                    && table.rank(of: Array(joined[split...])) != nil
                let merged = table.rank(of: joined).map { Int32($0) } ?? -1
                guard leftOK, rightOK, split > 0, merged >= 0 else {
                    throw TokenizerError.inconsistentVocabulary(
                        "GGUF merge \(k) '\(merge)' does not join two tokens into one")
                }
                guard merged >= previous else {
                    throw TokenizerError.inconsistentVocabulary(
                        "GGUF merge \(k) produces id \(merged), out of rank order")
                }
                previous = merged
            }
        }
        return try Tokenizer(table: table, specials: specials, sampleableLimit: sampleableLimit)
    }
}

extension Tokenizer {
    /// Builds the tokenizer a GGUF file describes (`tokenizer.ggml.*`, gguf.md §5): `gpt2` (byte-level BPE with the
    /// pre-tokenizer of `tokenizer.ggml.pre` and ranked merges; o200k vocabularies run on the tiktoken engine) or
    /// `llama` (SentencePiece), with llama.cpp's defaults for absent keys (SentencePiece: BOS 1, EOS 2, unknown 0,
    /// BOS added, space prefix; BPE: BOS = EOS = 11, BOS added for the llama3 family) and its end-of-generation set.
    /// Throws `unknownPreTokenizer`, `unsupportedTokenizerModel` or `inconsistentVocabulary` naming what is wrong.
    public static func fromGGUF(_ v: GGUFVocabulary) throws -> Tokenizer {
        let n = v.tokens.count
        guard n > 0, n <= Int(Int32.max) else {
            throw TokenizerError.inconsistentVocabulary("GGUF vocabulary of \(n) tokens")
        }
        if let t = v.tokenTypes, t.count != n {
            throw TokenizerError.inconsistentVocabulary("GGUF has \(n) tokens but \(t.count) token types")
        }
        if let s = v.scores, s.count != n {
            throw TokenizerError.inconsistentVocabulary("GGUF has \(n) tokens but \(s.count) scores")
        }
        var types: [GGUFTokenType] = []
        types.reserveCapacity(n)
        for id in 0..<n {
            let raw = v.tokenTypes?[id] ?? GGUFTokenType.normal.rawValue
            guard let type = GGUFTokenType(rawValue: raw) else {
                throw TokenizerError.inconsistentVocabulary("GGUF token \(id) has unknown token type \(raw)")
            }
            types.append(type)
        }
        // Specials llama.cpp splits out of text: control, user-defined and unknown tokens, longest text first.
        var specials: [SpecialToken] = []
        var partition: [SpecialEntry] = []
        for (id, text) in v.tokens.enumerated() where [.control, .userDefined, .unknown].contains(types[id]) {
            guard !text.isEmpty else {
                throw TokenizerError.inconsistentVocabulary("GGUF special token \(id) is empty")
            }
            specials.append(SpecialToken(name: text, id: Int32(id)))
            partition.append(SpecialEntry(bytes: Array(text.utf8), id: Int32(id), always: types[id] == .userDefined))
        }
        partition.sort { $0.bytes.count > $1.bytes.count || ($0.bytes.count == $1.bytes.count && $0.id < $1.id) }

        var t: Tokenizer
        var defaults: (bos: Int32?, eos: Int32?, addBOS: Bool)
        switch v.model {
        case "gpt2":
            let (splitter, ignoreMerges, addBOS) = try BPEPreTokenizer.named(v.pre)
            defaults = (11, 11, addBOS)
            if splitter == .gpt4o,
                let o200k = try? fromGGUF(
                    tokens: v.tokens, tokenTypes: v.tokenTypes, merges: v.merges,
                    preTokenizer: v.pre, sampleableLimit: trainedLimit(v))
            {
                t = o200k
            } else {
                guard let merges = v.merges else {
                    throw TokenizerError.inconsistentVocabulary("GGUF gpt2 vocabulary without tokenizer.ggml.merges")
                }
                var mergeable: [(bytes: [UInt8], rank: Int)] = []
                mergeable.reserveCapacity(n)
                for (id, text) in v.tokens.enumerated() where [.normal, .byte, .undefined].contains(types[id]) {
                    guard let bytes = GPT2ByteMap.bytes(of: text), !bytes.isEmpty else {
                        throw TokenizerError.inconsistentVocabulary(
                            "GGUF token \(id) '\(text)' is not in the GPT-2 byte alphabet")
                    }
                    mergeable.append((bytes, id))
                }
                let table = try TokenTable(tokens: mergeable)
                let engine = TokenizerEngine.bpe(
                    try BPEMerges(merges: merges, table: table, tokenCount: n), splitter,
                    ignoreMerges: ignoreMerges)
                t = try Tokenizer(
                    table: table, specials: specials, sampleableLimit: trainedLimit(v), engine: engine,
                    partition: partition)
            }
        case "llama":
            defaults = (1, 2, true)
            let unknown = v.unknownID ?? (n > 0 ? 0 : nil)
            let model = try SentencePieceModel(
                tokens: v.tokens, types: types,
                scores: v.scores ?? Array(repeating: 0, count: n),
                unknown: unknown.flatMap { Int($0) < n && $0 >= 0 ? $0 : nil })
            t = try Tokenizer(
                table: model.texts, specials: specials, sampleableLimit: trainedLimit(v),
                engine: .sentencePiece(model, addSpacePrefix: v.addSpacePrefix ?? true), partition: partition)
        default:
            throw TokenizerError.unsupportedTokenizerModel(v.model, known: ["gpt2", "llama"])
        }
        t.vocabularySize = n
        try t.applySpecialIDs(v, defaults: defaults)
        return t
    }

    /// One past the largest id of a token that may be sampled: not of type unused, not a `<|reserved_N|>` or
    /// `<|endofprompt|>` placeholder.
    static func trainedLimit(_ v: GGUFVocabulary) -> Int {
        var limit = 0
        for (id, text) in v.tokens.enumerated() {
            if v.tokenTypes?[id] == GGUFTokenType.unused.rawValue || isReservedName(text)
                || text == SpecialToken.endOfPrompt.name
            {
                continue
            }
            limit = id + 1
        }
        return limit
    }

    /// Sets BOS/EOS, their `add_*` flags and the end-of-generation set from the GGUF keys (ids outside the
    /// vocabulary are an error); absent keys take `defaults` when those ids exist.
    mutating func applySpecialIDs(_ v: GGUFVocabulary, defaults: (bos: Int32?, eos: Int32?, addBOS: Bool)) throws {
        let n = v.tokens.count
        func check(_ id: Int32?, _ key: String) throws -> Int32? {
            guard let id else { return nil }
            guard id >= 0, Int(id) < n else {
                throw TokenizerError.inconsistentVocabulary("tokenizer.ggml.\(key) \(id) is outside the \(n) tokens")
            }
            return id
        }
        func fallback(_ id: Int32?) -> Int32? { id.flatMap { $0 >= 0 && Int($0) < n ? $0 : nil } }
        bosID = try check(v.bosID, "bos_token_id") ?? fallback(defaults.bos)
        eosID = try check(v.eosID, "eos_token_id") ?? fallback(defaults.eos)
        let eot = try check(v.eotID, "eot_token_id")
        let eom = try check(v.eomID, "eom_token_id")
        _ = try check(v.unknownID, "unknown_token_id")
        _ = try check(v.paddingID, "padding_token_id")
        addBOS = v.addBOS ?? defaults.addBOS
        addEOS = v.addEOS ?? false
        if addBOS && bosID == nil {
            throw TokenizerError.inconsistentVocabulary("tokenizer.ggml.add_bos_token is set but there is no BOS token")
        }
        if addEOS && eosID == nil {
            throw TokenizerError.inconsistentVocabulary("tokenizer.ggml.add_eos_token is set but there is no EOS token")
        }
        var eog = endOfGeneration
        for id in [eosID, eot, eom].compactMap({ $0 }) { eog.insert(id) }
        endOfGeneration = eog
    }
}
