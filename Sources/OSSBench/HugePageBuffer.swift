import OSSFormats

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Zeroed anonymous memory starting at a 2 MiB boundary and asking for transparent huge pages (`MADV_HUGEPAGE`), the
/// pages that mapped model weights, the DRAM probe's buffer and the paired read sit on: a benchmark's weights and
/// reads stream at the bandwidth the model sees (on this VM 4 KiB pages read 20–50% slower through nested paging).
/// Owns the mapping; the bytes live as long as the buffer.
final class HugePageBuffer: @unchecked Sendable {
    /// The usable bytes, `count` of them from a 2 MiB boundary.
    let start: UnsafeMutableRawPointer
    let count: Int
    private let raw: UnsafeMutableRawPointer
    private let length: Int

    /// Maps `count` bytes (at least 1); throws `BenchError.measurement` naming `what` when the memory cannot be had.
    init(count: Int, what: String) throws {
        let huge = 2 << 20
        self.count = max(count, 1)
        length = self.count + huge
        guard let p = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), p != MAP_FAILED
        else { throw BenchError.measurement(cell: what, reason: "cannot map \(self.count) bytes") }
        raw = p
        start = UnsafeMutableRawPointer(bitPattern: (Int(bitPattern: p) + huge - 1) / huge * huge)!
        #if os(Linux)
            _ = madvise(start, self.count, MADV_HUGEPAGE)
        #endif
    }

    deinit { munmap(raw, length) }

    /// Share of the buffer on 2 MiB pages now; nil where the kernel does not report it.
    var hugePageFraction: Double? {
        HugePages.mappedBytes(start: UnsafeRawPointer(raw), length: length).map { min(1, Double($0) / Double(count)) }
    }

    /// After the first touch: where memory full of page cache gave the faults 4 KiB pages (below 90% huge), asks the
    /// kernel to collapse the buffer into 2 MiB pages (`MADV_COLLAPSE`; nothing where it refuses).
    func collapseIfFragmented() {
        if let share = hugePageFraction, share < 0.9 { HugePages.collapse(start: start, length: count) }
    }
}
