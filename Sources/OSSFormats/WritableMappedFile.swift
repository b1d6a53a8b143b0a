import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An output file of known size written through a shared read-write mapping, so multi-GB files never sit in
/// process memory. Written to a temporary name next to the target and renamed into place by ``commit()``;
/// ``discard()`` (or dropping it uncommitted) removes the temporary file.
final class WritableMappedFile {
    let url: URL
    let size: Int
    /// First byte of the mapping (`size` bytes).
    let base: UnsafeMutableRawPointer
    private let temporaryPath: String
    private var fd: Int32
    private var mapped: Bool
    private var finished = false

    /// Creates `url`'s temporary sibling with `size` bytes (space reserved up front where the file system allows,
    /// so a full disk is an error here rather than a fault while filling) and maps it.
    init(url: URL, size: Int) throws(MappedFileError) {
        guard size > 0 else { throw MappedFileError(operation: "create", reason: "output size must be positive") }
        let temporaryPath = url.path + ".partial-\(getpid())-\(UUID().uuidString)"
        let fd = open(temporaryPath, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw MappedFileError(operation: "open", reason: String(cString: strerror(errno))) }
        func fail(_ operation: String, _ code: Int32) -> MappedFileError {
            let reason = String(cString: strerror(code))
            close(fd)
            unlink(temporaryPath)
            return MappedFileError(operation: operation, reason: reason)
        }
        #if os(Linux)
            let rc = posix_fallocate(fd, 0, off_t(size))
            if rc != 0 && rc != EOPNOTSUPP && rc != EINVAL { throw fail("posix_fallocate(\(size) bytes)", rc) }
        #endif
        guard ftruncate(fd, off_t(size)) == 0 else { throw fail("ftruncate(\(size) bytes)", errno) }
        let p = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)
        guard let p, p != MAP_FAILED else { throw fail("mmap", errno) }
        self.url = url
        self.size = size
        self.temporaryPath = temporaryPath
        self.fd = fd
        self.base = p
        self.mapped = true
    }

    /// All bytes of the output.
    var bytes: UnsafeMutableRawBufferPointer { UnsafeMutableRawBufferPointer(start: base, count: size) }

    /// Flushes the mapping to the file (`msync(MS_SYNC)`, so write-back errors surface here), unmaps it and renames
    /// the temporary file to `url`.
    func commit() throws(MappedFileError) {
        guard !finished else { return }
        if msync(base, size, MS_SYNC) != 0 {
            let reason = String(cString: strerror(errno))
            cleanUp()
            throw MappedFileError(operation: "msync", reason: reason)
        }
        munmap(base, size)
        mapped = false
        if close(fd) != 0 {
            let reason = String(cString: strerror(errno))
            fd = -1
            cleanUp()
            throw MappedFileError(operation: "close", reason: reason)
        }
        fd = -1
        if rename(temporaryPath, url.path) != 0 {
            let reason = String(cString: strerror(errno))
            cleanUp()
            throw MappedFileError(operation: "rename to \(url.path)", reason: reason)
        }
        finished = true
    }

    /// Unmaps and deletes the temporary file without touching `url`.
    func discard() { cleanUp() }

    private func cleanUp() {
        guard !finished else { return }
        if mapped {
            munmap(base, size)
            mapped = false
        }
        if fd >= 0 {
            close(fd)
            fd = -1
        }
        unlink(temporaryPath)
        finished = true
    }

    deinit { cleanUp() }
}
