import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A whole file, read-only: mapped (`PROT_READ`, `MAP_PRIVATE`), or copied into anonymous memory, as the
/// ``WeightResidency`` asks. Unmapped when the last reference goes away, so views handed out (e.g.
/// `WeightTensor.owner`) keep it alive.
///
/// A mapping reflects the file as it is on disk: truncating the file while it is mapped makes later reads of the
/// vanished pages fault (SIGBUS); files are validated once at open and must not be modified while in use.
final class MappedFile: @unchecked Sendable {
    let url: URL
    /// First byte of the file (a valid non-null pointer even for an empty file, which is not mapped).
    let base: UnsafeRawPointer
    /// File size in bytes.
    let size: Int
    /// How the bytes are held.
    let residency: WeightResidency
    /// The region to unmap (the copy's region is larger than `size`: aligned to 2 MiB for huge pages); nil when
    /// nothing was mapped.
    private let region: (start: UnsafeMutableRawPointer, length: Int)?

    /// Huge-page size the copies align to.
    static let hugePage = 2 << 20

    /// Opens `url` with `residency`; throws a message for a failed system call (`open`, `fstat`, `mmap`, `read`,
    /// `mlock`) or when it is not a regular file.
    init(url: URL, residency: WeightResidency = .mmap) throws(MappedFileError) {
        self.url = url
        self.residency = residency
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
            region = nil
            return
        }
        if residency.copies {
            let r = try Self.readCopy(fd: fd, size: size, hugePages: residency == .anonymous)
            region = r.region
            base = r.base
            return
        }
        let p = try Self.mapAligned(fd: fd, size: size)
        // 2 MiB folios: pages read through this mapping come into the page cache as huge folios, mapped whole (one
        // TLB entry per 2 MiB instead of 512); pages already cached in 4 KiB folios stay as they are
        _ = madvise(p, size, MADV_HUGEPAGE)
        base = UnsafeRawPointer(p)
        region = (p, size)
        if residency == .prefault || residency == .mlock { prefault() }
        if residency == .mlock, mlock(p, size) != 0 {
            let reason = String(cString: strerror(errno))
            munmap(p, size)
            throw MappedFileError(
                operation: "mlock", reason: "\(reason) (pinning \(size) bytes needs `ulimit -l` ≥ that)")
        }
    }

    /// Maps the file read-only with its first byte at a 2 MiB boundary, so file offsets and addresses agree modulo a
    /// huge page and the kernel can map 2 MiB page-cache folios whole: reserves `size` + 2 MiB of address space,
    /// maps the file over its aligned part and returns the rest.
    private static func mapAligned(fd: Int32, size: Int) throws(MappedFileError) -> UnsafeMutableRawPointer {
        let length = size + hugePage
        guard let raw = mmap(nil, length, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0),
            raw != MAP_FAILED
        else {
            throw MappedFileError(
                operation: "mmap", reason: "reserving \(length) bytes: \(String(cString: strerror(errno)))")
        }
        let first = Int(bitPattern: raw)
        let aligned = (first + hugePage - 1) / hugePage * hugePage
        guard
            let p = mmap(UnsafeMutableRawPointer(bitPattern: aligned), size, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, 0),
            p != MAP_FAILED
        else {
            let reason = String(cString: strerror(errno))
            munmap(raw, length)
            throw MappedFileError(operation: "mmap", reason: reason)
        }
        let end = aligned + (size + 4095) / 4096 * 4096
        if aligned > first { munmap(raw, aligned - first) }
        if first + length > end { munmap(UnsafeMutableRawPointer(bitPattern: end), first + length - end) }
        return p
    }

    /// Reads the whole file into a new anonymous region aligned to 2 MiB (huge pages when asked), dropping the page
    /// cache behind each chunk read, then makes the region read-only.
    private static func readCopy(fd: Int32, size: Int, hugePages: Bool) throws(MappedFileError)
        -> (region: (start: UnsafeMutableRawPointer, length: Int), base: UnsafeRawPointer)
    {
        let length = size + hugePage
        guard let raw = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
            raw != MAP_FAILED
        else {
            throw MappedFileError(
                operation: "mmap", reason: "anonymous copy of \(size) bytes: \(String(cString: strerror(errno)))")
        }
        let aligned = (Int(bitPattern: raw) + hugePage - 1) / hugePage * hugePage
        let start = UnsafeMutableRawPointer(bitPattern: aligned)!
        _ = madvise(start, size, hugePages ? MADV_HUGEPAGE : MADV_NOHUGEPAGE)
        let chunk = 64 << 20
        var done = 0
        while done < size {
            let n = pread(fd, start + done, min(chunk, size - done), off_t(done))
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                let reason = n == 0 ? "file ended at \(done) of \(size) bytes" : String(cString: strerror(errno))
                munmap(raw, length)
                throw MappedFileError(operation: "read", reason: reason)
            }
            _ = posix_fadvise(fd, off_t(done), off_t(n), Int32(POSIX_FADV_DONTNEED))
            done += n
        }
        _ = mprotect(start, (size + 4095) / 4096 * 4096, PROT_READ)
        return ((raw, length), UnsafeRawPointer(start))
    }

    /// All bytes of the file.
    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: size) }

    /// Brings every page of a mapping into memory now (`MADV_WILLNEED`, then `MADV_POPULATE_READ`; a read of one byte
    /// per page where the kernel lacks it). Nothing to do for a copy. When another large file holds the page cache
    /// (a peer's copy of the weights read twice sits on the active list), pages faulted in once are reclaimed first
    /// and one pass can end with a third of the file gone again (20b: 63% resident); so the pass repeats, at most
    /// three times, while pages are missing: a second touch of the resident ones activates them and brings back the
    /// rest (same test: 100%).
    func prefault() {
        guard let region, !residency.copies else { return }
        for _ in 0..<3 {
            _ = madvise(region.start, region.length, MADV_WILLNEED)
            if madvise(region.start, region.length, Self.madvPopulateRead) != 0 {
                var x: UInt8 = 0
                var i = 0
                while i < size {
                    x ^= base.load(fromByteOffset: i, as: UInt8.self)
                    i += 4096
                }
                Self.sink = x
            }
            if residentFraction >= 0.999 { return }
        }
    }

    /// Share of the file's pages resident in memory now (`mincore`); 1 for a copy or an empty file.
    var residentFraction: Double {
        guard let region, !residency.copies, size > 0 else { return 1 }
        let pages = (size + 4095) / 4096
        var vec = [UInt8](repeating: 0, count: pages)
        guard mincore(region.start, size, &vec) == 0 else { return 0 }
        return Double(vec.reduce(0) { $0 + Int($1 & 1) }) / Double(pages)
    }

    /// Share of the file's bytes mapped through 2 MiB pages now (`FilePmdMapped` of a mapping, `AnonHugePages` of a
    /// copy, from `/proc/self/smaps`); nil where the kernel does not report it, 0 for an empty file.
    var hugePageFraction: Double? {
        guard let region else { return 0 }
        return HugePages.mappedBytes(start: UnsafeRawPointer(region.start), length: region.length)
            .map { min(1, Double($0) / Double(size)) }
    }

    /// Drops the file's pages from the page cache where they are clean and unmapped elsewhere
    /// (`POSIX_FADV_DONTNEED`), so the next run reads them from disk: how a cold start is measured without root.
    static func evictFromPageCache(url: URL) {
        let fd = open(url.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = posix_fadvise(fd, 0, 0, Int32(POSIX_FADV_DONTNEED))
        close(fd)
    }

    deinit {
        if let region { munmap(region.start, region.length) }
    }

    /// `MADV_POPULATE_READ` (Linux 5.14; not in every libc's headers).
    private static let madvPopulateRead: Int32 = 22
    private nonisolated(unsafe) static var sink: UInt8 = 0
    /// Stands in for the base address of an empty file (never read: the size is 0).
    private nonisolated(unsafe) static let emptyByte = UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 1)
}

/// The size-weighted mean of per-file shares (`parts`: share, bytes); nil when any share is nil, nil for no bytes.
func sizeWeightedShare(_ parts: [(share: Double?, bytes: Int)]) -> Double? {
    let total = parts.reduce(0) { $0 + $1.bytes }
    guard total > 0 else { return nil }
    var sum = 0.0
    for p in parts {
        guard let s = p.share else { return nil }
        sum += s * Double(p.bytes)
    }
    return sum / Double(total)
}

/// A failed system call of ``MappedFile`` or ``WritableMappedFile`` (callers wrap it in their format's error).
struct MappedFileError: Error {
    let operation: String
    let reason: String
}
