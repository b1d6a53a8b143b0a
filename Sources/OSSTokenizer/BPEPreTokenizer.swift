/// The byte-level BPE pre-tokenizers of llama.cpp, chosen by `tokenizer.ggml.pre` (gguf.md §5), as hand-written
/// splitters over Unicode scalars (no regex engine), following llama.cpp's own hand-written ones (unicode.cpp).
///
/// A pre-tokenizer is a sequence of stages; each stage re-splits every piece of the previous one, keeping the text
/// between its matches as pieces too (llama.cpp's `unicode_regex_split`).
public enum BPEPreTokenizer: String, Sendable, CaseIterable {
    /// `default` (or no `pre`): `[\p{P}\$\+<=>\^~\|]+`, then the gpt-2 pattern, then `\p{N}+`, then `[0-9][0-9][0-9]`.
    case defaultSplit = "default"
    /// `gpt-2`: `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)`.
    case gpt2 = "gpt-2"
    /// `llama-bpe` (Llama 3): `(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|
    /// \p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`.
    case llama3 = "llama-bpe"
    /// `qwen2`: as llama-bpe with `\p{N}` (one digit per piece) instead of `\p{N}{1,3}`.
    case qwen2
    /// `smollm` (and starcoder, …): `\p{N}`, then the gpt-2 pattern.
    case smollm
    /// `gpt-4o` (o200k): the o200k pattern of tiktoken (see `PreTokenizer`).
    case gpt4o = "gpt-4o"

    /// What `tokenizer.ggml.pre` selects: the splitter, whether whole pieces that are tokens skip merging
    /// (`ignore_merges`) and whether BOS is added by default. Aliases as in llama.cpp's `llama_vocab::load`.
    /// Throws `unknownPreTokenizer` naming any other value.
    public static func named(_ pre: String?) throws -> (splitter: BPEPreTokenizer, ignoreMerges: Bool, addBOS: Bool) {
        switch pre ?? "default" {
        case "default": return (.defaultSplit, false, false)
        case "gpt-2", "phi-2", "jina-es", "jina-de", "jina-v2-es", "jina-v2-de", "mellum", "modern-bert":
            return (.gpt2, false, false)
        case "llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2":
            return (.llama3, true, true)
        case "qwen2", "deepseek-r1-qwen", "megrez": return (.qwen2, false, false)
        case "smollm", "starcoder", "refact", "codeshell", "exaone", "minerva-7b": return (.smollm, false, false)
        case "gpt-4o", "llama4": return (.gpt4o, false, false)
        case let other:
            throw TokenizerError.unknownPreTokenizer(other, known: allCases.map(\.rawValue))
        }
    }

    /// Splits the scalars of one text fragment into pieces; `ends` receives the scalar index after each piece.
    func split(_ s: ScalarView, into ends: inout [Int], scratch: inout [Int]) {
        ends.removeAll(keepingCapacity: true)
        ends.append(s.count)
        switch self {
        case .defaultSplit:
            Self.refine(&ends, &scratch) { a, b, out in
                s.runs(a, b, &out) { s.isPunctuationP($0) || s.isDefaultSymbol($0) }
            }
            Self.refine(&ends, &scratch) { a, b, out in s.gpt2(a, b, &out) }
            Self.refine(&ends, &scratch) { a, b, out in s.runs(a, b, &out) { s.flags[$0].contains(.number) } }
            Self.refine(&ends, &scratch) { a, b, out in s.asciiDigitTriples(a, b, &out) }
        case .gpt2:
            Self.refine(&ends, &scratch) { a, b, out in s.gpt2(a, b, &out) }
        case .llama3:
            Self.refine(&ends, &scratch) { a, b, out in s.llama3(a, b, &out, maxDigits: 3) }
        case .qwen2:
            Self.refine(&ends, &scratch) { a, b, out in s.llama3(a, b, &out, maxDigits: 1) }
        case .smollm:
            Self.refine(&ends, &scratch) { a, b, out in
                s.runs(a, b, &out, maxLength: 1) { s.flags[$0].contains(.number) }
            }
            Self.refine(&ends, &scratch) { a, b, out in s.gpt2(a, b, &out) }
        case .gpt4o:
            Self.refine(&ends, &scratch) { a, b, out in
                let splitter = PreTokenizer(
                    classes: UnsafeBufferPointer(rebasing: s.classes[a..<b]),
                    scalars: UnsafeBufferPointer(rebasing: s.scalars[a..<b]))
                var i = 0
                while i < b - a {
                    i += splitter.matchLength(at: i)
                    out.append(a + i)
                }
            }
        }
    }

    /// Applies one stage to every piece: `stage(start, end, out)` appends the ends of the pieces of `start..<end`.
    private static func refine(_ ends: inout [Int], _ scratch: inout [Int], _ stage: (Int, Int, inout [Int]) -> Void) {
        scratch.removeAll(keepingCapacity: true)
        var start = 0
        for end in ends {
            stage(start, end, &scratch)
            start = end
        }
        swap(&ends, &scratch)
    }
}

/// Scalars of a text fragment with the classes llama.cpp's splitters test.
struct ScalarView {
    let scalars: UnsafeBufferPointer<UInt32>
    let classes: UnsafeBufferPointer<ScalarClass>
    /// llama.cpp's flags per scalar.
    let flags: UnsafeBufferPointer<LlamaFlags>
    var count: Int { scalars.count }

    func isPunctuationP(_ i: Int) -> Bool { flags[i].contains(.punctuation) }
    /// `[\$\+<=>\^~\|]`.
    func isDefaultSymbol(_ i: Int) -> Bool {
        switch scalars[i] {
        case 0x24, 0x2B, 0x3C, 0x3D, 0x3E, 0x5E, 0x7E, 0x7C: return true
        default: return false
        }
    }

    /// Maximal runs of scalars with `inClass` (at most `maxLength` each) as pieces; the text between them too.
    func runs(_ a: Int, _ b: Int, _ out: inout [Int], maxLength: Int = .max, _ inClass: (Int) -> Bool) {
        var i = a
        var last = a
        while i < b {
            guard inClass(i) else {
                i += 1
                continue
            }
            if i > last { out.append(i) }
            var j = i + 1
            while j < b && j - i < maxLength && inClass(j) { j += 1 }
            out.append(j)
            i = j
            last = j
        }
        if last < b { out.append(b) }
    }

    /// `[0-9][0-9][0-9]` matches left to right; the text between them as pieces.
    func asciiDigitTriples(_ a: Int, _ b: Int, _ out: inout [Int]) {
        func digit(_ k: Int) -> Bool { scalars[k] >= 0x30 && scalars[k] <= 0x39 }
        var i = a
        var last = a
        while i + 3 <= b {
            if digit(i) && digit(i + 1) && digit(i + 2) {
                if i > last { out.append(i) }
                out.append(i + 3)
                i += 3
                last = i
            } else {
                i += 1
            }
        }
        if last < b { out.append(b) }
    }

    private func letter(_ k: Int, _ b: Int) -> Bool { k < b && flags[k].contains(.letter) }
    private func number(_ k: Int, _ b: Int) -> Bool { k < b && flags[k].contains(.number) }
    private func space(_ k: Int, _ b: Int) -> Bool { k < b && flags[k].contains(.whitespace) }
    /// `[^\s\p{L}\p{N}]` of a defined scalar (llama.cpp: flags not 0).
    private func other(_ k: Int, _ b: Int) -> Bool {
        k < b && flags[k].contains(.defined) && flags[k].isDisjoint(with: [.whitespace, .letter, .number])
    }

    /// The contraction at `i` (`'s 't 'm 'd` / `'re 've 'll`, lowercase only unless `anyCase`): its end, or nil.
    private func contraction(_ i: Int, _ b: Int, anyCase: Bool) -> Int? {
        guard scalars[i] == 0x27, i + 1 < b else { return nil }
        func lower(_ k: Int) -> UInt32 {
            let c = scalars[k]
            return anyCase && c >= 0x41 && c <= 0x5A ? c | 0x20 : c
        }
        let c1 = lower(i + 1)
        if c1 == 0x73 || c1 == 0x74 || c1 == 0x6D || c1 == 0x64 { return i + 2 }
        if i + 2 < b {
            let c2 = lower(i + 2)
            if (c1 == 0x72 && c2 == 0x65) || (c1 == 0x76 && c2 == 0x65) || (c1 == 0x6C && c2 == 0x6C) { return i + 3 }
        }
        return nil
    }

    /// llama.cpp's `unicode_regex_split_custom_gpt2` over `a..<b`.
    func gpt2(_ a: Int, _ b: Int, _ out: inout [Int]) {
        var pos = a
        while pos < b {
            if let end = contraction(pos, b, anyCase: false) {
                out.append(end)
                pos = end
                continue
            }
            let isSpace = scalars[pos] == 0x20
            let probe = isSpace ? pos + 1 : pos
            if letter(probe, b) {
                var k = probe
                while letter(k, b) { k += 1 }
                out.append(k)
                pos = k
                continue
            }
            if number(probe, b) {
                var k = probe
                while number(k, b) { k += 1 }
                out.append(k)
                pos = k
                continue
            }
            if other(probe, b) {
                var k = probe
                while other(k, b) { k += 1 }
                out.append(k)
                pos = k
                continue
            }
            var n = 0
            while space(pos + n, b) { n += 1 }
            if n > 1 && pos + n < b {  // \s+(?!\S): all but the last whitespace
                pos += n - 1
            } else if n > 0 {  // \s+
                pos += n
            } else {  // no match
                pos += 1
            }
            out.append(pos)
        }
    }

    /// llama.cpp's `unicode_regex_split_custom_llama3` (`maxDigits` 3) and `_qwen2` (`maxDigits` 1) over `a..<b`.
    func llama3(_ a: Int, _ b: Int, _ out: inout [Int], maxDigits: Int) {
        var pos = a
        while pos < b {
            if let end = contraction(pos, b, anyCase: true) {
                out.append(end)
                pos = end
                continue
            }
            let c = scalars[pos]
            // [^\r\n\p{L}\p{N}]?\p{L}+
            if c != 0x0D && c != 0x0A && !number(pos, b) && (letter(pos, b) || letter(pos + 1, b)) {
                var k = pos + 1
                while letter(k, b) { k += 1 }
                out.append(k)
                pos = k
                continue
            }
            // \p{N}{1,maxDigits}
            if number(pos, b) {
                var k = pos
                while number(k, b) && k - pos < maxDigits { k += 1 }
                out.append(k)
                pos = k
                continue
            }
            // ' ?[^\s\p{L}\p{N}]+[\r\n]*' (llama.cpp tests the first scalar's own flags for being defined)
            let probe = c == 0x20 ? pos + 1 : pos
            if other(probe, b) && flags[pos].contains(.defined) {
                var k = probe
                while other(k, b) { k += 1 }
                while k < b && (scalars[k] == 0x0D || scalars[k] == 0x0A) { k += 1 }
                out.append(k)
                pos = k
                continue
            }
            var n = 0
            var lastNewline = -1
            while space(pos + n, b) {
                if scalars[pos + n] == 0x0D || scalars[pos + n] == 0x0A { lastNewline = pos + n + 1 }
                n += 1
            }
            if lastNewline >= 0 {  // \s*[\r\n]+
                pos = lastNewline
            } else if n > 1 && pos + n < b {  // \s+(?!\S)
                pos += n - 1
            } else if n > 0 {  // \s+
                pos += n
            } else {
                pos += 1
            }
            out.append(pos)
        }
    }
}

/// The scalar flags llama.cpp's splitters use (`unicode_cpt_flags`): letter `\p{L}`, number `\p{N}`, whitespace,
/// punctuation `\p{P}`, and whether the scalar is assigned at all.
struct LlamaFlags: OptionSet, Sendable {
    let rawValue: UInt8
    static let letter = LlamaFlags(rawValue: 1)
    static let number = LlamaFlags(rawValue: 2)
    static let whitespace = LlamaFlags(rawValue: 4)
    static let punctuation = LlamaFlags(rawValue: 8)
    static let defined = LlamaFlags(rawValue: 16)

    /// Flags of a scalar given its o200k class (letters, numbers and whitespace as there).
    static func of(_ scalar: UInt32, _ c: ScalarClass) -> LlamaFlags {
        if scalar < 128 { return ascii[Int(scalar)] }
        var f: LlamaFlags = []
        if c.contains(.letter) { f.insert(.letter) }
        if c.contains(.number) { f.insert(.number) }
        if c.contains(.whitespace) { f.insert(.whitespace) }
        if let s = Unicode.Scalar(scalar) {
            switch s.properties.generalCategory {
            case .unassigned: break
            case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation,
                .finalPunctuation, .otherPunctuation:
                f.formUnion([.punctuation, .defined])
            default: f.insert(.defined)
            }
        }
        return f
    }

    static let ascii: [LlamaFlags] = (0..<128).map { v in
        let s = Unicode.Scalar(UInt8(v))
        var f: LlamaFlags = [.defined]
        let c = ScalarClass.ascii[v]
        if c.contains(.letter) { f.insert(.letter) }
        if c.contains(.number) { f.insert(.number) }
        if c.contains(.whitespace) { f.insert(.whitespace) }
        switch s.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation,
            .finalPunctuation, .otherPunctuation:
            f.insert(.punctuation)
        default: break
        }
        return f
    }
}

extension BPEPreTokenizer {
    /// The pieces of `text` (for tests and inspection; tokenizing does not build strings).
    public func pieces(_ text: String) -> [String] {
        var scalars: [UInt32] = []
        var classes: [ScalarClass] = []
        var offsets: [Int32] = []
        var text = text
        return text.withUTF8 { bytes -> [String] in
            _ = UTF8Scanner.scan(bytes, scalars: &scalars, classes: &classes, offsets: &offsets)
            let flags = zip(scalars, classes).map { LlamaFlags.of($0, $1) }
            var ends: [Int] = []
            var scratch: [Int] = []
            scalars.withUnsafeBufferPointer { s in
                classes.withUnsafeBufferPointer { c in
                    flags.withUnsafeBufferPointer { f in
                        split(ScalarView(scalars: s, classes: c, flags: f), into: &ends, scratch: &scratch)
                    }
                }
            }
            var start = 0
            return ends.compactMap { end in
                defer { start = end }
                guard end > start else { return nil }
                return String(decoding: bytes[Int(offsets[start])..<Int(offsets[end])], as: UTF8.self)
            }
        }
    }
}
