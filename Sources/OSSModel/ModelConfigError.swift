/// A config.json that cannot describe a runnable gpt-oss model. Every case names the file and the key.
public enum ModelConfigError: Error, Equatable, CustomStringConvertible {
    /// The file is missing or unreadable.
    case unreadable(file: String, reason: String)
    /// The file is not well-formed JSON, or its top level is not an object.
    case malformed(file: String, reason: String)
    /// A required key is absent (`key` lists the accepted spellings).
    case missingKey(file: String, key: String)
    /// A key has the wrong JSON type (e.g. a string where a number belongs).
    case wrongType(file: String, key: String, expected: String, found: String)
    /// A value is out of range or inconsistent with another value.
    case invalidValue(file: String, key: String, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let f, let r): return "\(f): cannot read config: \(r)"
        case .malformed(let f, let r): return "\(f): malformed config JSON: \(r)"
        case .missingKey(let f, let k): return "\(f): missing key \(k)"
        case .wrongType(let f, let k, let e, let found): return "\(f): key \(k) must be \(e), found \(found)"
        case .invalidValue(let f, let k, let r): return "\(f): key \(k): \(r)"
        }
    }
}
