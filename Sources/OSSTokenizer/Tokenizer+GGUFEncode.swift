extension Tokenizer {
    /// A piece of text being tokenized: raw bytes `start..<end` of the input, or a special token already split out.
    private enum Fragment {
        case text(Int, Int)
        case token(Int32)
    }

    /// llama.cpp's `tokenize` for the GGUF engines (valid UTF-8 in, no BOS/EOS): specials split out first
    /// (`tokenizer_st_partition`; control and unknown tokens only with `parseSpecial`), then each text fragment
    /// through the engine.
    func encodeGGUF(_ bytes: UnsafeBufferPointer<UInt8>, parseSpecial: Bool) -> [Int32] {
        var output: [Int32] = []
        output.reserveCapacity(bytes.count / 3 + 4)
        var scratch = EncoderScratch()
        var previousWasSpecial = true  // SentencePiece: a space prefix before the first fragment
        for fragment in partitioned(bytes, parseSpecial: parseSpecial) {
            switch fragment {
            case .token(let id):
                output.append(id)
                previousWasSpecial = true
            case .text(let start, let end):
                let text = UnsafeBufferPointer(rebasing: bytes[start..<end])
                switch engine {
                case .tiktoken:
                    break
                case .bpe(let merges, let splitter, let ignoreMerges):
                    encodeBPE(text, merges, splitter, ignoreMerges, &scratch, &output)
                case .sentencePiece(let model, let addSpacePrefix):
                    // Spaces become ▁ (U+2581), with one in front when asked.
                    scratch.escaped.removeAll(keepingCapacity: true)
                    if addSpacePrefix && previousWasSpecial { scratch.escaped += [0xE2, 0x96, 0x81] }
                    for b in text {
                        if b == 0x20 { scratch.escaped += [0xE2, 0x96, 0x81] } else { scratch.escaped.append(b) }
                    }
                    let escaped = scratch.escaped
                    escaped.withUnsafeBufferPointer { model.encode($0, scratch: &scratch.merge, into: &output) }
                }
                previousWasSpecial = false
            }
        }
        return output
    }

    /// One text fragment through the pre-tokenizer and the ranked merges.
    private func encodeBPE(
        _ text: UnsafeBufferPointer<UInt8>, _ merges: BPEMerges, _ splitter: BPEPreTokenizer,
        _ ignoreMerges: Bool, _ scratch: inout EncoderScratch, _ output: inout [Int32]
    ) {
        guard !text.isEmpty, let base = text.baseAddress else { return }
        _ = UTF8Scanner.scan(text, scalars: &scratch.scalars, classes: &scratch.classes, offsets: &scratch.offsets)
        scratch.flags.removeAll(keepingCapacity: true)
        for (v, c) in zip(scratch.scalars, scratch.classes) { scratch.flags.append(LlamaFlags.of(v, c)) }
        scratch.scalars.withUnsafeBufferPointer { scalars in
            scratch.classes.withUnsafeBufferPointer { classes in
                scratch.flags.withUnsafeBufferPointer { flags in
                    let view = ScalarView(scalars: scalars, classes: classes, flags: flags)
                    splitter.split(view, into: &scratch.ends, scratch: &scratch.endsScratch)
                }
            }
        }
        var start = 0
        for end in scratch.ends {
            let s = Int(scratch.offsets[start])
            let e = Int(scratch.offsets[end])
            start = end
            guard e > s else { continue }
            if ignoreMerges {
                let whole = table.rank(base + s, e - s)
                if whole >= 0 {
                    output.append(whole)
                    continue
                }
            }
            merges.encode(UnsafeBufferPointer(start: base + s, count: e - s), scratch: &scratch.merge, into: &output)
        }
    }

    /// Splits `bytes` at every occurrence of each special, longest special first, as llama.cpp does.
    private func partitioned(_ bytes: UnsafeBufferPointer<UInt8>, parseSpecial: Bool) -> [Fragment] {
        var fragments: [Fragment] = bytes.isEmpty ? [] : [.text(0, bytes.count)]
        guard let base = bytes.baseAddress else { return fragments }
        for special in partition where parseSpecial || special.always {
            let pattern = special.bytes
            let m = pattern.count
            guard m > 0 else { continue }
            var next: [Fragment] = []
            next.reserveCapacity(fragments.count)
            for fragment in fragments {
                guard case .text(let start, let end) = fragment else {
                    next.append(fragment)
                    continue
                }
                var i = start
                var last = start
                pattern.withUnsafeBufferPointer { p in
                    while i + m <= end {
                        if base[i] == p[0] && memoryEqual(base + i, p.baseAddress!, m) {
                            if i > last { next.append(.text(last, i)) }
                            next.append(.token(special.id))
                            i += m
                            last = i
                        } else {
                            i += 1
                        }
                    }
                }
                if last < end { next.append(.text(last, end)) }
            }
            fragments = next
        }
        return fragments
    }
}
