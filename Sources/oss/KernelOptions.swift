import ArgumentParser
import BLASBackend

/// `--gemv-path`: which instruction path the BLAS backend's integer GEMV kernels (MXFP4; Q8_0 with VNNI) take
/// (shared by `bench run` and the commands that run a model).
struct KernelOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Integer GEMV path of the blas backend (MXFP4, Q4_0…Q6_K, and Q8_0 with VNNI): auto, avx2, vpshufb or vpermb "
            + "(default auto: the fastest the CPU has).",
        discussion: "The MXFP4 paths give bit-identical results (Q8_0 runs in float on avx2); choosing one compares "
            + "them on one machine. `oss info` lists what the CPU has."))
    var gemvPath: String = GEMVPath.auto.rawValue

    func validate() throws {
        guard GEMVPath(rawValue: gemvPath) != nil else {
            throw ValidationError("--gemv-path must be one of \(GEMVPath.allCases.map(\.rawValue).joined(separator: ", ")), got \(gemvPath)")
        }
    }

    /// Selects the path for this process; throws when the CPU lacks it.
    func apply() throws {
        try BLASBackend.selectGEMVPath(GEMVPath(rawValue: gemvPath) ?? .auto)
    }
}
