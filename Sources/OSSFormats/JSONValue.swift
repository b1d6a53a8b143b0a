/// A parsed JSON value. Objects keep their members in file order, duplicates included, so callers can reject
/// duplicate keys (Foundation's JSONSerialization silently keeps one of them).
enum JSONValue {
    case object([JSONMember])
    case array([JSONValue])
    case string(String)
    /// An integer literal (no fraction, no exponent) that fits in `Int`.
    case integer(Int)
    /// Any other number.
    case number(Double)
    case bool(Bool)
    case null

    /// The JSON type's name, for error messages.
    var typeName: String {
        switch self {
        case .object: return "object"
        case .array: return "array"
        case .string: return "string"
        case .integer, .number: return "number"
        case .bool: return "boolean"
        case .null: return "null"
        }
    }

    /// `s` as a JSON string literal (quotes, backslash and control characters escaped; other text kept as UTF-8).
    static func quoted(_ s: String) -> String {
        var out = "\""
        out.reserveCapacity(s.utf8.count + 2)
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

/// One `"key": value` member of a JSON object.
struct JSONMember {
    let key: String
    let value: JSONValue
}
