import OSSCore

extension SwiftBackend {
    /// `out[t] = table[tokens[t]]`, decoding the stored dtype.
    public func embedding(_ table: WeightTensor, tokens: [Int32], out: Tensor) throws {
        try OpValidation.embedding(table, tokens, out)
        let width = table.inFeatures
        let dst = out.pointer
        tokens.withUnsafeBufferPointer { ids in
            guard let idp = ids.baseAddress else { return }
            parallelFor(
                ids.count, minPerChunk: max(1, 65536 / width),
                EmbeddingRows(table: table, ids: idp, width: width, out: dst))
        }
    }
}

/// `embedding` of token `t`: row `ids[t]` of `table`, decoded into `out[t, width]`.
struct EmbeddingRows: IndexKernel {
    let table: WeightTensor
    let ids: UnsafePointer<Int32>
    let width: Int
    let out: UnsafeMutablePointer<Float>

    @inline(__always)
    func run(_ t: Int, worker _: Int) {
        WeightDecoder.decode(table, row: Int(ids[t]), from: 0, count: width, into: out + t * width)
    }
}
