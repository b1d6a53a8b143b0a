import Foundation

/// The machine a run happens on: CPU model, cores, kernel-relevant CPU flags, caches, memory and the environment
/// variables that change BLAS/OpenMP behaviour. Read from `/proc/cpuinfo`, `/sys` and the process environment;
/// fields that cannot be read are "unknown" / 0 / empty, never an error. Shared by `oss info` and benchmark records.
public struct MachineInfo: Sendable, Codable, Equatable {
    /// `model name` of `/proc/cpuinfo` ("unknown" when absent).
    public var cpuModel: String
    /// Logical CPUs this process may use.
    public var logicalCores: Int
    /// Physical cores (`cpu cores` × sockets of `/proc/cpuinfo`; 0 when unknown).
    public var physicalCores: Int
    /// The CPU flags that matter to the kernels, in `flagsOfInterest` order, present ones only.
    public var flags: [String]
    /// Bytes of the L2 cache of CPU 0 (0 when unknown).
    public var l2Bytes: Int
    /// Bytes of the last-level (L3) cache of CPU 0 (0 when unknown).
    public var l3Bytes: Int
    /// Installed memory in bytes.
    public var memoryBytes: UInt64
    /// Operating system and kernel version.
    public var os: String
    /// The variables of `blasEnvironmentVariables` that are set, with their values.
    public var environment: [String: String]

    /// Flags reported (SIMD width, FMA, half/bf16 conversions, VNNI).
    public static let flagsOfInterest = [
        "sse4_2", "avx", "avx2", "fma", "f16c", "bmi2", "avx512f", "avx512bw", "avx512vl", "avx512_bf16",
        "avx512_vnni", "avx512vbmi", "avx512_fp16", "avx_vnni", "amx_tile", "amx_bf16",
    ]

    /// Environment variables that change how OpenBLAS or the OpenMP runtime behave.
    public static let blasEnvironmentVariables = [
        "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OPENBLAS_VERBOSE", "GOTO_NUM_THREADS",
        "OMP_NUM_THREADS", "OMP_WAIT_POLICY", "OMP_PROC_BIND", "OMP_PLACES", "OMP_DYNAMIC", "OMP_THREAD_LIMIT",
        "KMP_BLOCKTIME", "KMP_AFFINITY",
    ]

    public init(
        cpuModel: String, logicalCores: Int, physicalCores: Int, flags: [String], l2Bytes: Int, l3Bytes: Int,
        memoryBytes: UInt64, os: String, environment: [String: String]
    ) {
        self.cpuModel = cpuModel
        self.logicalCores = logicalCores
        self.physicalCores = physicalCores
        self.flags = flags
        self.l2Bytes = l2Bytes
        self.l3Bytes = l3Bytes
        self.memoryBytes = memoryBytes
        self.os = os
        self.environment = environment
    }

    /// Reads the current machine and process environment.
    public static func current() -> MachineInfo {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let fields = parseCPUInfo(cpuinfo)
        let present = Set((fields["flags"] ?? "").split(separator: " ").map(String.init))
        let env = ProcessInfo.processInfo.environment
        var physical = 0
        if let perSocket = Int(fields["cpu cores"] ?? "") {
            let sockets = Set(cpuinfo.split(separator: "\n").filter { $0.hasPrefix("physical id") }).count
            physical = perSocket * max(1, sockets)
        }
        return MachineInfo(
            cpuModel: fields["model name"] ?? "unknown",
            logicalCores: ProcessInfo.processInfo.activeProcessorCount,
            physicalCores: physical,
            flags: flagsOfInterest.filter { present.contains($0) },
            l2Bytes: cacheBytes(level: 2),
            l3Bytes: cacheBytes(level: 3),
            memoryBytes: ProcessInfo.processInfo.physicalMemory,
            os: ProcessInfo.processInfo.operatingSystemVersionString,
            environment: env.filter { blasEnvironmentVariables.contains($0.key) })
    }

    /// `key: value` pairs of the first processor block of `/proc/cpuinfo` text.
    public static func parseCPUInfo(_ text: String) -> [String: String] {
        var out: [String: String] = [:]
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.trimmingCharacters(in: .whitespaces).isEmpty { if !out.isEmpty { break } else { continue } }
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = line[..<colon].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if out[key] == nil { out[key] = value }
        }
        return out
    }

    /// Size of the unified/data cache of `level` on CPU 0 from sysfs ("32768K", "1M" → bytes), 0 when unknown.
    static func cacheBytes(level: Int) -> Int {
        let base = "/sys/devices/system/cpu/cpu0/cache"
        for index in 0..<8 {
            let dir = "\(base)/index\(index)"
            guard let lv = try? String(contentsOfFile: "\(dir)/level", encoding: .utf8),
                Int(lv.trimmingCharacters(in: .whitespacesAndNewlines)) == level,
                let type = try? String(contentsOfFile: "\(dir)/type", encoding: .utf8),
                type.trimmingCharacters(in: .whitespacesAndNewlines) != "Instruction",
                let size = try? String(contentsOfFile: "\(dir)/size", encoding: .utf8)
            else { continue }
            return parseSize(size)
        }
        return 0
    }

    /// "32768K" → 33554432, "1M" → 1048576, "512" → 512; 0 when unparsable.
    public static func parseSize(_ text: String) -> Int {
        let s = text.trimmingCharacters(in: .whitespacesAndNewlines).uppercased()
        guard let last = s.last else { return 0 }
        let units: [Character: Int] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30]
        if let u = units[last] { return (Int(s.dropLast()) ?? 0) * u }
        return Int(s) ?? 0
    }
}
