import OSSCore

extension SwiftBackend {
    /// `out[t] = table[tokens[t]]`, decoding the stored dtype.
    public func embedding(_ table: WeightTensor, tokens: [Int32], out: Tensor) throws {
        try OpValidation.embedding(table, tokens, out)
        let width = table.inFeatures, dst = out.pointer
        tokens.withUnsafeBufferPointer { ids in
            let idp = ids.baseAddress!
            parallelFor(ids.count, minPerChunk: max(1, 65536 / width)) { t, _ in
                WeightDecoder.decode(table, row: Int(idp[t]), from: 0, count: width, into: dst + t * width)
            }
        }
    }
}
