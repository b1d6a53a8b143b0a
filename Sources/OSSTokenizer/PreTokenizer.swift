/// The o200k pre-tokenizer: splits text into the pieces tiktoken's pattern matches, without a regex engine.
///
/// Pattern (exact, gpt-oss.md §5), alternatives tried left to right at each position, each greedy with backtracking:
/// ```
/// 1 [^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?
/// 2 [^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?
/// 3 \p{N}{1,3}
/// 4  ?[^\s\p{L}\p{N}]+[\r\n/]*
/// 5 \s*[\r\n]+
/// 6 \s+(?!\S)
/// 7 \s+
/// ```
/// Every scalar is a letter (alternatives 1–2), a number (3), whitespace (7) or neither (4), so the matches tile the
/// text: each piece starts where the previous one ended.
struct PreTokenizer {
    /// Per-scalar classes of the text being split.
    let classes: UnsafeBufferPointer<ScalarClass>
    /// Scalar values, for the case-insensitive contraction suffixes.
    let scalars: UnsafeBufferPointer<UInt32>

    /// Length in scalars of the match that starts at scalar `i` (always ≥ 1 for i < count).
    func matchLength(at i: Int) -> Int {
        let n = classes.count
        let c = classes[i]
        // Alternatives 1 and 2 can only start with a word-prefix character or a letter/mark; the backtracking order
        // is 1 with the prefix, 1 without, 2 with, 2 without (the prefix and a mark can be the same character).
        let prefixed = c.contains(.wordPrefix)
        if prefixed || c.contains(.upperRun) || c.contains(.lowerRun) {
            if prefixed, let end = lowerWordMatch(from: i + 1) { return end - i }
            if let end = lowerWordMatch(from: i) { return end - i }
            if prefixed, let end = upperWordMatch(from: i + 1) { return end - i }
            if let end = upperWordMatch(from: i) { return end - i }
        }
        // 3: \p{N}{1,3}
        if c.contains(.number) {
            var j = i + 1
            while j < n && j < i + 3 && classes[j].contains(.number) { j += 1 }
            return j - i
        }
        // 4: ` ?[^\s\p{L}\p{N}]+[\r\n/]*`
        var start4 = -1
        if c.contains(.space) && i + 1 < n && classes[i + 1].contains(.punctuation) {
            start4 = i + 1
        } else if c.contains(.punctuation) {
            start4 = i
        }
        if start4 >= 0 {
            var j = start4
            while j < n && classes[j].contains(.punctuation) { j += 1 }
            while j < n && classes[j].contains(.punctuationTail) { j += 1 }
            return j - i
        }
        // 5–7 need whitespace at i.
        if c.contains(.whitespace) {
            var end = i
            var lastNewline = -1
            while end < n && classes[end].contains(.whitespace) {
                if classes[end].contains(.newline) { lastNewline = end }
                end += 1
            }
            // 5: `\s*[\r\n]+`: \s* backs off to the last newline of the run; [\r\n]+ then takes that one.
            if lastNewline >= 0 { return lastNewline + 1 - i }
            // 6: `\s+(?!\S)`: the whole run at the end of text, else the run minus its last character.
            if end == n { return end - i }
            if end - i >= 2 { return end - 1 - i }
            // 7: `\s+`
            return end - i
        }
        // Unreachable by the class partition above; one scalar keeps the tiling total.
        return 1
    }

    /// Alternative 1 after its optional prefix, from `j`: `U* W+ contraction?`; the end of the match, or nil.
    @inline(__always)
    private func lowerWordMatch(from j: Int) -> Int? {
        let n = classes.count
        guard j < n else { return nil }
        var k = j
        while k < n && classes[k].contains(.upperRun) { k += 1 }
        // U* backs off one character at a time until a W character follows; W+ then runs greedily.
        var split = k
        while true {
            if split < n && classes[split].contains(.lowerRun) {
                var e = split + 1
                while e < n && classes[e].contains(.lowerRun) { e += 1 }
                return contractionEnd(from: e)
            }
            if split == j { return nil }
            split -= 1
        }
    }

    /// Alternative 2 after its optional prefix, from `j`: `U+ W* contraction?`; the end of the match, or nil.
    @inline(__always)
    private func upperWordMatch(from j: Int) -> Int? {
        let n = classes.count
        var k = j
        while k < n && classes[k].contains(.upperRun) { k += 1 }
        guard k > j else { return nil }
        while k < n && classes[k].contains(.lowerRun) { k += 1 }
        return contractionEnd(from: k)
    }

    /// `(?i:'s|'t|'re|'ve|'m|'ll|'d)?` at `e`: the end after the suffix, or `e`.
    /// Case-insensitive as in the Rust regex crate (simple case folding: 's' also matches U+017F LONG S).
    @inline(__always)
    private func contractionEnd(from e: Int) -> Int {
        let n = scalars.count
        guard e + 1 < n, scalars[e] == 0x27 else { return e }
        let a = scalars[e + 1] | 0x20
        switch a {
        case 0x73, 0x74, 0x6D, 0x64:  // s t m d
            if scalars[e + 1] < 0x80 { return e + 2 }
        default: break
        }
        if scalars[e + 1] == 0x17F { return e + 2 }  // ſ folds to s
        if e + 2 < n, scalars[e + 1] < 0x80, scalars[e + 2] < 0x80 {
            let b = scalars[e + 2] | 0x20
            // re ve ll
            if (a == 0x72 && b == 0x65) || (a == 0x76 && b == 0x65) || (a == 0x6C && b == 0x6C) { return e + 3 }
        }
        return e
    }
}
