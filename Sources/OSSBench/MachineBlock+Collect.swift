import BLASBackend
import Foundation
import OSSCore

extension MachineBlock {
    /// Reads the machine, the BLAS/OpenMP runtime, the Swift toolchain and the git commit now.
    public static func collect(date: Date = Date()) -> MachineBlock {
        let m = MachineInfo.current()
        let blas = BLASRuntimeInfo.current()
        let iso = ISO8601DateFormatter()
        iso.formatOptions = [.withInternetDateTime]
        iso.timeZone = TimeZone(identifier: "UTC")
        return MachineBlock(
            cpuModel: m.cpuModel, cores: m.logicalCores, flags: m.flags, l3Bytes: m.l3Bytes,
            openblasConfig: blas.openBLASConfig, openblasCore: blas.openBLASCoreName,
            openmpRuntime: "OpenMP \(blas.openMPSpec), \(blas.openMPLibrary)",
            environment: m.environment, swiftVersion: swiftVersion(), os: m.os,
            gitCommit: gitCommit(), date: iso.string(from: date), ckernels: blas.kernelPaths, l2Bytes: m.l2Bytes)
    }

    /// The compiler this binary was built with (from `#if compiler`), plus `swift --version`'s first line when a
    /// toolchain is on PATH at run time.
    static func swiftVersion() -> String {
        #if compiler(>=6.4)
            let built = "built with Swift ≥ 6.4"
        #elseif compiler(>=6.3)
            let built = "built with Swift 6.3"
        #elseif compiler(>=6.2)
            let built = "built with Swift 6.2"
        #else
            let built = "built with Swift < 6.2"
        #endif
        guard let line = run(["swift", "--version"])?.split(separator: "\n").first else { return built }
        return "\(built); toolchain: \(line)"
    }

    /// `git rev-parse --short HEAD` (+ "-dirty" when tracked files changed, apart from `results/`, which the
    /// benchmark itself writes), "unknown" outside a checkout.
    static func gitCommit() -> String {
        guard let head = run(["git", "rev-parse", "--short", "HEAD"])?.trimmingCharacters(in: .whitespacesAndNewlines),
            !head.isEmpty
        else { return "unknown" }
        let status = ["git", "status", "--porcelain", "--untracked-files=no", "--", ":(top)", ":(top,exclude)results"]
        let dirty =
            run(status)?
            .trimmingCharacters(in: .whitespacesAndNewlines).isEmpty == false
        return dirty ? head + "-dirty" : head
    }

    /// Output of a command (searched on PATH), nil when it cannot run or exits non-zero.
    static func run(_ argv: [String]) -> String? {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = argv
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        do { try p.run() } catch { return nil }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}
