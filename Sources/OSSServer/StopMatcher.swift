/// Cuts generated text at the first of the request's stop strings, holding back text that may be the start of one
/// (so a stop string split across tokens is still found and never shown).
struct StopMatcher {
    let stops: [String]
    private var held = ""
    private(set) var stopped = false

    init(_ stops: [String]) { self.stops = stops }

    /// Text that can be shown now; sets `stopped` when a stop string was found (the text before it is returned).
    mutating func feed(_ text: String) -> String {
        guard !stops.isEmpty else { return text }
        guard !stopped else { return "" }
        let buffer = held + text
        var cut: String.Index?
        for s in stops {
            if let r = buffer.range(of: s), cut.map({ r.lowerBound < $0 }) ?? true { cut = r.lowerBound }
        }
        if let cut {
            stopped = true
            held = ""
            return String(buffer[..<cut])
        }
        // keep the longest suffix that is a proper prefix of a stop string
        var keep = 0
        for s in stops {
            var n = min(s.count - 1, buffer.count)
            while n > keep {
                if buffer.hasSuffix(s.prefix(n)) {
                    keep = n
                    break
                }
                n -= 1
            }
        }
        let split = buffer.index(buffer.endIndex, offsetBy: -keep)
        held = String(buffer[split...])
        return String(buffer[..<split])
    }

    /// Text still held back (the stream ended without a stop string).
    mutating func flush() -> String {
        defer { held = "" }
        return stopped ? "" : held
    }
}
