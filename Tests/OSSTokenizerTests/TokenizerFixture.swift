import XCTest

@testable import OSSTokenizer

/// The bundled o200k_harmony tokenizer, loaded once for all tests of this target.
enum TokenizerFixture {
    nonisolated(unsafe) private static var cached: Tokenizer?
    private static let lock = NSLock()

    static func o200k() throws -> Tokenizer {
        lock.lock()
        defer { lock.unlock() }
        if let t = cached { return t }
        let t = try Tokenizer.o200kHarmony()
        cached = t
        return t
    }

    /// A fresh temporary directory for files a test writes.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent(
            "oss-tokenizer-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
