#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What the kernel says about 2 MiB pages in this process (`/proc/self/smaps`, Linux).
public enum HugePages {
    /// Bytes of the mappings lying inside [`start`, `start` + `length`) (rounded up to whole 4 KiB pages) that are
    /// mapped through 2 MiB pages: page-cache folios mapped whole (`FilePmdMapped`) plus anonymous transparent huge
    /// pages (`AnonHugePages`). nil where the kernel does not report them (no smaps, or no mapping in the range).
    public static func mappedBytes(start: UnsafeRawPointer, length: Int) -> Int? {
        guard let smaps = readProcFile("/proc/self/smaps") else { return nil }
        let lo = UInt(bitPattern: start)
        let hi = lo + UInt((length + 4095) / 4096 * 4096)
        var inside = false
        var kB = 0
        var seen = false
        for line in smaps.split(separator: "\n", omittingEmptySubsequences: true) {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard let key = fields.first else { continue }
            if !key.hasSuffix(":"), let dash = key.firstIndex(of: "-"),
                let first = UInt(key[..<dash], radix: 16), let end = UInt(key[key.index(after: dash)...], radix: 16)
            {
                inside = first >= lo && end <= hi  // a mapping header line: "start-end perms offset dev inode path"
            } else if inside, key == "FilePmdMapped:" || key == "AnonHugePages:", fields.count >= 2,
                let v = Int(fields[1])
            {
                kB += v
                seen = true
            }
        }
        return seen ? kB * 1024 : nil
    }

    /// Asks the kernel to back [`start`, `start` + `length`) of anonymous memory with 2 MiB pages now
    /// (`MADV_COLLAPSE`, Linux 6.1: synchronous, compacting memory if it must); false where it refuses.
    @discardableResult
    public static func collapse(start: UnsafeMutableRawPointer, length: Int) -> Bool {
        #if os(Linux)
            let madvCollapse: Int32 = 25  // MADV_COLLAPSE (Linux 6.1)
            return madvise(start, length, madvCollapse) == 0
        #else
            return false
        #endif
    }

    /// The whole text of a /proc file (which reports size 0, so it is read until EOF); nil when it cannot be opened.
    static func readProcFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var data = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { break }
            data += chunk[0..<n]
        }
        return String(decoding: data, as: UTF8.self)
    }
}
