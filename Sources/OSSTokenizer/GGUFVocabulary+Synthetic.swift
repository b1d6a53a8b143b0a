/// Synthetic vocabularies of the two GGUF tokenizer kinds, for the dense synthetic models: real tokenizers (every
/// byte encodable, consistent merges and scores), built from the bundled o200k ranks so no vocabulary file is needed.
extension GGUFVocabulary {
    /// A SentencePiece (`llama`) vocabulary of `size` tokens in the Llama 2 layout: `<unk>` 0 (unknown), `<s>` 1 and
    /// `</s>` 2 (control), the 256 byte tokens `<0x00>`…`<0xFF>` (byte), then `▁` and the printable ASCII
    /// characters, then o200k tokens that are valid UTF-8 without control characters, spaces spelled `▁`, in rank
    /// order; scores fall by one per piece (earlier = merged first). BOS added, space prefix on, Llama 2 chat template.
    public static func syntheticSentencePiece(size: Int) throws -> GGUFVocabulary {
        guard size >= 3 + 256 + 96 else {
            throw TokenizerError.inconsistentVocabulary(
                "a synthetic SentencePiece vocabulary needs ≥ 355 tokens, got \(size)")
        }
        var tokens = ["<unk>", "<s>", "</s>"]
        var types: [Int32] = [
            Tokenizer.GGUFTokenType.unknown.rawValue, Tokenizer.GGUFTokenType.control.rawValue,
            Tokenizer.GGUFTokenType.control.rawValue,
        ]
        for b in 0..<256 {
            tokens.append("<0x" + String(b, radix: 16, uppercase: true).leftPadded(to: 2) + ">")
            types.append(Tokenizer.GGUFTokenType.byte.rawValue)
        }
        var seen = Set(tokens)
        var pieces = ["\u{2581}"] + (33...126).map { String(UnicodeScalar(UInt8($0))) }
        let o200k = try Tokenizer.o200kHarmony()
        var rank = 256
        while tokens.count + pieces.count < size && rank < SpecialToken.o200kMergeableCount {
            defer { rank += 1 }
            guard let bytes = o200k.table.bytes(ofRank: rank), let text = String(validating: bytes, as: UTF8.self),
                !text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F })
            else { continue }
            let piece = text.replacingOccurrences(of: " ", with: "\u{2581}")
            if !seen.contains(piece) && !pieces.contains(piece) { pieces.append(piece) }
        }
        for p in pieces where tokens.count < size && seen.insert(p).inserted {
            tokens.append(p)
            types.append(Tokenizer.GGUFTokenType.normal.rawValue)
        }
        let scores = tokens.indices.map { i -> Float in i < 259 ? 0 : -Float(i - 259) }
        return GGUFVocabulary(
            model: "llama", pre: "default", tokens: tokens, scores: scores, tokenTypes: types, bosID: 1, eosID: 2,
            unknownID: 0, addBOS: true, addEOS: false, addSpacePrefix: true, chatTemplate: llama2Template)
    }

    /// A byte-level BPE (`gpt2`) vocabulary: the first `size − specials.count` o200k tokens (GPT-2 byte strings,
    /// merges recovered from the ranks) and `specials` (type control) as the last ids.
    public static func syntheticBPE(
        size: Int, pre: String, specials: [String], bos: String?, eos: String, eot: String?,
        addBOS: Bool, chatTemplate: String
    ) throws -> GGUFVocabulary {
        let mergeable = size - specials.count
        guard mergeable >= 256, mergeable <= SpecialToken.o200kMergeableCount else {
            throw TokenizerError.inconsistentVocabulary(
                "a synthetic BPE vocabulary of \(size) tokens with \(specials.count) specials")
        }
        let o200k = try Tokenizer.o200kHarmony()
        var tokens: [String] = []
        var types: [Int32] = []
        tokens.reserveCapacity(size)
        for r in 0..<mergeable {
            guard let bytes = o200k.table.bytes(ofRank: r) else {
                throw TokenizerError.inconsistentVocabulary("o200k has no token of rank \(r)")
            }
            tokens.append(GPT2ByteMap.string(of: bytes))
            types.append(Tokenizer.GGUFTokenType.normal.rawValue)
        }
        tokens += specials
        types += Array(repeating: Tokenizer.GGUFTokenType.control.rawValue, count: specials.count)
        func id(_ name: String?) -> Int32? {
            name.flatMap { specials.firstIndex(of: $0) }.map { Int32(mergeable + $0) }
        }
        return GGUFVocabulary(
            model: "gpt2", pre: pre, tokens: tokens, tokenTypes: types,
            merges: try merges(o200k.table, below: mergeable),
            bosID: id(bos), eosID: id(eos), eotID: id(eot), addBOS: addBOS, chatTemplate: chatTemplate)
    }

    /// Llama 3's 256 special tokens (ids 128000…128255 of its vocabulary).
    public static let llama3Specials: [String] = {
        var s = [
            "<|begin_of_text|>", "<|end_of_text|>", "<|reserved_special_token_0|>", "<|reserved_special_token_1|>",
            "<|finetune_right_pad_id|>", "<|reserved_special_token_2|>", "<|start_header_id|>", "<|end_header_id|>",
            "<|eom_id|>", "<|eot_id|>", "<|python_tag|>",
        ]
        var n = 3
        while s.count < 256 {
            s.append("<|reserved_special_token_\(n)|>")
            n += 1
        }
        return s
    }()

    /// Qwen2's special tokens (the first three of its added tokens).
    public static let qwenSpecials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]

    /// Llama 2 chat's Jinja template (detected as llama2-sys-bos by llama.cpp's rules).
    public static let llama2Template = """
        {% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}\
        {% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}\
        {% set system_message = false %}{% endif %}{% for message in loop_messages %}\
        {% if loop.index0 == 0 and system_message != false %}\
        {% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}\
        {% else %}{% set content = message['content'] %}{% endif %}{% if message['role'] == 'user' %}\
        {{ bos_token + '[INST] ' + content + ' [/INST]' }}{% elif message['role'] == 'assistant' %}\
        {{ ' ' + content + ' ' + eos_token }}{% endif %}{% endfor %}
        """

    /// Llama 3 Instruct's Jinja template.
    public static let llama3Template = """
        {% set loop_messages = messages %}{% for message in loop_messages %}\
        {% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' %}\
        {% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}\
        {% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}
        """

    /// ChatML (Qwen).
    public static let chatMLTemplate = """
        {% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}\
        {% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}
        """
}

extension String {
    /// The string with zeros in front up to `width` characters.
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
