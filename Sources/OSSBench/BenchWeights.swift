import OSSCore

/// Weight matrices for op benchmarks, built fast at any size: a block of random rows is encoded once in the target
/// dtype and tiled over the whole matrix (distinct memory, so the bytes stream from DRAM as real weights do), on
/// 2 MiB pages as a model's mapped weights (`HugePageBuffer`), so T = 1 cells and their `read` rows stream at the
/// bandwidth decode sees and the DRAM probe measures.
enum BenchWeights {
    /// Rows encoded per template (tiled to fill the matrix).
    static let templateRows = 64

    /// A `[rows, cols]` (or `[E, rows, cols]` when `experts` > 0) weight of `dtype`, values uniform in ±`scale`.
    static func make(dtype: DType, rows: Int, cols: Int, experts: Int = 0, scale: Float = 0.05, seed: UInt64) throws
        -> WeightTensor
    {
        let totalRows = rows * max(experts, 1)
        let tRows = min(templateRows, totalRows)
        var rng = BenchRandom(seed: seed)
        let template = try WeightTensor.encode(
            rng.floats(tRows * cols, scale: scale), shape: Shape([tRows, cols]), dtype: dtype)
        let rowBytes = dtype.rowBytes(cols)
        let scaleBytes = dtype.rowScaleBytes(cols)
        let dataBytes = totalRows * rowBytes
        let store = try HugePageBuffer(count: dataBytes + totalRows * scaleBytes, what: "bench weights \(dtype)")
        let base = store.start
        for r in 0..<totalRows {
            (base + r * rowBytes).copyMemory(from: template.data + (r % tRows) * rowBytes, byteCount: rowBytes)
        }
        var scales: UnsafePointer<UInt8>? = nil
        if let src = template.scales, scaleBytes > 0 {
            let dst = (base + dataBytes).assumingMemoryBound(to: UInt8.self)
            for r in 0..<totalRows {
                (dst + r * scaleBytes).update(from: src + (r % tRows) * scaleBytes, count: scaleBytes)
            }
            scales = UnsafePointer(dst)
        }
        store.collapseIfFragmented()
        let shape = experts > 0 ? Shape([experts, rows, cols]) : Shape([rows, cols])
        return try WeightTensor(dtype: dtype, shape: shape, data: UnsafeRawPointer(base), scales: scales, owner: store)
    }

    /// Enough copies of a `bytes`-sized weight that cycling through them streams at least `target` bytes
    /// (so every rep reads from DRAM, not from a cache that still holds the previous rep's weights).
    static func copies(bytes: Double, target: Double, limit: Int = 64) -> Int {
        guard bytes > 0 else { return 1 }
        return max(1, min(limit, Int((target / bytes).rounded(.up))))
    }
}

extension Tensor {
    /// A tensor of `shape` with seeded uniform values in ±`scale`.
    static func random(_ shape: [Int], scale: Float = 1, seed: UInt64) -> Tensor {
        var rng = BenchRandom(seed: seed)
        return Tensor(rng.floats(shape.reduce(1, *), scale: scale), shape: Shape(shape))
    }
}
