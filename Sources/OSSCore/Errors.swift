/// Errors raised by ops: always name the op and the shapes involved.
public enum BackendError: Error, Equatable, CustomStringConvertible {
    /// Shapes that do not fit together (`op`, human-readable detail with every shape involved).
    case shapeMismatch(op: String, detail: String)
    /// The backend has no kernel for this op/dtype combination.
    case unsupported(op: String, detail: String)
    /// An empty dimension reached an op that needs at least one element.
    case emptyInput(op: String, detail: String)
    /// An argument out of range (token id ≥ vocab, k > n, position beyond the cache, …).
    case invalidArgument(op: String, detail: String)

    public var description: String {
        switch self {
        case .shapeMismatch(let op, let d): return "\(op): shape mismatch: \(d)"
        case .unsupported(let op, let d): return "\(op): unsupported: \(d)"
        case .emptyInput(let op, let d): return "\(op): empty input: \(d)"
        case .invalidArgument(let op, let d): return "\(op): invalid argument: \(d)"
        }
    }
}

/// General errors of the core types (shape validation, buffer sizes).
public enum OSSError: Error, Equatable, CustomStringConvertible {
    case invalidShape(String)
    case invalidWeight(String)

    public var description: String {
        switch self {
        case .invalidShape(let s): return "invalid shape: \(s)"
        case .invalidWeight(let s): return "invalid weight: \(s)"
        }
    }
}
