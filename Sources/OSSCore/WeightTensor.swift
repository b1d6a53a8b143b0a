import Foundation

/// A weight matrix (or stack of matrices) in its stored dtype: raw bytes, possibly a view into an mmap'd file.
///
/// Logical shape is `[out, in]` for a matrix or `[E, out, in]` for a stack of expert matrices; `in` is the
/// contiguous dimension. Rows are `dtype.rowBytes(in)` bytes apart in `data`; for MXFP4, `scales` holds
/// `in/32` E8M0 bytes per row. No alignment beyond one byte is assumed for the bytes.
public struct WeightTensor: @unchecked Sendable, CustomStringConvertible {
    public let dtype: DType
    /// Logical element shape (rank 1…3; last dimension = input features).
    public let shape: Shape
    /// First byte of the stored data (MXFP4: the `blocks` bytes).
    public let data: UnsafeRawPointer
    /// MXFP4 scale bytes (one per 32 weights), nil for other dtypes.
    public let scales: UnsafePointer<UInt8>?
    /// Keeps the memory alive (an mmap region, a Data buffer, …).
    public let owner: AnyObject?

    /// Wraps stored bytes. Throws when the last dimension is not a multiple of the dtype's block, or MXFP4 lacks scales.
    public init(
        dtype: DType, shape: Shape, data: UnsafeRawPointer, scales: UnsafePointer<UInt8>? = nil,
        owner: AnyObject?
    ) throws {
        guard shape.rank >= 1, shape.rank <= 3 else {
            throw OSSError.invalidWeight("weight rank must be 1…3, got \(shape)")
        }
        guard shape.last % dtype.blockSize == 0 else {
            throw OSSError.invalidWeight(
                "\(dtype) needs the input dimension to be a multiple of \(dtype.blockSize), got \(shape)")
        }
        guard (dtype == .mxfp4) == (scales != nil) else {
            throw OSSError.invalidWeight(
                dtype == .mxfp4 ? "mxfp4 weight without scales" : "\(dtype) weight with scales")
        }
        self.dtype = dtype
        self.shape = shape
        self.data = data
        self.scales = scales
        self.owner = owner
    }

    /// Input features (contiguous dimension).
    @inlinable public var inFeatures: Int { shape.last }
    /// Output rows of one matrix (`shape[rank-2]`, or 1 for a vector).
    @inlinable public var outFeatures: Int { shape.rank >= 2 ? shape[shape.rank - 2] : 1 }
    /// Number of stacked matrices (`E` for `[E, out, in]`, else 1).
    @inlinable public var matrices: Int { shape.rank == 3 ? shape[0] : 1 }
    /// Bytes between consecutive rows of `data`.
    @inlinable public var rowBytes: Int { dtype.rowBytes(inFeatures) }
    /// Bytes of stored data (including scales) — what a full pass over the weight must read.
    public var storedBytes: Int {
        shape.rows * (rowBytes + dtype.rowScaleBytes(inFeatures))
    }

    /// Matrix `e` of a stack `[E, out, in]` as a `[out, in]` view.
    public func matrix(_ e: Int) -> WeightTensor {
        precondition(shape.rank == 3 && e >= 0 && e < shape[0], "matrix \(e) of \(shape)")
        let rows = shape[1]
        return try! WeightTensor(
            dtype: dtype, shape: Shape(rows, shape[2]), data: data + e * rows * rowBytes,
            scales: scales.map { $0 + e * rows * (inFeatures / 32) }, owner: owner)
    }

    /// Rows `range` of a `[out, in]` matrix as a view (e.g. q/k/v out of a fused qkv weight).
    public func rows(_ range: Range<Int>) -> WeightTensor {
        precondition(
            shape.rank == 2 && range.lowerBound >= 0 && range.upperBound <= shape[0], "rows \(range) of \(shape)")
        return try! WeightTensor(
            dtype: dtype, shape: Shape(range.count, shape[1]), data: data + range.lowerBound * rowBytes,
            scales: scales.map { $0 + range.lowerBound * (inFeatures / 32) }, owner: owner)
    }

    /// Decodes row `r` (of the flattened `[rows, in]` view) to Float32 — reference/test helper, not the hot path.
    public func decodeRow(_ r: Int, into out: UnsafeMutablePointer<Float>) {
        let n = inFeatures
        let row = data + r * rowBytes
        switch dtype {
        case .f32:
            for i in 0..<n { out[i] = row.loadUnaligned(fromByteOffset: 4 * i, as: Float.self) }
        case .f16:
            for i in 0..<n { out[i] = Codec.f16ToFloat(row.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) }
        case .bf16:
            for i in 0..<n { out[i] = Codec.bf16ToFloat(row.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) }
        case .q8_0:
            for b in 0..<(n / 32) { Codec.decodeQ8_0Block(row + 34 * b, into: out + 32 * b) }
        case .mxfp4:
            let sc = scales! + r * (n / 32)
            for b in 0..<(n / 32) {
                Codec.decodeMXFP4Group(
                    row.assumingMemoryBound(to: UInt8.self) + 16 * b, scale: sc[b], into: out + 32 * b)
            }
        case .q4_0, .q4_1, .q5_0, .q5_1:
            for b in 0..<(n / 32) { LegacyQuant.decodeBlock(dtype, row + dtype.bytesPerBlock * b, into: out + 32 * b) }
        case .q4_K, .q5_K, .q6_K:
            for b in 0..<(n / 256) { KQuant.decodeBlock(dtype, row + dtype.bytesPerBlock * b, into: out + 256 * b) }
        }
    }

    /// Decodes the whole tensor to a Float32 array (tests and one-time conversions only).
    public func decodedArray() -> [Float] {
        var out = [Float](repeating: 0, count: shape.count)
        out.withUnsafeMutableBufferPointer { buf in
            for r in 0..<shape.rows { decodeRow(r, into: buf.baseAddress! + r * inFeatures) }
        }
        return out
    }

    public var description: String { "WeightTensor(\(dtype), \(shape))" }
}

/// Owns heap bytes for weights built in memory (tests, synthetic models, quantizing from Float32).
public final class WeightStorage: @unchecked Sendable {
    public let bytes: UnsafeMutableRawPointer
    public let count: Int
    public init(count: Int) {
        self.count = count
        bytes = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1), alignment: 64)
        bytes.initializeMemory(as: UInt8.self, repeating: 0, count: max(count, 1))
    }
    deinit { bytes.deallocate() }
}

extension WeightTensor {
    /// Encodes Float32 values (row-major, `shape.count` of them) into a new weight of `dtype`.
    /// Quantizing dtypes round (the GGUF block types through their scale searches, see `LegacyQuant` and `KQuant`);
    /// f32 is exact. For tests, synthetic models, benchmarks and `oss quantize`.
    /// - Throws: `OSSError.invalidWeight` for a count or shape mismatch, or a NaN/±inf value for a block dtype (its
    ///   block scale would be meaningless).
    public static func encode(_ values: [Float], shape: Shape, dtype: DType) throws -> WeightTensor {
        guard values.count == shape.count else {
            throw OSSError.invalidWeight("encode: \(values.count) values for shape \(shape)")
        }
        return try values.withUnsafeBufferPointer { v in
            try build(shape: shape, dtype: dtype) { r, row in
                row.update(from: v.baseAddress! + r * shape.last, count: shape.last)
            }
        }
    }

    /// This weight in another dtype, converted one row at a time (decode to Float32, encode), rows spread over
    /// `threads` threads: no whole-matrix Float32 copy, so a 2.3 GB BF16 unembedding converts in a few MB of scratch.
    /// A one-time load step (`ModelLoadOptions.requantize`, `oss quantize`), never per token.
    /// - Throws: as `encode` (a non-finite value into a block dtype names the row).
    public func converted(to target: DType, threads: Int = 1) throws -> WeightTensor {
        if target == dtype { return self }
        return try Self.build(shape: shape, dtype: target, threads: threads) { r, row in decodeRow(r, into: row) }
    }

    /// Builds a weight of `dtype` and `shape` whose row r (of the flattened `[rows, in]` view) is what `fill(r, row)`
    /// writes into a Float32 scratch row, encoded row by row on up to `threads` threads.
    static func build(
        shape: Shape, dtype: DType, threads: Int = 1,
        _ fill: (Int, UnsafeMutablePointer<Float>) -> Void
    ) throws -> WeightTensor {
        guard shape.rank >= 1, shape.last % dtype.blockSize == 0 else {
            throw OSSError.invalidWeight("encode: \(dtype) needs last dim multiple of \(dtype.blockSize), got \(shape)")
        }
        let n = shape.last
        let rows = shape.rows
        let dataBytes = rows * dtype.rowBytes(n)
        let store = WeightStorage(count: dataBytes + rows * dtype.rowScaleBytes(n))
        let p = store.bytes
        let parts = max(1, min(threads, rows))
        let failedRow = ManagedAtomicRow()
        withoutActuallyEscaping(fill) { fill in
            let task = RowTask(fill: fill, bytes: p)
            DispatchQueue.concurrentPerform(iterations: parts) { part in
                let p = task.bytes
                let row = UnsafeMutablePointer<Float>.allocate(capacity: n)
                defer { row.deallocate() }
                for r in stride(from: part, to: rows, by: parts) {
                    task.fill(r, row)
                    if dtype.isQuantized, (0..<n).contains(where: { !row[$0].isFinite }) {
                        failedRow.record(r)
                        continue
                    }
                    encodeRow(
                        row, count: n, dtype: dtype, data: p + r * dtype.rowBytes(n),
                        scales: (p + dataBytes).assumingMemoryBound(to: UInt8.self) + r * dtype.rowScaleBytes(n))
                }
            }
        }
        if let r = failedRow.first {
            throw OSSError.invalidWeight("encode: \(dtype) cannot hold a non-finite value (row \(r) of \(shape))")
        }
        let scales = dtype == .mxfp4 ? UnsafePointer((p + dataBytes).assumingMemoryBound(to: UInt8.self)) : nil
        return try WeightTensor(dtype: dtype, shape: shape, data: UnsafeRawPointer(p), scales: scales, owner: store)
    }

    /// Encodes one row of `n` Float32 values into `data` (and `scales`, MXFP4's E8M0 bytes; the other dtypes as
    /// `DType.encodeRow`).
    static func encodeRow(
        _ src: UnsafePointer<Float>, count n: Int, dtype: DType, data p: UnsafeMutableRawPointer,
        scales: UnsafeMutablePointer<UInt8>
    ) {
        guard dtype == .mxfp4 else { return dtype.encodeRow(src, count: n, into: p) }
        let blocks = p.assumingMemoryBound(to: UInt8.self)
        for b in 0..<(n / 32) { scales[b] = Codec.encodeMXFP4Group(src + 32 * b, bytes: blocks + 16 * b) }
    }
}

/// The fill closure of `WeightTensor.build`, shared by its worker threads (each writes its own rows).
private struct RowTask: @unchecked Sendable {
    let fill: (Int, UnsafeMutablePointer<Float>) -> Void
    let bytes: UnsafeMutableRawPointer
}

/// The lowest row a `build` worker found a non-finite value in (thread-safe).
private final class ManagedAtomicRow: @unchecked Sendable {
    private let lock = NSLock()
    private var row: Int?
    func record(_ r: Int) {
        lock.lock()
        row = min(row ?? r, r)
        lock.unlock()
    }
    var first: Int? {
        lock.lock()
        defer { lock.unlock() }
        return row
    }
}
