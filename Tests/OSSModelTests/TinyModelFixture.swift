import Foundation
import OSSCore
import OSSModel
import SwiftBackend
import BLASBackend

/// Temporary directories with the §6 tiny checkpoint, written once per test process per layout.
enum TinyModelFixture {
    /// The 12 test tokens of §6: `(37t + 11) mod 1024`.
    static let tokens: [Int32] = (0..<12).map { Int32((37 * $0 + 11) % 1024) }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var written: [CheckpointLayout: URL] = [:]

    /// A directory holding the tiny preset in `layout` (written on first use, reused after).
    static func directory(_ layout: CheckpointLayout) throws -> URL {
        lock.lock()
        defer { lock.unlock() }
        if let url = written[layout] { return url }
        let url = try temporaryDirectory("tiny-\(layout.rawValue)")
        try SyntheticModel.write(.tiny, to: url, layout: layout)
        written[layout] = url
        return url
    }

    /// A fresh empty directory under the system temp dir.
    static func temporaryDirectory(_ tag: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("ossmodel-tests-\(ProcessInfo.processInfo.processIdentifier)-\(tag)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Both built-in backends at two threads (the tests must pass on a loaded 2-core machine).
    static var backends: [any Backend] { [SwiftBackend(threads: 2), BLASBackend(threads: 2)] }
}
