import Foundation

/// How a model file's bytes reach memory, chosen when the file is opened (`--mlock`, `--no-mmap` on the model
/// commands; `--residency` on `oss bench`).
///
/// - `mmap`: map the file; pages come from the page cache on first touch (fastest start, no copy; the first pass over
///   the weights faults them in, and under memory pressure the kernel may evict them and fault them in again).
/// - `prefault`: map, then bring every page in before use (`MADV_WILLNEED` + `MADV_POPULATE_READ`, or a touch pass on
///   kernels without it): no page faults while decoding once loaded, but still evictable.
/// - `mlock`: prefault and pin (`mlock`): resident until the model is released; needs `ulimit -l` ≥ the file size.
/// - `anonymous` (`no-mmap`): read the file into anonymous memory backed by transparent huge pages
///   (`MADV_HUGEPAGE`), releasing the page cache behind the read: independent of the page cache afterwards (no swap
///   means it cannot be evicted), fewer TLB misses, at the cost of a full read at load and the file's size in RAM.
/// - `anonymous4K` (`no-mmap-4k`): the same on 4 KiB pages (`MADV_NOHUGEPAGE`), to measure what huge pages give.
public enum WeightResidency: String, CaseIterable, Sendable, Codable {
    case mmap
    case prefault
    case mlock
    case anonymous = "no-mmap"
    case anonymous4K = "no-mmap-4k"

    /// Whether the bytes live in a copy rather than the file mapping.
    public var copies: Bool { self == .anonymous || self == .anonymous4K }
}

extension WeightResidency {
    /// Drops each file's pages from the page cache where they are clean and not mapped elsewhere
    /// (`POSIX_FADV_DONTNEED`, no root needed), so the next open reads them from disk: how benchmarks measure a cold
    /// start. Files that cannot be opened are skipped.
    public static func evictFromPageCache(_ files: [URL]) {
        for url in files { MappedFile.evictFromPageCache(url: url) }
    }
}
