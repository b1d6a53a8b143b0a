extension JSONValue {
    /// Compact JSON text (members in order, no spaces; integers as written, other numbers in Swift's shortest
    /// round-trip form; non-finite numbers become null, which JSON cannot spell).
    public var serialized: String {
        var out = ""
        serialize(into: &out)
        return out
    }

    public func serialize(into out: inout String) {
        switch self {
        case .object(let members):
            out += "{"
            for (i, m) in members.enumerated() {
                if i > 0 { out += "," }
                out += JSONValue.quoted(m.key)
                out += ":"
                m.value.serialize(into: &out)
            }
            out += "}"
        case .array(let items):
            out += "["
            for (i, v) in items.enumerated() {
                if i > 0 { out += "," }
                v.serialize(into: &out)
            }
            out += "]"
        case .string(let s): out += JSONValue.quoted(s)
        case .integer(let i): out += String(i)
        case .number(let d): out += d.isFinite ? "\(d)" : "null"
        case .bool(let b): out += b ? "true" : "false"
        case .null: out += "null"
        }
    }

    /// Builds an object from key–value pairs, leaving out nil values.
    public static func make(_ pairs: KeyValuePairs<String, JSONValue?>) -> JSONValue {
        .object(pairs.compactMap { k, v in v.map { JSONMember(key: k, value: $0) } })
    }
}
