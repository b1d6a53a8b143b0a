import OSSCore

/// How the suite makes one backend under test: a label for case names, a constructor taking a thread count, and
/// optional hooks run around every op call (e.g. a global switch forcing a backend's portable scalar kernels).
struct BackendFactory: Sendable {
    let label: String
    let make: @Sendable (_ threads: Int) throws -> any Backend
    let enter: @Sendable () -> Void
    let leave: @Sendable () -> Void

    init(
        _ label: String, enter: @escaping @Sendable () -> Void = {}, leave: @escaping @Sendable () -> Void = {},
        make: @escaping @Sendable (_ threads: Int) throws -> any Backend
    ) {
        self.label = label
        self.make = make
        self.enter = enter
        self.leave = leave
    }
}

/// One backend instance with a fixed thread count, built once and reused by every case.
struct BackendRunner: Sendable {
    let factory: BackendFactory
    let threads: Int
    let backend: Result<any Backend, any Error>

    init(_ factory: BackendFactory, threads: Int) {
        self.factory = factory
        self.threads = threads
        backend = Result { try factory.make(threads) }
    }

    var label: String { factory.label }

    /// Runs `body` on the backend between the factory's `enter` and `leave` hooks.
    func run<R>(_ body: (any Backend) throws -> R) throws -> R {
        let b = try backend.get()
        factory.enter()
        defer { factory.leave() }
        return try body(b)
    }
}
