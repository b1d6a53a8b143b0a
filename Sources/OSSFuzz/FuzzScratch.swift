import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A private directory for the file-based targets (a parser that maps a file reads the input from there), in
/// `/dev/shm` where it exists so each run costs no disk I/O. Removed when the process ends normally.
final class FuzzScratch: @unchecked Sendable {
    static let shared = FuzzScratch()
    let directory: URL

    private init() {
        let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        directory = URL(fileURLWithPath: base).appendingPathComponent(
            "swiftoss-fuzz-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(at: FuzzScratch.shared.directory) }
    }

    /// A sub-directory (created if missing).
    func subdirectory(_ name: String) -> URL {
        let url = directory.appendingPathComponent(name)
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Writes `bytes` to `url` (replacing it) with plain system calls.
    func write(_ bytes: [UInt8], to url: URL) throws(FuzzFailure) {
        let fd = open(url.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw FuzzFailure(target: "scratch", property: "cannot create \(url.path)") }
        defer { close(fd) }
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + done, bytes.count - done) }
            guard n > 0 else { throw FuzzFailure(target: "scratch", property: "cannot write \(url.path)") }
            done += n
        }
    }
}
