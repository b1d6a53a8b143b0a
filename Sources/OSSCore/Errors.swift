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
        case let .shapeMismatch(op, d): return "\(op): shape mismatch: \(d)"
        case let .unsupported(op, d): return "\(op): unsupported: \(d)"
        case let .emptyInput(op, d): return "\(op): empty input: \(d)"
        case let .invalidArgument(op, d): return "\(op): invalid argument: \(d)"
        }
    }
}

/// General errors of the core types (shape validation, buffer sizes).
public enum OSSError: Error, Equatable, CustomStringConvertible {
    case invalidShape(String)
    case invalidWeight(String)

    public var description: String {
        switch self {
        case let .invalidShape(s): return "invalid shape: \(s)"
        case let .invalidWeight(s): return "invalid weight: \(s)"
        }
    }
}
