/// A tokenizer: text ↔ token ids.
///
/// Three engines share this type:
/// - tiktoken semantics with the o200k pre-tokenizer (gpt-oss.md §5; the bundled o200k_harmony, `.tiktoken` and
///   `tokenizer.json` files, and o200k GGUF vocabularies): ids `0 ..< table.rankLimit` are mergeable byte tokens
///   (rank = id); encoding splits out allowed specials, pre-tokenizes, emits whole-piece tokens, merges the others.
/// - GGUF byte-level BPE (`tokenizer.ggml.model` = `gpt2`): llama.cpp's pre-tokenizer for `tokenizer.ggml.pre` and
///   ranked merges (`BPEMerges`).
/// - GGUF SentencePiece (`llama`): scores, `▁` for spaces, byte fallback (`SentencePieceModel`).
/// The GGUF engines split special tokens out as llama.cpp does: control and unknown tokens only when asked,
/// user-defined tokens always.
public struct Tokenizer: Sendable {
    /// Mergeable tokens (rank = id). For SentencePiece vocabularies: every token's text as stored (rank = id;
    /// spaces as ▁, bytes as `<0xNN>`).
    public let table: TokenTable
    /// Special tokens by name (a name may share an id with another, e.g. 200018).
    public let specialIDs: [String: Int32]
    /// The name each special id decodes to.
    let specialNames: [Int32: [UInt8]]
    /// Specials grouped by first byte, longest name first, for the special-token scan of `encode`.
    let specialsByFirstByte: [[(bytes: [UInt8], id: Int32)]]
    /// One past the largest id with a token (mergeable or special); the token count of a GGUF vocabulary.
    public internal(set) var vocabularySize: Int
    /// How ordinary text becomes ids.
    let engine: TokenizerEngine
    /// GGUF engines: the specials llama.cpp splits out, longest first (control, user-defined, unknown).
    let partition: [SpecialEntry]
    /// Ids at or past this limit (and ids with no token) are never sampled (200013 for o200k_harmony).
    public internal(set) var sampleableLimit: Int
    /// Beginning-of-sequence id, nil when the vocabulary has none.
    public internal(set) var bosID: Int32?
    /// End-of-sequence id, nil when the vocabulary has none.
    public internal(set) var eosID: Int32?
    /// Whether `encode(_:allowSpecial:addSpecial:)` with `addSpecial` puts BOS first (GGUF `add_bos_token`).
    public internal(set) var addBOS = false
    /// Whether `encode(_:allowSpecial:addSpecial:)` with `addSpecial` puts EOS last (GGUF `add_eos_token`).
    public internal(set) var addEOS = false
    /// Ids that end a generation (llama.cpp's end-of-generation set: EOS, EOT and the end-of-turn tokens found by
    /// name; for o200k_harmony `<|return|>`, `<|call|>` and `<|endoftext|>`, not `<|end|>`).
    public internal(set) var endOfGeneration: Set<Int32> = []

    /// Builds a tokenizer. Throws when a byte has no single-byte token, or a special id clashes with a mergeable one.
    /// - Parameter sampleableLimit: ids ≥ this are masked in sampling; nil = one past the largest id of a mergeable
    ///   token or of a special whose name is not `<|reserved_N|>` / `<|endofprompt|>`.
    public init(table: TokenTable, specials: [SpecialToken], sampleableLimit: Int? = nil) throws {
        try self.init(
            table: table, specials: specials, sampleableLimit: sampleableLimit, engine: .tiktoken, partition: [])
    }

    /// The designated initializer: every engine's specials, table and partition. Byte-level engines need a
    /// one-byte token for every byte.
    init(
        table: TokenTable, specials: [SpecialToken], sampleableLimit: Int?, engine: TokenizerEngine,
        partition: [SpecialEntry]
    ) throws {
        if !engine.isSentencePiece {
            for b in 0...255 where table.rank(of: [UInt8(b)]) == nil {
                throw TokenizerError.inconsistentVocabulary("byte 0x\(String(b, radix: 16)) has no single-byte token")
            }
        }
        self.engine = engine
        self.partition = partition
        var ids: [String: Int32] = [:]
        var names: [Int32: [UInt8]] = [:]
        var groups = [[(bytes: [UInt8], id: Int32)]](repeating: [], count: 256)
        var largest = table.rankLimit - 1
        var trained = table.rankLimit - 1
        for s in specials {
            guard !s.name.isEmpty, s.id >= 0 else {
                throw TokenizerError.inconsistentVocabulary("special token '\(s.name)' with id \(s.id)")
            }
            if table.hasRank(Int(s.id)) && !engine.isSentencePiece {
                throw TokenizerError.inconsistentVocabulary("special token '\(s.name)' reuses mergeable id \(s.id)")
            }
            if let other = ids[s.name], other != s.id {
                throw TokenizerError.inconsistentVocabulary("special token '\(s.name)' has ids \(other) and \(s.id)")
            }
            if ids[s.name] != nil { continue }
            ids[s.name] = s.id
            // The first name listed for an id is the one it decodes to, unless a later one is not a reserved placeholder.
            if let existing = names[s.id] {
                if Tokenizer.isReservedName(String(decoding: existing, as: UTF8.self)) {
                    names[s.id] = Array(s.name.utf8)
                }
            } else {
                names[s.id] = Array(s.name.utf8)
            }
            let bytes = Array(s.name.utf8)
            groups[Int(bytes[0])].append((bytes, s.id))
            largest = max(largest, Int(s.id))
            if !Tokenizer.isReservedName(s.name) && s.name != SpecialToken.endOfPrompt.name {
                trained = max(trained, Int(s.id))
            }
        }
        for i in 0..<256 { groups[i].sort { $0.bytes.count > $1.bytes.count } }
        self.table = table
        self.specialIDs = ids
        self.specialNames = names
        self.specialsByFirstByte = groups
        self.vocabularySize = largest + 1
        self.sampleableLimit = sampleableLimit ?? (trained + 1)
        self.endOfGeneration = Self.endOfGenerationByName(ids)
    }

    /// Names of tokens that end a generation wherever they exist (llama.cpp `llama_vocab` EOG scan).
    static let endOfGenerationNames = [
        "<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<end_of_turn>",
        "<|endoftext|>", "<|eom_id|>", "<EOT>", "_<EOT>", "<|end_of_text|>",
    ]

    /// The end-of-generation ids among `ids` (name → id), without `<|end|>` when `<|return|>` and `<|call|>`
    /// exist (harmony: `<|end|>` ends one message, not the turn).
    static func endOfGenerationByName(_ ids: [String: Int32]) -> Set<Int32> {
        var set = Set(endOfGenerationNames.compactMap { ids[$0] })
        if let end = ids["<|end|>"], ids["<|return|>"] != nil, ids["<|call|>"] != nil { set.remove(end) }
        return set
    }

    /// Whether `name` is a `<|reserved_N|>` placeholder.
    static func isReservedName(_ name: String) -> Bool { name.hasPrefix("<|reserved_") && name.hasSuffix("|>") }

    /// The id of a special token name. Throws `unknownSpecialToken`.
    public func specialID(_ name: String) throws -> Int32 {
        guard let id = specialIDs[name] else { throw TokenizerError.unknownSpecialToken(name) }
        return id
    }

    /// Whether `id` is a special token.
    public func isSpecial(_ id: Int32) -> Bool { specialNames[id] != nil }

    /// Whether `id` decodes to something (a mergeable token, a piece or a special name).
    public func hasToken(_ id: Int32) -> Bool {
        if case .sentencePiece(let m, _) = engine {
            return id >= 0 && Int(id) < m.pieces.count && !m.pieces[Int(id)].isEmpty
        }
        return table.hasRank(Int(id)) || specialNames[id] != nil
    }
}

/// How a `Tokenizer` turns ordinary text into ids.
enum TokenizerEngine: Sendable {
    /// tiktoken: o200k pre-tokenizer, whole pieces that are tokens emitted, rank-ordered merging by `table`.
    case tiktoken
    /// GGUF byte-level BPE: a llama.cpp pre-tokenizer, then ranked merges (`ignoreMerges`: a whole piece that is a
    /// token is emitted as it is).
    case bpe(BPEMerges, BPEPreTokenizer, ignoreMerges: Bool)
    /// GGUF SentencePiece (`addSpacePrefix`: a space before the first fragment and each fragment after a special).
    case sentencePiece(SentencePieceModel, addSpacePrefix: Bool)

    var isSentencePiece: Bool { if case .sentencePiece = self { return true } else { return false } }
}

/// A special token llama.cpp splits out of text before tokenizing the rest.
struct SpecialEntry: Sendable {
    let bytes: [UInt8]
    let id: Int32
    /// User-defined: split out even when special tokens are not parsed.
    let always: Bool
}
