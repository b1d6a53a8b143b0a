import Dispatch
import OSSCore
import OSSFormats

/// One tensor of a synthetic GGUF file whose values come from a §6 recipe: row r of the written tensor is row
/// `sourceRow(r)` of the recipe's original-checkpoint tensor (rows of `rowLength` elements), so q/k/v slices of the
/// fused qkv, gate/up halves of the interleaved experts and plain copies all read the same seeded values.
struct SyntheticGGUFTensor: Sendable {
    enum Source: Sendable {
        /// Float values (`recipe.value`), written as F32, F16 or BF16 (the entry's type; F32 for any other).
        case float(SyntheticRecipe)
        /// MXFP4 experts from the blocks and scales recipes (safetensors byte layout), written as ggml 17-byte blocks.
        case mxfp4(blocks: SyntheticRecipe, scales: SyntheticRecipe)
        /// Float values quantized to Q8_0 blocks (weights of the dense synthetic models).
        case q8_0(SyntheticRecipe)
        /// Given Float32 values (row-major), written as F32 (e.g. `rope_freqs.weight`).
        case values([Float])
    }

    let name: String
    let type: GGMLType
    /// ggml dimensions, fastest first.
    let ne: [Int]
    /// Elements per row of the mapping (`ne[0]` for matrices; 1 maps every element on its own, e.g. the gate half
    /// of interleaved expert biases).
    let rowLength: Int
    let source: Source
    /// Source row of written row r.
    let sourceRow: @Sendable (Int) -> Int

    var rows: Int { ne.reduce(1, *) / rowLength }

    var entry: GGUFWriter.Entry {
        GGUFWriter.Entry(name: name, type: type, ne: ne) { self.fill($0) }
    }

    /// Writes every row (in parallel over row chunks).
    func fill(_ out: UnsafeMutableRawBufferPointer) {
        guard let base = out.baseAddress else { return }
        let target = RawPointerBox(pointer: base)
        let n = rowLength, rowBytes = type.typeSize * (n / type.blockSize)
        let chunk = max(1, (1 << 16) / max(n, 1)), chunks = (rows + chunk - 1) / chunk
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            var row = [Float](repeating: 0, count: n)
            for r in (c * chunk)..<min((c + 1) * chunk, rows) {
                let dst = target.pointer + r * rowBytes, src = sourceRow(r)
                switch source {
                case let .float(recipe):
                    for i in 0..<n {
                        let v = recipe.value(UInt32(truncatingIfNeeded: src * n + i))
                        switch type {
                        case .f16: dst.storeBytes(of: Codec.floatToF16(v), toByteOffset: 2 * i, as: UInt16.self)
                        case .bf16: dst.storeBytes(of: Codec.floatToBF16(v), toByteOffset: 2 * i, as: UInt16.self)
                        default: dst.storeBytes(of: v, toByteOffset: 4 * i, as: Float.self)
                        }
                    }
                case let .values(v):
                    for i in 0..<n { dst.storeBytes(of: v[src * n + i], toByteOffset: 4 * i, as: Float.self) }
                case let .q8_0(recipe):
                    for i in 0..<n { row[i] = recipe.value(UInt32(truncatingIfNeeded: src * n + i)) }
                    row.withUnsafeBufferPointer { v in
                        for b in 0..<(n / 32) { Codec.encodeQ8_0Block(v.baseAddress! + 32 * b, into: dst + 34 * b) }
                    }
                case let .mxfp4(blocks, scales):
                    let groups = n / 32
                    var hf = [UInt8](repeating: 0, count: 16)
                    for g in 0..<groups {
                        let block = dst + 17 * g, index = src * groups + g
                        block.storeBytes(of: scales.byte(UInt32(truncatingIfNeeded: index)), as: UInt8.self)
                        for k in 0..<16 { hf[k] = blocks.byte(UInt32(truncatingIfNeeded: index * 16 + k)) }
                        hf.withUnsafeBytes { MXFP4Layout.ggufBytes(fromHF: $0.baseAddress!, into: block + 1) }
                    }
                }
            }
        }
    }
}
