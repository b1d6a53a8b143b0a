import ArgumentParser
import Foundation
import OSSBackends
import OSSCore

/// `--backend` and `--threads`: shared by every command that runs a model.
struct BackendOptions: ParsableArguments {
    @Option(name: .long, help: "Backend: swift, blas or auto.")
    var backend: String = "blas"

    @Option(
        name: .long, help: "Threads (default: the prefill threads of `oss tune` on this CPU, else all logical cores).")
    var threads: Int?

    @OptionGroup var kernels: KernelOptions

    func validate() throws {
        if let t = threads, t < 1 { throw ValidationError("--threads must be ≥ 1, got \(t)") }
        do { _ = try BackendKind.parse(backend) } catch { throw ValidationError("--backend: \(error)") }
    }

    /// Threads of the chosen backend: `--threads`, else the prefill threads `oss tune` measured on this CPU, else all
    /// logical cores.
    var threadCount: Int { threads ?? tunedThreads?.prefill ?? ProcessInfo.processInfo.activeProcessorCount }

    /// The (prefill, decode) thread counts of the tuning profile when `--threads` is not given and the profile was
    /// measured on this CPU (`TuningProfile.modelThreads(onCPU:)`); an unreadable profile counts as none here (the
    /// `auto` backend reports it).
    var tunedThreads: (prefill: Int, decode: Int)? {
        guard threads == nil, let profile = try? TuningProfile.loadDefault() else { return nil }
        return profile.modelThreads(onCPU: MachineInfo.current().cpuModel)
    }

    /// The chosen backend with the chosen thread count (or `threads` when given), after selecting the MXFP4 path.
    func makeBackend(threads: Int? = nil) throws -> any Backend {
        try kernels.apply()
        return try BackendKind.parse(backend).make(threads: threads ?? threadCount)
    }
}
