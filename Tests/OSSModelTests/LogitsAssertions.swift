import BLASBackend
import OSSCore
import XCTest

/// Logits comparisons of the KV-cache tests (incremental decode, truncation) against a full forward pass.
enum LogitsAssertions {
    /// Float32 results of differently batched kernels may differ in summation order: allow 1e-4 (logits ~ 10).
    static let tolerance: Float = 1e-4
    /// The BLAS backend's MXFP4 GEMV (T ≤ 64, 256 with VNNI) rounds its activations to 16-bit fixed point per 32-block:
    /// a last-bit difference from the other (float) kernels, which sum in a different order at different T, can move
    /// one rounding step, and 4 layers carry it to the logits: 9.2e-4 at most here (1.8e-3 while MXFP4 T > 4 still
    /// ran in float; both paths meet the 2e-3 goldens, GoldenLogitsTests). A broken window, sink, YaRN or routing
    /// changes logits by ≥ 0.5 (gpt-oss.md §6), so 3e-3 still catches every such bug.
    static let blasTolerance: Float = 3e-3

    /// The tolerance for `backend`.
    static func tolerance(_ backend: any Backend) -> Float { backend is BLASBackend ? blasTolerance : tolerance }

    /// Asserts that `logits` (`[V]` or `[1, V]`) equals row `p` of `full` (`[T, V]`) within `tolerance`.
    static func assertRow(
        _ logits: Tensor, _ full: Tensor, _ p: Int, _ what: String, _ tolerance: Float,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        let v = full.columns
        let got = logits.toArray()
        let want = Array(full.toArray()[(p * v)..<((p + 1) * v)])
        XCTAssertEqual(got.count, v, "\(what): logits count", file: file, line: line)
        let worst = zip(got, want).map { abs($0 - $1) }.max() ?? .infinity
        XCTAssertLessThanOrEqual(worst, tolerance, "\(what): position \(p) differs by \(worst)", file: file, line: line)
    }
}
