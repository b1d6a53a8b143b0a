import CKernels
import Foundation
import OSSCore

/// Which hardware ceiling limits an op: FMA throughput or DRAM read bandwidth.
public enum BoundKind: String, Codable, Sendable {
    /// Arithmetic intensity at or above the ridge point: compared with the FP32 FMA peak (GFLOP/s).
    case compute
    /// Below the ridge point: compared with the DRAM read bandwidth (GB/s).
    case memory
}

/// The measured ceilings of this machine at one thread count.
public struct Ceiling: Codable, Sendable, Equatable {
    public var threads: Int
    /// Peak FP32 FMA rate, GFLOP/s (1 FMA = 2 FLOP).
    public var fmaGFLOPS: Double
    /// DRAM read bandwidth, GB/s (1e9 bytes/s).
    public var dramGBps: Double

    public init(threads: Int, fmaGFLOPS: Double, dramGBps: Double) {
        self.threads = threads; self.fmaGFLOPS = fmaGFLOPS; self.dramGBps = dramGBps
    }

    /// Ridge point in FLOP/byte: below it an op cannot reach the FMA peak even at full bandwidth.
    public var ridgeIntensity: Double { dramGBps > 0 ? fmaGFLOPS / dramGBps : .infinity }

    /// Attainable GFLOP/s at arithmetic intensity `flopPerByte`: min(peak, intensity × bandwidth).
    public func attainableGFLOPS(intensity flopPerByte: Double) -> Double {
        Swift.min(fmaGFLOPS, flopPerByte * dramGBps)
    }
}

/// The roofline of this machine: one `Ceiling` per measured thread count, plus how it was measured.
public struct Roofline: Codable, Sendable, Equatable {
    public var ceilings: [Ceiling]
    /// Size of the array the bandwidth probe streams (≫ L3).
    public var dramProbeBytes: Int
    /// FMA rounds per thread in the FMA probe (12 × 8-lane FMAs each).
    public var fmaIterations: Int

    public init(ceilings: [Ceiling], dramProbeBytes: Int, fmaIterations: Int) {
        self.ceilings = ceilings.sorted { $0.threads < $1.threads }
        self.dramProbeBytes = dramProbeBytes
        self.fmaIterations = fmaIterations
    }

    /// The ceiling measured at `threads`, or the nearest measured thread count below it (the first one otherwise).
    public func ceiling(threads: Int) -> Ceiling? {
        ceilings.last { $0.threads <= threads } ?? ceilings.first
    }
}

/// What an op must do at minimum: counted FLOPs and the fewest bytes it must move (read + write once).
public struct OpCost: Codable, Sendable, Equatable {
    /// Floating-point operations of one run (multiply and add counted apart: an FMA is 2).
    public var flops: Double
    /// Fewest bytes one run must move between memory and the core (each input read once, each output written once).
    public var bytes: Double

    public init(flops: Double, bytes: Double) { self.flops = flops; self.bytes = bytes }

    /// FLOP per byte.
    public var intensity: Double { bytes > 0 ? flops / bytes : .infinity }

    /// Compute-bound when the intensity reaches the ridge point of `ceiling`, memory-bound otherwise.
    public func bound(under ceiling: Ceiling) -> BoundKind {
        intensity >= ceiling.ridgeIntensity ? .compute : .memory
    }

    /// Cost of `y[T, out] = x[T, in]·Wᵀ + b` with W stored in `dtype`: 2·T·in·out FLOPs (+T·out for the bias);
    /// bytes = the weight once in its stored dtype (MXFP4 scales included) + x + y (+ bias), Float32 activations.
    public static func linear(tokens t: Int, inFeatures k: Int, outFeatures n: Int, dtype: DType, bias: Bool) -> OpCost {
        let T = Double(t), K = Double(k), N = Double(n)
        let flops = 2 * T * K * N + (bias ? T * N : 0)
        let bytes = N * K * dtype.bytesPerWeight + 4 * (T * K + T * N) + (bias ? 4 * N : 0)
        return OpCost(flops: flops, bytes: bytes)
    }
}

/// Runs the C roofline probes, once per thread count per process (later runs reuse the figures).
public final class RooflineProbe: @unchecked Sendable {
    /// The process-wide cache.
    public static let shared = RooflineProbe()

    private let lock = NSLock()
    private var cache: [Int: Ceiling] = [:]
    private var cachedBytes = 0

    /// Bytes streamed by the bandwidth probe: 1 GiB (32× the 32 MiB L3 here).
    public static let defaultDRAMBytes = 1 << 30
    /// FMA rounds per thread: 20 M rounds × 192 FLOP ≈ 3.8 GFLOP, ~35 ms at 100 GFLOP/s.
    public static let defaultFMAIterations = 20_000_000

    public init() {}

    /// Ceilings for every thread count in `threads`, measuring those not yet cached. Best of 3 runs each.
    /// `refresh` measures again and keeps the better figure of the two (a ceiling is the best the machine reaches, so
    /// a run re-probes at its end in case other load depressed the first probe). Throws when the probe cannot
    /// allocate its array.
    public func measure(threads: [Int], dramBytes: Int = RooflineProbe.defaultDRAMBytes,
                        fmaIterations: Int = RooflineProbe.defaultFMAIterations, refresh: Bool = false) throws -> Roofline {
        lock.lock()
        defer { lock.unlock() }
        if cachedBytes != dramBytes { cache = [:]; cachedBytes = dramBytes }
        let missing = Array(Set(threads.filter { refresh || cache[$0] == nil })).sorted()
        if !missing.isEmpty {
            var gbps = [Double](repeating: -1, count: missing.count)
            let rc = missing.map(Int32.init).withUnsafeBufferPointer { t in
                gbps.withUnsafeMutableBufferPointer { g in
                    ck_probe_dram_read_sweep(t.baseAddress, Int32(missing.count), dramBytes, 3, g.baseAddress)
                }
            }
            guard rc == 0 else {
                throw BenchError.measurement(cell: "roofline probe", reason: "cannot allocate \(dramBytes) bytes for the DRAM probe")
            }
            for (i, t) in missing.enumerated() {
                let gflops = ck_probe_fma_gflops(Int32(t), fmaIterations, 3)
                guard gflops > 0, gbps[i] > 0 else {
                    throw BenchError.measurement(cell: "roofline probe", reason: "probe failed at \(t) threads")
                }
                let old = cache[t]
                cache[t] = Ceiling(threads: t, fmaGFLOPS: max(gflops, old?.fmaGFLOPS ?? 0),
                                   dramGBps: max(gbps[i], old?.dramGBps ?? 0))
            }
        }
        return Roofline(ceilings: threads.compactMap { cache[$0] }, dramProbeBytes: dramBytes, fmaIterations: fmaIterations)
    }
}
