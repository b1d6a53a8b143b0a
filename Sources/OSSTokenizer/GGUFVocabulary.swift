/// The `tokenizer.*` metadata of a GGUF file as plain values (gguf.md §5): OSSFormats reads and writes the keys,
/// this module builds tokenizers from them (`Tokenizer.fromGGUF(_:)`) and writes its own (`o200kHarmony(size:)`).
public struct GGUFVocabulary: Sendable, Equatable {
    /// `tokenizer.ggml.model`: `gpt2` (byte-level BPE) or `llama` (SentencePiece).
    public var model: String
    /// `tokenizer.ggml.pre`: the BPE pre-tokenizer (nil = `default`).
    public var pre: String?
    /// `tokenizer.ggml.tokens`: token i has id i.
    public var tokens: [String]
    /// `tokenizer.ggml.scores` (SentencePiece merge priorities).
    public var scores: [Float]?
    /// `tokenizer.ggml.token_type` (`Tokenizer.GGUFTokenType` values).
    public var tokenTypes: [Int32]?
    /// `tokenizer.ggml.merges`: `"left right"` in rank order.
    public var merges: [String]?
    public var bosID: Int32?
    public var eosID: Int32?
    public var eotID: Int32?
    public var eomID: Int32?
    public var unknownID: Int32?
    public var paddingID: Int32?
    public var addBOS: Bool?
    public var addEOS: Bool?
    public var addSpacePrefix: Bool?
    /// `tokenizer.chat_template`.
    public var chatTemplate: String?

    public init(
        model: String, pre: String? = nil, tokens: [String], scores: [Float]? = nil, tokenTypes: [Int32]? = nil,
        merges: [String]? = nil, bosID: Int32? = nil, eosID: Int32? = nil, eotID: Int32? = nil,
        eomID: Int32? = nil, unknownID: Int32? = nil, paddingID: Int32? = nil, addBOS: Bool? = nil,
        addEOS: Bool? = nil, addSpacePrefix: Bool? = nil, chatTemplate: String? = nil
    ) {
        self.model = model
        self.pre = pre
        self.tokens = tokens
        self.scores = scores
        self.tokenTypes = tokenTypes
        self.merges = merges
        self.bosID = bosID
        self.eosID = eosID
        self.eotID = eotID
        self.eomID = eomID
        self.unknownID = unknownID
        self.paddingID = paddingID
        self.addBOS = addBOS
        self.addEOS = addEOS
        self.addSpacePrefix = addSpacePrefix
        self.chatTemplate = chatTemplate
    }
}

extension GGUFVocabulary {
    /// The ids of the harmony control tokens in a vocabulary smaller than o200k_harmony: the last nine ids.
    static let compactHarmonySpecials: [String] = [
        SpecialToken.startOfText.name, SpecialToken.endOfText.name, SpecialToken.returnToken.name,
        SpecialToken.constrain.name, SpecialToken.channel.name, SpecialToken.start.name, SpecialToken.end.name,
        SpecialToken.message.name, SpecialToken.call.name,
    ]

    /// A minimal harmony chat template (real Jinja; llama.cpp detects it as `gpt-oss`): each message as
    /// `<|start|>role<|message|>content<|end|>`, assistant messages on the final channel.
    public static let harmonyTemplate = """
        {%- for message in messages -%}{%- if message['role'] == 'assistant' -%}\
        {{- '<|start|>assistant<|channel|>final<|message|>' + message['content'] + '<|end|>' -}}\
        {%- else -%}{{- '<|start|>' + message['role'] + '<|message|>' + message['content'] + '<|end|>' -}}{%- endif -%}\
        {%- endfor -%}{%- if add_generation_prompt -%}{{- '<|start|>assistant' -}}{%- endif -%}
        """

    /// o200k_harmony as llama.cpp's converter writes gpt-oss's tokenizer, for a model of `size` embedding rows:
    /// model `gpt2`, pre `gpt-4o`, mergeable tokens as GPT-2 byte strings (type normal), merges recovered from the
    /// ranks (each token's last merge, tiktoken's `bpe(…, max_rank = rank)`), BOS `<|startoftext|>`,
    /// EOS `<|return|>`, padding `<|endoftext|>`, no BOS added.
    /// - size ≥ 201088: the whole vocabulary; the o200k_harmony specials (type control) and, past 200018,
    ///   `[PADn]` placeholders (type unused), as the converter pads to the model's vocab size.
    /// - 265 ≤ size < 201088 (synthetic small models): the first `size − 9` mergeable tokens, then the nine harmony
    ///   control tokens (`<|startoftext|>` … `<|call|>`) as the last ids.
    public static func o200kHarmony(size: Int) throws -> GGUFVocabulary {
        let full = SpecialToken.o200kHarmonyVocabularySize
        guard size >= 256 + compactHarmonySpecials.count else {
            throw TokenizerError.inconsistentVocabulary("o200k GGUF vocabulary needs ≥ 265 ids, got \(size)")
        }
        let t = try Tokenizer.o200kHarmony()
        let mergeable = size >= full ? SpecialToken.o200kMergeableCount : size - compactHarmonySpecials.count
        var tokens: [String] = []
        var types: [Int32] = []
        tokens.reserveCapacity(size)
        types.reserveCapacity(size)
        for r in 0..<mergeable {
            guard let bytes = t.table.bytes(ofRank: r) else {
                throw TokenizerError.inconsistentVocabulary("o200k has no token of rank \(r)")
            }
            tokens.append(GPT2ByteMap.string(of: bytes))
            types.append(Tokenizer.GGUFTokenType.normal.rawValue)
        }
        var ids: [String: Int32] = [:]
        if size >= full {
            for id in SpecialToken.o200kMergeableCount..<size {
                let name = id <= 200_018 ? String(decoding: t.tokenBytes(Int32(id)) ?? [], as: UTF8.self) : "[PAD\(id)]"
                ids[name] = Int32(id)
                tokens.append(name)
                types.append(
                    id <= 200_018 ? Tokenizer.GGUFTokenType.control.rawValue : Tokenizer.GGUFTokenType.unused.rawValue)
            }
        } else {
            for name in compactHarmonySpecials {
                ids[name] = Int32(tokens.count)
                tokens.append(name)
                types.append(Tokenizer.GGUFTokenType.control.rawValue)
            }
        }
        return GGUFVocabulary(
            model: "gpt2", pre: "gpt-4o", tokens: tokens, tokenTypes: types,
            merges: try Self.merges(t.table, below: mergeable),
            bosID: ids[SpecialToken.startOfText.name], eosID: ids[SpecialToken.returnToken.name],
            paddingID: ids[SpecialToken.endOfText.name], addBOS: false, chatTemplate: harmonyTemplate)
    }

    /// The merges of a tiktoken rank table restricted to ranks `< limit`, in rank order: for every token of ≥ 2
    /// bytes, byte-pair merging of its bytes with only lower ranks allowed stops at two parts, the merge that makes it.
    static func merges(_ table: TokenTable, below limit: Int) throws -> [String] {
        var out: [String] = []
        out.reserveCapacity(limit)
        var parts: [[UInt8]] = []
        for rank in 0..<limit {
            guard let bytes = table.bytes(ofRank: rank), bytes.count >= 2 else { continue }
            parts = bytes.map { [$0] }
            while parts.count > 2 {
                var best = Int.max
                var at = -1
                for i in 0..<(parts.count - 1) {
                    if let r = table.rank(of: parts[i] + parts[i + 1]), r < rank, r < best {
                        best = r
                        at = i
                    }
                }
                if at < 0 { break }
                parts[at] += parts[at + 1]
                parts.remove(at: at + 1)
            }
            guard parts.count == 2 else {
                throw TokenizerError.inconsistentVocabulary(
                    "rank \(rank) cannot be made by merging two lower-ranked tokens")
            }
            out.append(GPT2ByteMap.string(of: parts[0]) + " " + GPT2ByteMap.string(of: parts[1]))
        }
        return out
    }
}
