/// The character classes the o200k pre-tokenizer pattern tests, as a bit set per Unicode scalar.
///
/// Classes follow the Rust `regex` crate (which tiktoken's pattern runs on): `\p{L}` = Lu|Ll|Lt|Lm|Lo,
/// `\p{N}` = Nd|Nl|No, `\p{M}` = Mn|Mc|Me, `\s` = the Unicode `White_Space` property.
struct ScalarClass: OptionSet, Sendable {
    let rawValue: UInt16

    /// `\p{L}`.
    static let letter = ScalarClass(rawValue: 1 << 0)
    /// `\p{N}`.
    static let number = ScalarClass(rawValue: 1 << 1)
    /// `\s`.
    static let whitespace = ScalarClass(rawValue: 1 << 2)
    /// `[\r\n]`.
    static let newline = ScalarClass(rawValue: 1 << 3)
    /// `[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]` — the "upper" run of the word alternatives.
    static let upperRun = ScalarClass(rawValue: 1 << 4)
    /// `[\p{Ll}\p{Lm}\p{Lo}\p{M}]` — the "lower" run of the word alternatives.
    static let lowerRun = ScalarClass(rawValue: 1 << 5)
    /// `[^\r\n\p{L}\p{N}]` — the optional one-character prefix of a word.
    static let wordPrefix = ScalarClass(rawValue: 1 << 6)
    /// `[^\s\p{L}\p{N}]` — punctuation / symbols.
    static let punctuation = ScalarClass(rawValue: 1 << 7)
    /// `[\r\n/]` — the tail after punctuation.
    static let punctuationTail = ScalarClass(rawValue: 1 << 8)
    /// U+0020, the optional space before punctuation.
    static let space = ScalarClass(rawValue: 1 << 9)

    /// The Unicode version of the classes: tiktoken 0.14's regex tables are Unicode 16.0 (checked: a Unicode 16.0
    /// letter such as U+1C89 joins a word there, a 17.0 one such as U+18DCF does not). Swift's own tables are newer,
    /// so scalars assigned after this version are classed as unassigned (Cn), as tiktoken sees them.
    static let unicodeVersion: Unicode.Version = (major: 16, minor: 0)

    /// Classifies one scalar.
    static func of(_ scalar: Unicode.Scalar) -> ScalarClass {
        var c: ScalarClass = []
        var category = scalar.properties.generalCategory
        if scalar.value >= 0x80, category != .unassigned, category != .privateUse, category != .surrogate {
            if let age = scalar.properties.age,
                age.major > unicodeVersion.major
                    || (age.major == unicodeVersion.major && age.minor > unicodeVersion.minor)
            {
                category = .unassigned
            }
        }
        switch category {
        case .uppercaseLetter, .titlecaseLetter: c = [.letter, .upperRun]
        case .lowercaseLetter: c = [.letter, .lowerRun]
        case .modifierLetter, .otherLetter: c = [.letter, .upperRun, .lowerRun]
        case .nonspacingMark, .spacingMark, .enclosingMark: c = [.upperRun, .lowerRun]
        case .decimalNumber, .letterNumber, .otherNumber: c = [.number]
        default: break
        }
        if category != .unassigned && scalar.properties.isWhitespace { c.insert(.whitespace) }
        let v = scalar.value
        if v == 0x0D || v == 0x0A { c.formUnion([.newline, .punctuationTail]) }
        if v == 0x2F { c.insert(.punctuationTail) }
        if v == 0x20 { c.insert(.space) }
        if c.isDisjoint(with: [.newline, .letter, .number]) { c.insert(.wordPrefix) }
        if c.isDisjoint(with: [.whitespace, .letter, .number]) { c.insert(.punctuation) }
        return c
    }

    /// Classes of the 128 ASCII scalars, looked up instead of recomputed.
    static let ascii: [ScalarClass] = (0..<128).map { of(Unicode.Scalar(UInt8($0))) }
}
