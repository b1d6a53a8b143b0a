import Foundation
import OSSFormats
import OSSTokenizer

extension GGUFVocabulary {
    /// Reads the `tokenizer.*` keys of a GGUF model (`tokenizer.ggml.model` and `.tokens` required; a key of the
    /// wrong type is a `GGUFError` naming it).
    public init(archive a: GGUFArchive) throws {
        let p = "tokenizer.ggml."
        func id(_ key: String) throws -> Int32? {
            guard let v = try a.optionalInt(p + key) else { return nil }
            guard let small = Int32(exactly: v) else {
                throw GGUFError.invalidKey(file: a.url, key: p + key, found: "\(v)", expected: "a token id")
            }
            return small
        }
        guard let tokens = try a.optionalStringArray(p + "tokens") else {
            throw GGUFError.missingKey(file: a.url, key: p + "tokens")
        }
        self.init(
            model: try a.string(p + "model"), pre: try a.optionalString(p + "pre"), tokens: tokens,
            scores: try a.optionalFloatArray(p + "scores"), tokenTypes: try a.optionalInt32Array(p + "token_type"),
            merges: try a.optionalStringArray(p + "merges"), bosID: try id("bos_token_id"),
            eosID: try id("eos_token_id"),
            eotID: try id("eot_token_id"), eomID: try id("eom_token_id"), unknownID: try id("unknown_token_id"),
            paddingID: try id("padding_token_id"), addBOS: try a.optionalBool(p + "add_bos_token"),
            addEOS: try a.optionalBool(p + "add_eos_token"), addSpacePrefix: try a.optionalBool(p + "add_space_prefix"),
            chatTemplate: try a.optionalString("tokenizer.chat_template"))
    }

    /// The `tokenizer.*` key-value pairs, in the order llama.cpp's converter writes them.
    public var metadata: [(key: String, value: GGUFValue)] {
        let p = "tokenizer.ggml."
        var out: [(key: String, value: GGUFValue)] = [(p + "model", .string(model))]
        if let pre { out.append((p + "pre", .string(pre))) }
        out.append((p + "tokens", .array(.string, tokens.map { .string($0) })))
        if let scores { out.append((p + "scores", .array(.float32, scores.map { .float32($0) }))) }
        if let tokenTypes { out.append((p + "token_type", .array(.int32, tokenTypes.map { .int32($0) }))) }
        if let merges { out.append((p + "merges", .array(.string, merges.map { .string($0) }))) }
        for (key, id) in [
            ("bos_token_id", bosID), ("eos_token_id", eosID), ("eot_token_id", eotID),
            ("eom_token_id", eomID), ("unknown_token_id", unknownID), ("padding_token_id", paddingID),
        ] {
            if let id { out.append((p + key, .uint32(UInt32(bitPattern: id)))) }
        }
        for (key, flag) in [("add_bos_token", addBOS), ("add_eos_token", addEOS), ("add_space_prefix", addSpacePrefix)]
        {
            if let flag { out.append((p + key, .bool(flag))) }
        }
        if let chatTemplate { out.append(("tokenizer.chat_template", .string(chatTemplate))) }
        return out
    }
}

extension Tokenizer {
    /// The tokenizer of a GGUF file (a model, a split model by any shard, or a vocabulary-only file).
    public static func loadGGUF(path: String) throws -> Tokenizer {
        try fromGGUF(GGUFVocabulary(archive: GGUFArchive(url: URL(fileURLWithPath: path))))
    }
}
