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
        case .invalidParameter(let name, let value, let reason): return "--\(name) '\(value)': \(reason)"
        case .invalidResults(let file, let reason): return "\(file): \(reason)"
        case .model(let reason): return "model: \(reason)"
        case .measurement(let cell, let reason): return "\(cell): \(reason)"
        case .io(let path, let reason): return "\(path): \(reason)"
        }
    }
}
