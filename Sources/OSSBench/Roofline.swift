import CKernels
import Foundation
import OSSCore

/// Which hardware ceiling limits an op: the compute peak of its kernel's instruction class, or read bandwidth.
public enum BoundKind: String, Codable, Sendable {
    /// Arithmetic intensity at or above the ridge point: compared with the kernel class's peak (GFLOP/s).
    case compute
    /// Below the ridge point: compared with the read bandwidth of the memory tier its working set lives in (GB/s).
    case memory
}

/// Where an op's working set lives, for its bandwidth ceiling.
public enum MemoryTier: String, Codable, CaseIterable, Sendable {
    /// Fits in the L2 caches of the threads that run it.
    case l2
    /// Fits in the last-level cache.
    case l3
    /// Larger than the last-level cache.
    case dram

    /// The tier a working set of `bytes` falls in at `threads` threads (per-core L2 × threads, shared L3); DRAM
    /// when the cache sizes are unknown (0).
    public static func of(workingSet bytes: Double, threads: Int, l2Bytes: Int, l3Bytes: Int) -> MemoryTier {
        if l2Bytes > 0, bytes <= Double(l2Bytes * max(threads, 1)) { return .l2 }
        if l3Bytes > 0, bytes <= Double(l3Bytes) { return .l3 }
        return .dram
    }
}

/// One kernel's share of an op's counted FLOPs (e2e prefill mixes classes: BF16 GEMMs, integer MoE experts, …).
public struct KernelShare: Codable, Sendable, Equatable {
    public var kernel: KernelClass
    public var flops: Double
    public init(_ kernel: KernelClass, flops: Double) {
        self.kernel = kernel
        self.flops = flops
    }
}

/// The measured ceilings of this machine at one thread count.
public struct Ceiling: Codable, Sendable, Equatable {
    public var threads: Int
    /// FP32 FMA peak at the widest width the CPU executes, GFLOP/s (1 FMA = 2 FLOP); also in `peaks`.
    public var fmaGFLOPS: Double
    /// DRAM read bandwidth, GB/s (1e9 bytes/s); also `bandwidths["dram"]`.
    public var dramGBps: Double
    /// Peak of every instruction class the CPU has, GOP/s (multiplies and adds apart), keyed by
    /// `InstructionClass.rawValue`. nil in older records (then only `fmaGFLOPS` is known).
    public var peaks: [String: Double]?
    /// Read bandwidth per `MemoryTier.rawValue`, GB/s. nil in older records (then only `dramGBps`).
    public var bandwidths: [String: Double]?
    /// The read kernel that reached each tier's figure ("512-bit, 4 streams"). nil in older records.
    public var readKernels: [String: String]?

    public init(
        threads: Int, fmaGFLOPS: Double, dramGBps: Double, peaks: [String: Double]? = nil,
        bandwidths: [String: Double]? = nil, readKernels: [String: String]? = nil
    ) {
        self.threads = threads
        self.fmaGFLOPS = fmaGFLOPS
        self.dramGBps = dramGBps
        self.peaks = peaks
        self.bandwidths = bandwidths
        self.readKernels = readKernels
    }

    /// Ridge point in FLOP/byte of the widest FP32 FMA peak over DRAM bandwidth.
    public var ridgeIntensity: Double { dramGBps > 0 ? fmaGFLOPS / dramGBps : .infinity }

    /// Attainable GFLOP/s at arithmetic intensity `flopPerByte` under the widest FP32 FMA peak and DRAM bandwidth.
    public func attainableGFLOPS(intensity flopPerByte: Double) -> Double {
        Swift.min(fmaGFLOPS, flopPerByte * dramGBps)
    }

    /// Peak of `instruction` in GOP/s: the measured figure, or for an older record without per-class peaks the FP32
    /// FMA peak when the class is an FP32 one (nil otherwise, or when the CPU lacks the class).
    public func peak(_ instruction: InstructionClass) -> Double? {
        if let peaks { return peaks[instruction.rawValue] }
        return instruction == .fma256 || instruction == .fma512 ? fmaGFLOPS : nil
    }

    /// Read bandwidth of `tier` in GB/s (an older record knows DRAM only).
    public func bandwidth(_ tier: MemoryTier) -> Double? {
        if let bandwidths { return bandwidths[tier.rawValue] }
        return tier == .dram ? dramGBps : nil
    }

    /// Compute ceiling in counted GFLOP/s of `kernel`: its class's peak ÷ products per multiply-add; the widest FP32
    /// FMA peak when the kernel is unknown or its class was not measured.
    public func computeCeiling(_ kernel: KernelClass?) -> Double {
        guard let kernel, let p = peak(kernel.instruction) else { return fmaGFLOPS }
        return p / Double(kernel.productsPerMAC)
    }

    /// Compute ceiling of an op whose FLOPs run on several kernels: the rate at which all its FLOPs complete when
    /// each share runs at its own kernel's ceiling (Σ flops ÷ Σ flopsᵢ / ceilingᵢ).
    public func computeCeiling(_ shares: [KernelShare]) -> Double {
        let total = shares.reduce(0) { $0 + $1.flops }
        let time = shares.reduce(0) { $0 + $1.flops / computeCeiling($1.kernel) }
        return total > 0 && time > 0 ? total / time : fmaGFLOPS
    }
}

/// The roofline of this machine: one `Ceiling` per measured thread count, plus how it was measured.
public struct Roofline: Codable, Sendable, Equatable {
    public var ceilings: [Ceiling]
    /// Size of the array the DRAM bandwidth probe streams (≫ L3).
    public var dramProbeBytes: Int
    /// Rounds of 12 independent accumulator chains per thread in each compute probe.
    public var fmaIterations: Int
    /// Bytes the L2 and L3 tier probes stream per pass (per thread for L2, in total for L3); nil in older records.
    public var cacheProbeBytes: [String: Int]?

    public init(ceilings: [Ceiling], dramProbeBytes: Int, fmaIterations: Int, cacheProbeBytes: [String: Int]? = nil) {
        self.ceilings = ceilings.sorted { $0.threads < $1.threads }
        self.dramProbeBytes = dramProbeBytes
        self.fmaIterations = fmaIterations
        self.cacheProbeBytes = cacheProbeBytes
    }

    /// The ceiling measured at `threads`, or the nearest measured thread count below it (the first one otherwise).
    public func ceiling(threads: Int) -> Ceiling? {
        ceilings.last { $0.threads <= threads } ?? ceilings.first
    }

    /// Every instruction class measured at some thread count, in `InstructionClass` order.
    public var instructionClasses: [InstructionClass] {
        InstructionClass.allCases.filter { c in ceilings.contains { $0.peaks?[c.rawValue] != nil } }
    }

    /// Every memory tier measured at some thread count, nearest first.
    public var memoryTiers: [MemoryTier] {
        MemoryTier.allCases.filter { t in ceilings.contains { $0.bandwidth(t) != nil } }
    }
}

/// What an op must do at minimum: counted FLOPs and the fewest bytes it must move (read + write once).
public struct OpCost: Codable, Sendable, Equatable {
    /// Floating-point operations of one run (multiply and add counted apart: an FMA is 2).
    public var flops: Double
    /// Fewest bytes one run must move between memory and the core (each input read once, each output written once).
    public var bytes: Double
    /// The part of `bytes` that is written (outputs); nil where the cost does not split them (counted as reads).
    public var writtenBytes: Double?

    public init(flops: Double, bytes: Double, writtenBytes: Double? = nil) {
        self.flops = flops
        self.bytes = bytes
        self.writtenBytes = writtenBytes
    }

    /// FLOP per byte.
    public var intensity: Double { bytes > 0 ? flops / bytes : .infinity }

    /// The bytes that bound a memory-bound run whose working set lies in `tier`, against that tier's read bandwidth:
    /// from DRAM all of them (reads and write-backs share the memory bus); in a cache the reads and the write-backs
    /// of the lines written travel the two directions of the core's link to it at once, so the larger of the two.
    public func limitingBytes(in tier: MemoryTier) -> Double {
        guard tier != .dram, let written = writtenBytes, written > 0 else { return bytes }
        return max(bytes - written, written)
    }

    /// Compute-bound when the intensity reaches the ridge point of `ceiling`, memory-bound otherwise.
    public func bound(under ceiling: Ceiling) -> BoundKind {
        intensity >= ceiling.ridgeIntensity ? .compute : .memory
    }

    /// Cost of `y[T, out] = x[T, in]·Wᵀ + b` with W stored in `dtype`: 2·T·in·out FLOPs (+T·out for the bias);
    /// bytes = the weight once in its stored dtype (MXFP4 scales included) + x + y (+ bias), Float32 activations.
    public static func linear(tokens t: Int, inFeatures k: Int, outFeatures n: Int, dtype: DType, bias: Bool) -> OpCost
    {
        let T = Double(t)
        let K = Double(k)
        let N = Double(n)
        let flops = 2 * T * K * N + (bias ? T * N : 0)
        let bytes = N * K * dtype.bytesPerWeight + 4 * (T * K + T * N) + (bias ? 4 * N : 0)
        return OpCost(flops: flops, bytes: bytes, writtenBytes: 4 * T * N)
    }
}

/// Runs the C roofline probes, once per thread count per process (later runs reuse the figures): the peak of every
/// instruction class the CPU has, and read bandwidth from DRAM (≫ L3), from L3 (half of it) and from L2 (half of each
/// thread's), each with the best of several read kernels (256-bit, 512-bit, 512-bit × 4 streams per thread).
public final class RooflineProbe: @unchecked Sendable {
    /// The process-wide cache.
    public static let shared = RooflineProbe()

    private let lock = NSLock()
    private var cache: [Int: Ceiling] = [:]
    private var cachedBytes = 0

    /// Bytes streamed by the DRAM probe: 1 GiB (32× the 32 MiB L3 here).
    public static let defaultDRAMBytes = 1 << 30
    /// Size of each read of the DRAM probe's second form (about one T = 1 linear weight of gpt-oss-20b).
    static let dramBurstBytes = 8 << 20
    /// Rounds per thread of each compute probe: 20 M rounds of 12 instructions, ~30–70 ms per class.
    public static let defaultFMAIterations = 20_000_000
    /// Bytes read per timed run of a cache-tier probe (passes repeat until this much is read).
    static let cacheTierBytesPerRun = 256 << 20
    /// The `ck_read_variant` names.
    static let readKernelNames = ["256-bit", "512-bit", "512-bit, 4 streams per thread"]

    /// L2 (per core) and L3 sizes the cache-tier probes use (0 = unknown: that tier is not probed).
    let l2Bytes: Int, l3Bytes: Int

    public init(l2Bytes: Int? = nil, l3Bytes: Int? = nil) {
        let m = MachineInfo.current()
        self.l2Bytes = l2Bytes ?? m.l2Bytes
        self.l3Bytes = l3Bytes ?? m.l3Bytes
    }

    /// Bytes each cache-tier probe streams per pass at `threads` threads: half of each thread's L2, half of L3.
    func cacheProbeBytes(threads: Int) -> [MemoryTier: Int] {
        var out: [MemoryTier: Int] = [:]
        if l2Bytes >= 16 << 10 { out[.l2] = l2Bytes / 2 * threads }
        if l3Bytes >= 1 << 20, l3Bytes / 2 > l2Bytes * threads { out[.l3] = l3Bytes / 2 }
        return out
    }

    /// Ceilings for every thread count in `threads`, measuring those not yet cached. Compute peaks best of 3,
    /// bandwidths best of 5 runs × every read kernel. `refresh` measures again and keeps the better figure of the
    /// two (a ceiling is the best the machine reaches, so a run re-probes at its end in case other load depressed
    /// the first probe). Throws when the probe cannot allocate its arrays.
    public func measure(
        threads: [Int], dramBytes: Int = RooflineProbe.defaultDRAMBytes,
        fmaIterations: Int = RooflineProbe.defaultFMAIterations, refresh: Bool = false
    ) throws -> Roofline {
        lock.lock()
        defer { lock.unlock() }
        if cachedBytes != dramBytes {
            cache = [:]
            cachedBytes = dramBytes
        }
        let missing = Array(Set(threads.filter { refresh || cache[$0] == nil })).sorted()
        if !missing.isEmpty {
            // The DRAM read two ways, the better kept: one pass over the array, and reads of a T = 1 linear's size
            // walking it (median; this VM serves such reads up to ~1.3× faster than a 1 GiB pass when its
            // bandwidth is low, and the T = 1 cells stream a few MB per call)
            let pass = try readSweep(threads: missing, bytes: dramBytes, inner: 1, tier: .dram)
            let bursts =
                dramBytes >= 16 * Self.dramBurstBytes
                ? try readSweep(threads: missing, bytes: dramBytes, inner: 1, tier: .dram, burst: Self.dramBurstBytes)
                : pass
            let dram = zip(pass, bursts).map { p, b in
                b.gbps > p.gbps
                    ? (gbps: b.gbps, kernel: "\(b.kernel), \(Figures.bytes(Double(Self.dramBurstBytes))) reads") : p
            }
            for (i, t) in missing.enumerated() {
                var peaks: [String: Double] = [:]
                for c in InstructionClass.allCases where ck_iclass_available(Int32(c.index)) != 0 {
                    let gops = ck_probe_peak_gops(Int32(c.index), Int32(t), fmaIterations, 3)
                    guard gops > 0 else {
                        throw BenchError.measurement(
                            cell: "roofline probe", reason: "\(c) probe failed at \(t) threads")
                    }
                    peaks[c.rawValue] = gops
                }
                var bandwidths = [MemoryTier.dram.rawValue: dram[i].gbps]
                var kernels = [MemoryTier.dram.rawValue: dram[i].kernel]
                for (tier, bytes) in cacheProbeBytes(threads: t) {
                    let r = try readSweep(
                        threads: [t], bytes: bytes, inner: max(1, Self.cacheTierBytesPerRun / bytes),
                        tier: tier)[0]
                    bandwidths[tier.rawValue] = r.gbps
                    kernels[tier.rawValue] = r.kernel
                }
                let fresh = Ceiling(
                    threads: t,
                    fmaGFLOPS: peaks[InstructionClass.fma512.rawValue]
                        ?? peaks[InstructionClass.fma256.rawValue] ?? 0,
                    dramGBps: dram[i].gbps, peaks: peaks, bandwidths: bandwidths, readKernels: kernels)
                guard fresh.fmaGFLOPS > 0 else {
                    throw BenchError.measurement(
                        cell: "roofline probe", reason: "no FP32 FMA probe ran at \(t) threads")
                }
                cache[t] = cache[t].map { Self.better($0, fresh) } ?? fresh
            }
        }
        var cacheBytes: [String: Int] = [:]
        for (tier, bytes) in cacheProbeBytes(threads: 1) { cacheBytes[tier.rawValue] = bytes }
        return Roofline(
            ceilings: threads.compactMap { cache[$0] }, dramProbeBytes: dramBytes,
            fmaIterations: fmaIterations, cacheProbeBytes: cacheBytes)
    }

    /// Element-wise best of two measurements at the same thread count (a read kernel follows its figure).
    static func better(_ a: Ceiling, _ b: Ceiling) -> Ceiling {
        var peaks = a.peaks ?? [:]
        var bandwidths = a.bandwidths ?? [:]
        var kernels = a.readKernels ?? [:]
        for (k, v) in b.peaks ?? [:] { peaks[k] = max(v, peaks[k] ?? 0) }
        for (k, v) in b.bandwidths ?? [:] where v > bandwidths[k] ?? 0 {
            bandwidths[k] = v
            kernels[k] = b.readKernels?[k]
        }
        return Ceiling(
            threads: a.threads, fmaGFLOPS: max(a.fmaGFLOPS, b.fmaGFLOPS), dramGBps: max(a.dramGBps, b.dramGBps),
            peaks: peaks, bandwidths: bandwidths, readKernels: kernels)
    }

    /// `roofline` with each thread count's DRAM read raised to the best streaming read from DRAM the run took itself
    /// when that is higher: e2e decode rows' paired reads (the probe's size, on huge pages) and `read` reference rows
    /// whose working set lies beyond L3 (each rep another copy of the weights, however few bytes one call reads: the
    /// probe itself takes 8 MiB bursts where they are faster). This VM's bandwidth moves by up to 2× within minutes; a
    /// read row or cell that ran in a faster phase than both probes would otherwise read above 100% of its ceiling
    /// (in one make bench on the Zen 5: a 4.4 MB read row at 110%). The kernel note names the source.
    static func raisingDRAM(_ roofline: Roofline, toReadsIn results: [BenchResult]) -> Roofline {
        var out = roofline
        for i in out.ceilings.indices {
            let t = out.ceilings[i].threads
            let rows = results.filter { $0.threads == t }
            let paired = rows.compactMap(\.pairedReadGBps).max() ?? 0
            let reads = rows.filter { $0.backend == "read" && ($0.memoryTier ?? .dram) == .dram }.map(\.gbps).max() ?? 0
            let best = max(paired, reads)
            guard best > out.ceilings[i].dramGBps else { continue }
            let dram = MemoryTier.dram.rawValue
            let read = Ceiling(
                threads: t, fmaGFLOPS: 0, dramGBps: best, bandwidths: [dram: best],
                readKernels: [dram: paired >= reads ? "a paired read of the run" : "a read row of the run"])
            out.ceilings[i] = Self.better(out.ceilings[i], read)
        }
        return out
    }

    /// `ck_probe_read_sweep` over one allocation of `bytes` (huge pages): GB/s and the winning read kernel per thread count.
    private func readSweep(
        threads: [Int], bytes: Int, inner: Int, tier: MemoryTier,
        burst: Int = 0
    ) throws -> [(gbps: Double, kernel: String)] {
        var gbps = [Double](repeating: -1, count: threads.count)
        var variant = [Int32](repeating: -1, count: threads.count)
        let rc = threads.map(Int32.init).withUnsafeBufferPointer { t in
            gbps.withUnsafeMutableBufferPointer { g in
                variant.withUnsafeMutableBufferPointer { v in
                    ck_probe_read_sweep(
                        t.baseAddress, Int32(threads.count), bytes, Int32(inner), 5, 1, burst,
                        g.baseAddress, v.baseAddress)
                }
            }
        }
        guard rc == 0, gbps.allSatisfy({ $0 > 0 }) else {
            throw BenchError.measurement(
                cell: "roofline probe",
                reason: "cannot allocate \(bytes) bytes for the \(tier.rawValue) read probe")
        }
        return zip(gbps, variant).map { g, v in
            (g, Self.readKernelNames.indices.contains(Int(v)) ? Self.readKernelNames[Int(v)] : "scalar")
        }
    }
}
