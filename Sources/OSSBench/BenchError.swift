/// Errors of the benchmark suite: always name the parameter, file or cell and the reason.
public enum BenchError: Error, Equatable, CustomStringConvertible {
    /// A command-line vector parameter that does not parse (`--threads 1-x`).
    case invalidParameter(name: String, value: String, reason: String)
    /// A results file that cannot be read or parsed.
    case invalidResults(file: String, reason: String)
    /// A model preset or directory that cannot be found or loaded.
    case model(String)
    /// A probe or an op that failed while measuring.
    case measurement(cell: String, reason: String)
    /// A file that could not be written.
    case io(path: String, reason: String)

    public var description: String {
        switch self {
        case let .invalidParameter(name, value, reason): return "--\(name) '\(value)': \(reason)"
        case let .invalidResults(file, reason): return "\(file): \(reason)"
        case let .model(reason): return "model: \(reason)"
        case let .measurement(cell, reason): return "\(cell): \(reason)"
        case let .io(path, reason): return "\(path): \(reason)"
        }
    }
}
