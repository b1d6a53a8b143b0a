import ArgumentParser
import BLASBackend
import Foundation
import OSSCore
import SwiftBackend

/// `oss info`: the backends and what they run on (threads, OpenBLAS build and core, OpenMP runtime, CPU, environment).
struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Print the backends, their threads, OpenBLAS/OpenMP runtime, CPU model and flags, and BLAS env vars.")

    @Option(name: .long, help: "Threads the backends are created with (default: all logical cores).")
    var threads: Int?

    @Flag(name: .long, help: "Print one JSON object instead of text.")
    var json = false

    /// Everything `oss info` reports, as one value (the `--json` output).
    struct Report: Codable {
        struct BackendEntry: Codable {
            var name: String
            var threads: Int
            var detail: String
        }
        var machine: MachineInfo
        var backends: [BackendEntry]
        var blas: BLASRuntimeInfo
    }

    func validate() throws {
        if let t = threads, t < 1 { throw ValidationError("--threads must be ≥ 1, got \(t)") }
    }

    func run() throws {
        let machine = MachineInfo.current()
        let n = threads ?? machine.logicalCores
        let swift = SwiftBackend(threads: n)
        let blas = BLASBackend(threads: n)
        let info = BLASRuntimeInfo.current()  // after BLASBackend.init: OpenBLAS is held at one thread
        let report = Report(
            machine: machine,
            backends: [
                .init(name: swift.name, threads: swift.threads, detail: "pure Swift, SIMD (-target-cpu haswell)"),
                .init(
                    name: blas.name, threads: blas.threads,
                    detail:
                        "OpenBLAS \(info.openBLASCoreName) at \(info.openBLASThreads) thread + OpenMP team of \(blas.threads)"
                ),
            ],
            blas: info)
        if json {
            let enc = JSONEncoder()
            enc.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try enc.encode(report), as: UTF8.self))
        } else {
            print(Self.text(report))
        }
    }

    static func text(_ r: Report) -> String {
        let m = r.machine
        let b = r.blas
        var lines: [String] = []
        lines.append("CPU          \(m.cpuModel)")
        let physical = m.physicalCores > 0 ? ", \(m.physicalCores) physical" : ""
        lines.append("cores        \(m.logicalCores) logical\(physical)")
        lines.append("flags        \(m.flags.isEmpty ? "(none of interest)" : m.flags.joined(separator: " "))")
        lines.append("caches       L2 \(bytes(m.l2Bytes)), L3 \(bytes(m.l3Bytes))")
        lines.append("memory       \(bytes(Int(clamping: m.memoryBytes)))")
        lines.append("os           \(m.os)")
        lines.append("")
        lines.append("backends")
        for e in r.backends {
            lines.append(
                "  \(e.name.padding(toLength: 6, withPad: " ", startingAt: 0)) threads \(e.threads)  \(e.detail)")
        }
        lines.append("")
        lines.append("OpenBLAS     \(b.openBLASConfig)")
        lines.append("  core       \(b.openBLASCoreName)")
        lines.append("  threads    \(b.openBLASThreads) (\(b.openBLASThreading) build)")
        lines.append("  library    \(b.openBLASLibrary)")
        lines.append("OpenMP       spec \(b.openMPSpec), runtime \(b.openMPLibrary)")
        lines.append("  threads    max \(b.openMPMaxThreads), processors \(b.openMPProcessors)")
        func yes(_ v: Bool) -> String { v ? "yes" : "no" }
        lines.append("C kernels    \(b.kernelPaths)")
        lines.append(
            "  CPU has    AVX2+FMA \(yes(b.cpuHasAVX2FMA)), AVX-512 \(yes(b.cpuHasAVX512)), AVX512 VNNI "
                + "\(yes(b.cpuHasVNNI)), VBMI \(yes(b.cpuHasVBMI)), AVX512-BF16 \(yes(b.cpuHasBF16))")
        lines.append("")
        lines.append("environment")
        for name in MachineInfo.blasEnvironmentVariables {
            lines.append(
                "  \(name.padding(toLength: 22, withPad: " ", startingAt: 0)) \(m.environment[name] ?? "(unset)")")
        }
        return lines.joined(separator: "\n")
    }

    static func bytes(_ n: Int) -> String {
        if n <= 0 { return "unknown" }
        if n >= 1 << 30 { return String(format: "%.1f GiB", Double(n) / Double(1 << 30)) }
        if n >= 1 << 20 { return "\(n >> 20) MiB" }
        if n >= 1 << 10 { return "\(n >> 10) KiB" }
        return "\(n) B"
    }
}
