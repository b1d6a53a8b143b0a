import Foundation
import OSSCore

extension Tokenizer {
    /// The o200k pre-tokenizer pattern string (gpt-oss.md §5), as it appears in tokenizer.json's `Split` step.
    public static let o200kPattern =
        #"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+"#

    /// Loads a Hugging Face `tokenizer.json` describing a byte-level BPE with the o200k pre-tokenizer.
    ///
    /// `model.vocab` (GPT-2 byte-mapped strings → id) gives the mergeable tokens with rank = id; `added_tokens` the
    /// specials. `model.merges` is checked for consistency (each merge joins two vocab tokens into a vocab token, and
    /// the merged ids never decrease along the list, i.e. merge order = id order), not used: with ids as ranks it adds
    /// nothing.
    /// Throws `unreadableFile` or `malformedTokenizerJSON` naming the offending entry.
    public static func loadHuggingFace(path: String, sampleableLimit: Int? = nil) throws -> Tokenizer {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw TokenizerError.unreadableFile(path: path, reason: "\(error.localizedDescription)")
        }
        return try parseHuggingFace(data, file: path, sampleableLimit: sampleableLimit)
    }

    /// Parses tokenizer.json contents (see `loadHuggingFace`); `file` names the source in errors.
    public static func parseHuggingFace(_ data: Data, file: String, sampleableLimit: Int? = nil) throws -> Tokenizer {
        func fail(_ reason: String) -> TokenizerError { .malformedTokenizerJSON(file: file, reason: reason) }
        let root: JSONValue
        do {
            root = try data.withUnsafeBytes { raw in
                try JSONParser.parse(UnsafeRawBufferPointer(raw))
            }
        } catch let e as JSONSyntaxError { throw fail("not JSON (byte \(e.offset): \(e.reason))") }
        guard root.objectValue != nil else { throw fail("top level is not an object") }
        guard let model = root["model"], model.objectValue != nil else { throw fail("missing 'model' object") }
        if let type = model["type"]?.stringValue, type != "BPE" {
            throw fail("model.type is '\(type)', expected 'BPE'")
        }
        guard let vocab = model["vocab"]?.objectValue else { throw fail("missing 'model.vocab' object") }
        if let pre = root["pre_tokenizer"], let pattern = splitPattern(pre), pattern != o200kPattern {
            throw fail(
                "pre-tokenizer pattern is not the o200k pattern (only o200k's is implemented): \(pattern.prefix(80))…")
        }

        var tokens: [(bytes: [UInt8], rank: Int)] = []
        tokens.reserveCapacity(vocab.count)
        for member in vocab {
            let string = member.key
            let value = member.value
            guard let id = value.intValue, id >= 0, id < Int(Int32.max) else {
                throw fail("model.vocab['\(string)'] is not a non-negative integer")
            }
            guard let bytes = GPT2ByteMap.bytes(of: string), !bytes.isEmpty else {
                throw fail("model.vocab token '\(string)' (id \(id)) is not in the GPT-2 byte alphabet")
            }
            tokens.append((bytes, id))
        }
        let table: TokenTable
        do { table = try TokenTable(tokens: tokens) } catch let TokenizerError.inconsistentVocabulary(detail) {
            throw fail("model.vocab: \(detail)")
        }

        var specials: [SpecialToken] = []
        if let added = root["added_tokens"], !added.isNull {
            guard let list = added.arrayValue else { throw fail("'added_tokens' is not a list") }
            // Each id names one token: two contents for one id would encode the second and decode it as the first.
            var contentOfID: [Int: String] = [:]
            for (k, entry) in list.enumerated() {
                guard let name = entry["content"]?.stringValue, !name.isEmpty, let id = entry["id"]?.intValue,
                    id >= 0, id < Int(Int32.max)
                else {
                    throw fail("added_tokens[\(k)] lacks a string 'content' or an integer 'id'")
                }
                if let other = contentOfID.updateValue(name, forKey: id), other != name {
                    throw fail("added_tokens[\(k)] ('\(name)') reuses id \(id) of '\(other)'")
                }
                // An added token that is an ordinary vocab entry (same id, same bytes) is not a special.
                if let bytes = table.bytes(ofRank: id), GPT2ByteMap.bytes(of: name) == bytes { continue }
                specials.append(SpecialToken(name: name, id: Int32(id)))
            }
        }

        if let merges = model["merges"], !merges.isNull {
            guard let list = merges.arrayValue else { throw fail("model.merges is not a list") }
            var previous: Int32 = -1
            var joined: [UInt8] = []
            for (k, merge) in list.enumerated() {
                let left: String
                let right: String
                if let pair = merge.arrayValue, pair.count == 2, let a = pair[0].stringValue,
                    let b = pair[1].stringValue
                {
                    (left, right) = (a, b)
                } else if let text = merge.stringValue, let space = text.firstIndex(of: " ") {
                    (left, right) = (String(text[..<space]), String(text[text.index(after: space)...]))
                } else {
                    throw fail("model.merges[\(k)] is neither [\"a\", \"b\"] nor \"a b\"")
                }
                joined.removeAll(keepingCapacity: true)
                let leftOK = GPT2ByteMap.appendBytes(of: left, to: &joined) && table.rank(of: joined) != nil
                let split = joined.count
                let rightOK =
                    GPT2ByteMap.appendBytes(of: right, to: &joined)
                    && joined[split...].withUnsafeBufferPointer { table.rank($0.baseAddress!, $0.count) >= 0 }
                let rm = joined.withUnsafeBufferPointer { table.rank($0.baseAddress!, $0.count) }
                guard leftOK, rightOK, split > 0, split < joined.count, rm >= 0 else {
                    throw fail("model.merges[\(k)] ('\(left)' + '\(right)') does not join two vocab tokens into one")
                }
                guard rm >= previous else {
                    throw fail("model.merges[\(k)] produces id \(rm), out of rank order (ids must equal merge ranks)")
                }
                previous = Int32(rm)
            }
        }
        do { return try Tokenizer(table: table, specials: specials, sampleableLimit: sampleableLimit) } catch let
            TokenizerError.inconsistentVocabulary(detail)
        {
            throw fail(detail)
        }
    }

    /// The regex of a `Split` pre-tokenizer (possibly inside a `Sequence`), or nil.
    private static func splitPattern(_ pre: JSONValue) -> String? {
        if pre["type"]?.stringValue == "Split", let r = pre["pattern"]?["Regex"]?.stringValue { return r }
        if let steps = pre["pretokenizers"]?.arrayValue {
            for step in steps { if let r = splitPattern(step) { return r } }
        }
        return nil
    }
}
