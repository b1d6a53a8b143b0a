/// A property a fuzz target must keep that one input broke (the fuzzer saves that input as a crash).
public struct FuzzFailure: Error, CustomStringConvertible {
    public let target: String
    public let property: String

    public init(target: String, property: String) {
        self.target = target
        self.property = property
    }

    public var description: String { "fuzz target \(target): \(property)" }
}

/// What a target made of one input (replays count them, so a corpus shows how much of it gets past the checks).
public enum FuzzOutcome: Equatable, Sendable {
    /// The parser accepted the input and every property of the result held.
    case accepted
    /// The parser rejected the input with this typed error message.
    case rejected(String)
}

/// The properties' checks, shared by every target.
struct FuzzCheck {
    let target: String

    /// Throws `property` as a failure unless `condition` holds.
    func require(_ condition: Bool, _ property: @autoclosure () -> String) throws(FuzzFailure) {
        if !condition { throw FuzzFailure(target: target, property: property()) }
    }

    /// An input's error must be one of the target's typed errors, with a non-empty message naming `file` (when the
    /// API takes one): never a stray error of another layer.
    @discardableResult
    func typedError(_ error: any Error, allowed: [any Error.Type], naming file: String?) throws(FuzzFailure)
        -> FuzzOutcome
    {
        try require(
            allowed.contains { ObjectIdentifier($0) == ObjectIdentifier(type(of: error)) },
            "error of type \(type(of: error)), not one of \(allowed.map { "\($0)" }): \(error)")
        let message = "\(error)"
        try require(!message.isEmpty, "empty error message (\(type(of: error)))")
        if let file { try require(message.contains(file), "error does not name the file \(file): \(message)") }
        return .rejected(message)
    }
}
