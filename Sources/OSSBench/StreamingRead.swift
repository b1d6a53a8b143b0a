import CKernels
import OSSCore

/// The stored bytes of several weight copies of one layout, read one copy at a time by `ck_probe_read_bytes` (our
/// libomp team, static split, AVX2 loads): the work of the `read` reference rows. Ranges are built once here; a read
/// allocates nothing.
struct StreamingRead {
    /// Stored bytes of one copy (data, plus scales for MXFP4): `WeightTensor.storedBytes`.
    let bytesPerCopy: Int
    /// Weight copies, read as copy `i % copies` by rep `i`.
    var copies: Int { weights.count }

    private let weights: [WeightTensor]  // keeps the bytes alive
    private let pointers: [UnsafeRawPointer?]
    private let sizes: [Int]
    private let rangesPerCopy: Int

    /// Throws when `weights` is empty or the copies differ in layout (`cell` names the benchmark cell).
    init(weights: [WeightTensor], cell: String) throws {
        guard let first = weights.first else {
            throw BenchError.measurement(cell: cell, reason: "read reference without weights")
        }
        let layout = Self.ranges(of: first).map(\.bytes)
        guard weights.allSatisfy({ Self.ranges(of: $0).map(\.bytes) == layout }) else {
            throw BenchError.measurement(cell: cell, reason: "read reference over weight copies of different layouts")
        }
        self.weights = weights
        bytesPerCopy = first.storedBytes
        rangesPerCopy = layout.count
        pointers = weights.flatMap { Self.ranges(of: $0).map { Optional($0.start) } }
        sizes = weights.flatMap { Self.ranges(of: $0).map(\.bytes) }
    }

    /// The stored byte ranges of a weight, in memory order: its data (`rows × rowBytes`) and, for MXFP4, its scales
    /// (`rows × in/32`); together `storedBytes`.
    static func ranges(of w: WeightTensor) -> [(start: UnsafeRawPointer, bytes: Int)] {
        let rows = w.shape.rows
        var out = [(start: w.data, bytes: rows * w.rowBytes)]
        if let scales = w.scales { out.append((UnsafeRawPointer(scales), rows * w.dtype.rowScaleBytes(w.inFeatures))) }
        return out
    }

    /// Reads every stored byte of copy `copy % copies` once on `threads` threads; returns the C probe's checksum
    /// (XOR over each byte b at offset j of its range of b << 8·(j mod 8)). Throws when `threads` is outside 1…256.
    @discardableResult
    func read(copy: Int, threads: Int) throws -> UInt64 {
        let base = (copy % copies) * rangesPerCopy
        var checksum: UInt64 = 0
        let rc = pointers.withUnsafeBufferPointer { p in
            sizes.withUnsafeBufferPointer { s in
                ck_probe_read_bytes(
                    p.baseAddress! + base, s.baseAddress! + base, Int32(rangesPerCopy),
                    Int32(clamping: threads), &checksum)
            }
        }
        guard rc == 0 else {
            throw BenchError.invalidParameter(
                name: "threads", value: "\(threads)",
                reason: "the read reference takes 1…256 threads")
        }
        return checksum
    }
}
