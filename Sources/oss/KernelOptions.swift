import ArgumentParser
import BLASBackend

/// `--mxfp4-path`: which instruction path the BLAS backend's MXFP4 GEMV takes (shared by `bench run` and the
/// commands that run a model).
struct KernelOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "MXFP4 GEMV path of the blas backend: auto, avx2, vpshufb or vpermb (default auto: the fastest the CPU has).",
        discussion: "All paths give bit-identical results; choosing one compares them on one machine. "
            + "`oss info` lists what the CPU has."))
    var mxfp4Path: String = MXFP4Path.auto.rawValue

    func validate() throws {
        guard MXFP4Path(rawValue: mxfp4Path) != nil else {
            throw ValidationError("--mxfp4-path must be one of \(MXFP4Path.allCases.map(\.rawValue).joined(separator: ", ")), got \(mxfp4Path)")
        }
    }

    /// Selects the path for this process; throws when the CPU lacks it.
    func apply() throws {
        try BLASBackend.selectMXFP4Path(MXFP4Path(rawValue: mxfp4Path) ?? .auto)
    }
}
