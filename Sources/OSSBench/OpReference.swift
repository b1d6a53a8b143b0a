import OSSCore

/// A reference measured next to an op cell on the same inputs and thread count, reported as a row of its own
/// (`backend` = `name`): not a backend, never routed to, only there so a cell's speed can be stated as a ratio
/// measured side by side in the same run.
struct OpReference {
    /// Backend name of the reference rows: `cblas` (direct OpenBLAS call) or `read` (streaming read of the bytes).
    let name: String
    /// Threading runtime the reference runs on, for the runner's settle step (`blas` = our libomp team).
    let runtime: String
    /// Cost of one call (a read: flops 0, bytes = the bytes read).
    let cost: OpCost
    /// Distinct bytes the reference cycles through.
    let workingSet: Double
    /// The kernel of the reference's FLOPs (the direct OpenBLAS call: OpenBLAS's SGEMM class), nil for a read.
    var kernel: KernelClass? = nil
    /// Weight copies the reference cycles through (rep `i` uses copy `i % copies`).
    var copies: Int = 1
    /// Runs rep `rep` on `threads` threads.
    let run: (_ threads: Int, _ rep: Int) throws -> Void

    /// Backend name of the direct OpenBLAS reference rows (one of `BenchResult.referenceBackends`).
    static let cblasName = "cblas"
    /// Backend name of the streaming-read reference rows (one of `BenchResult.referenceBackends`).
    static let readName = "read"

    /// The streaming-read reference of a memory-bound op over `weights`: rep `i` reads every stored byte of
    /// `weights[i % weights.count]` (data, and the scales of MXFP4) once, on `threads` threads of our libomp team with
    /// a static split — exactly the weight bytes the op's rep `i` must stream. Cost: flops 0, bytes = those bytes.
    static func streamingRead(of weights: [WeightTensor], cell: String) throws -> OpReference {
        let read = try StreamingRead(weights: weights, cell: cell)
        let bytes = Double(read.bytesPerCopy)
        return OpReference(
            name: readName, runtime: "blas", cost: OpCost(flops: 0, bytes: bytes),
            workingSet: bytes * Double(read.copies), copies: read.copies
        ) { threads, i in
            try read.read(copy: i, threads: threads)
        }
    }
}
