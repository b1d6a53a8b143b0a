import CKernels

/// The DRAM read taken next to each e2e decode rep, so a decode's share of the machine's read speed is measured
/// side by side rather than against a probe from minutes before (this VM's bandwidth moves 2× within minutes): one
/// streaming read (`ck_probe_read_once`, the DRAM probe's fastest read kernel at that thread count, our libomp team)
/// of a fixed anonymous buffer far larger than any cache, on transparent huge pages as the DRAM probe's (collapsed
/// into them when the first touch got 4 KiB pages). Allocated and touched once; a read allocates nothing.
final class PairedRead {
    /// Bytes read per call.
    let bytes: Int
    private let buffer: HugePageBuffer
    private var start: UnsafeRawPointer { UnsafeRawPointer(buffer.start) }

    /// Allocates and touches `bytes` (1 GiB by default, at least 4 KiB) on 2 MiB-aligned huge pages where the kernel
    /// gives them; throws `BenchError.measurement` when the memory cannot be had.
    init(bytes: Int = 1 << 30) throws {
        self.bytes = max(bytes, 4096)
        buffer = try HugePageBuffer(count: self.bytes, what: "paired read")
        // distinct bytes on every page (a zero page, or pages the kernel could merge, would not come from DRAM)
        let words = buffer.start.bindMemory(to: UInt64.self, capacity: self.bytes / 8)
        for i in 0..<(self.bytes / 8) { words[i] = UInt64(truncatingIfNeeded: i) &* 0x9E37_79B9_7F4A_7C15 }
        // with memory full of page cache the faults may have got 4 KiB pages (read 20–30% slower on a VM): ask for
        // the collapse into 2 MiB pages the probe's buffer has
        buffer.collapseIfFragmented()
    }

    /// Share of the buffer on 2 MiB pages now; nil where the kernel does not report it.
    var hugePageFraction: Double? { buffer.hugePageFraction }

    /// One read of the whole buffer on `threads` threads with the read kernel that streams fastest at that thread
    /// count (as the DRAM probe keeps the best kernel: on Zen 4, 256-bit loads outrun 512-bit ones by ~8%; the first
    /// call at a thread count tries each kernel once and returns the best): GB/s (1e9 bytes/s). Throws for `threads`
    /// outside 1…256.
    func gbps(threads: Int) throws -> Double {
        guard (1...256).contains(threads) else {
            throw BenchError.invalidParameter(
                name: "threads", value: "\(threads)", reason: "the read takes 1…256 threads")
        }
        if let v = variant[threads] { return ck_probe_read_once(start, bytes, Int32(threads), v) }
        var best = (gbps: -1.0, variant: Int32(-1))
        for v in 0..<Int32(CK_READ_VARIANTS.rawValue) where ck_read_variant_available(v) != 0 {
            let g = ck_probe_read_once(start, bytes, Int32(threads), v)
            if g > best.gbps { best = (g, v) }
        }
        guard best.variant >= 0 else {
            throw BenchError.measurement(cell: "paired read", reason: "no read kernel runs on this CPU")
        }
        variant[threads] = best.variant
        return best.gbps
    }

    /// The fastest read kernel (`ck_read_variant`) found per thread count.
    private var variant: [Int: Int32] = [:]

    /// Median GB/s of `count` reads on `threads` threads.
    func medianGBps(threads: Int, count: Int) throws -> Double {
        SampleStatistics(try (0..<max(count, 1)).map { _ in try gbps(threads: threads) }).median
    }
}
