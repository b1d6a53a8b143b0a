/// A special (control) token: a name like `<|start|>` and its id. Specials are never produced by BPE merging.
public struct SpecialToken: Hashable, Sendable {
    public let name: String
    public let id: Int32
    public init(name: String, id: Int32) {
        self.name = name
        self.id = id
    }

    /// The harmony control tokens by id (o200k_harmony).
    public static let startOfText = SpecialToken(name: "<|startoftext|>", id: 199_998)
    public static let endOfText = SpecialToken(name: "<|endoftext|>", id: 199_999)
    public static let returnToken = SpecialToken(name: "<|return|>", id: 200_002)
    public static let constrain = SpecialToken(name: "<|constrain|>", id: 200_003)
    public static let channel = SpecialToken(name: "<|channel|>", id: 200_005)
    public static let start = SpecialToken(name: "<|start|>", id: 200_006)
    public static let end = SpecialToken(name: "<|end|>", id: 200_007)
    public static let message = SpecialToken(name: "<|message|>", id: 200_008)
    public static let call = SpecialToken(name: "<|call|>", id: 200_012)
    /// Named by the Hugging Face tokenizer (and o200k_base); `<|reserved_200018|>` in tiktoken's harmony table.
    public static let endOfPrompt = SpecialToken(name: "<|endofprompt|>", id: 200_018)

    /// Number of mergeable tokens of o200k_base (ids 0 ..< 199998).
    public static let o200kMergeableCount = 199_998
    /// Rows of gpt-oss's embedding (ids 0 ..< 201088).
    public static let o200kHarmonyVocabularySize = 201_088
    /// Ids from here on are `<|reserved_N|>` and were never trained: a sampler must not produce them.
    public static let o200kHarmonySampleableLimit = 200_013

    /// The o200k_harmony special tokens, as tiktoken defines them: the named ones, `<|reserved_N|>` for
    /// 200000–200001, 200004, 200009–200011 and every id from 200013 to 201087, and `<|endofprompt|>` (200018)
    /// as a second name of 200018 (decoding 200018 gives `<|endofprompt|>`, as the Hugging Face tokenizer does).
    public static let o200kHarmony: [SpecialToken] = {
        var list: [SpecialToken] = [
            startOfText, endOfText, returnToken, constrain, channel, start, end, message, call,
            endOfPrompt,
        ]
        for id in [200_000, 200_001, 200_004, 200_009, 200_010, 200_011] + Array(200_013..<201_088) {
            list.append(SpecialToken(name: "<|reserved_\(id)|>", id: Int32(id)))
        }
        return list
    }()
}
