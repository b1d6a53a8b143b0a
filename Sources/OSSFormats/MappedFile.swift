#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A whole file mapped read-only (`PROT_READ`, `MAP_PRIVATE`). Unmapped when the last reference goes away, so
/// views handed out (e.g. `WeightTensor.owner`) keep it alive.
///
/// The mapping reflects the file as it is on disk: truncating the file while it is mapped makes later reads of the
/// vanished pages fault (SIGBUS); files are validated once at open and must not be modified while in use.
final class MappedFile: @unchecked Sendable {
    let url: URL
    /// First byte of the file (a valid non-null pointer even for an empty file, which is not mapped).
    let base: UnsafeRawPointer
    /// File size in bytes.
    let size: Int
    private let mapped: Bool

    /// Maps `url`; throws a message for `open`/`fstat`/`mmap` failures or when it is not a regular file.
    init(url: URL) throws(MappedFileError) {
        self.url = url
        let fd = open(url.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw MappedFileError(operation: "open", reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            throw MappedFileError(operation: "fstat", reason: String(cString: strerror(errno)))
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            throw MappedFileError(operation: "open", reason: "not a regular file")
        }
        size = Int(st.st_size)
        if size == 0 {
            base = UnsafeRawPointer(MappedFile.emptyByte)
            mapped = false
            return
        }
        let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let p, p != MAP_FAILED else {
            throw MappedFileError(operation: "mmap", reason: String(cString: strerror(errno)))
        }
        base = UnsafeRawPointer(p)
        mapped = true
    }

    /// All bytes of the file.
    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: size) }

    deinit {
        if mapped { munmap(UnsafeMutableRawPointer(mutating: base), size) }
    }

    /// Stands in for the base address of an empty file (never read: the size is 0).
    private nonisolated(unsafe) static let emptyByte = UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 1)
}

/// A failed system call of ``MappedFile`` or ``WritableMappedFile`` (callers wrap it in their format's error).
struct MappedFileError: Error {
    let operation: String
    let reason: String
}
