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
        /// Float values quantized to blocks of a GGUF block dtype (Q8_0, Q4_0 … Q6_K; weights of the dense models).
        case quantized(SyntheticRecipe, DType)
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
        let n = rowLength
        let rowBytes = type.typeSize * (n / type.blockSize)
        let chunk = max(1, (1 << 16) / max(n, 1))
        let chunks = (rows + chunk - 1) / chunk
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            var row = [Float](repeating: 0, count: n)
            for r in (c * chunk)..<min((c + 1) * chunk, rows) {
                let dst = target.pointer + r * rowBytes
                let src = sourceRow(r)
                switch source {
                case .float(let recipe):
                    for i in 0..<n {
                        let v = recipe.value(UInt32(truncatingIfNeeded: src * n + i))
                        switch type {
                        case .f16: dst.storeBytes(of: Codec.floatToF16(v), toByteOffset: 2 * i, as: UInt16.self)
                        case .bf16: dst.storeBytes(of: Codec.floatToBF16(v), toByteOffset: 2 * i, as: UInt16.self)
                        default: dst.storeBytes(of: v, toByteOffset: 4 * i, as: Float.self)
                        }
                    }
                case .values(let v):
                    for i in 0..<n { dst.storeBytes(of: v[src * n + i], toByteOffset: 4 * i, as: Float.self) }
                case .quantized(let recipe, let dtype):
                    if case .float(let seed, let shift) = recipe, Self.writesNatively(dtype) {
                        for b in 0..<(n / 32) {
                            Self.nativeBlock(
                                dtype, seed: seed, shift: shift, first: src * n + 32 * b,
                                into: dst + dtype.bytesPerBlock * b)
                        }
                        continue
                    }
                    for i in 0..<n { row[i] = recipe.value(UInt32(truncatingIfNeeded: src * n + i)) }
                    row.withUnsafeBufferPointer { v in
                        let block = dtype.blockSize
                        let bytes = dtype.bytesPerBlock
                        for b in 0..<(n / block) {
                            let x = v.baseAddress! + block * b
                            let out = dst + bytes * b
                            switch dtype {
                            case .q8_0: Codec.encodeQ8_0Block(x, into: out)
                            case .q4_K, .q5_K, .q6_K: KQuant.encodeBlock(dtype, x, into: out)
                            default: LegacyQuant.encodeBlock(dtype, x, into: out)
                            }
                        }
                    }
                case .mxfp4(let blocks, let scales):
                    let groups = n / 32
                    var hf = [UInt8](repeating: 0, count: 16)
                    for g in 0..<groups {
                        let block = dst + 17 * g
                        let index = src * groups + g
                        block.storeBytes(of: scales.byte(UInt32(truncatingIfNeeded: index)), as: UInt8.self)
                        for k in 0..<16 { hf[k] = blocks.byte(UInt32(truncatingIfNeeded: index * 16 + k)) }
                        hf.withUnsafeBytes { MXFP4Layout.ggufBytes(fromHF: $0.baseAddress!, into: block + 1) }
                    }
                }
            }
        }
    }
}

extension SyntheticGGUFTensor {
    /// Block dtypes whose blocks are written straight from the hash (no quantizer search, so llama-1b is written in
    /// seconds): the float recipe is `(b − 128)·2^−shift` with `b = h32 >> 24`, an integer times a power of two.
    static func writesNatively(_ dtype: DType) -> Bool { [.q8_0, .q4_0, .q4_1, .q5_0, .q5_1].contains(dtype) }

    /// One 32-weight block of elements `first…` of a `.float(seed, shift)` recipe:
    /// - Q8_0: `d = 2^−shift`, `q = b − 128`: exactly the float values (so a Q8_0 preset is the F32 one);
    /// - Q4_0 / Q4_1: `d = 2^(4−shift)`, level `min(15, (b + 8) >> 4)` (Q4_1: `m = −8d`): b rounded to a multiple of 16;
    /// - Q5_0 / Q5_1: `d = 2^(3−shift)`, level `min(31, (b + 4) >> 3)` (Q5_1: `m = −16d`): b rounded to a multiple of 8.
    /// Layouts as gguf.md §3 (element k < 16 in the low nibble of qs[k], k ≥ 16 in the high nibble of qs[k − 16];
    /// Q5's fifth bits in the little-endian u32 qh).
    static func nativeBlock(_ dtype: DType, seed: UInt32, shift: Int, first: Int, into block: UnsafeMutableRawPointer) {
        func byte(_ k: Int) -> Int {
            Int(SyntheticHash.h32(seed: seed, index: UInt32(truncatingIfNeeded: first + k)) >> 24)
        }
        func f16(_ exponent: Int) -> UInt16 { Codec.floatToF16(Float(sign: .plus, exponent: exponent, significand: 1)) }
        switch dtype {
        case .q8_0:
            block.storeBytes(of: f16(-shift).littleEndian, as: UInt16.self)
            for k in 0..<32 { block.storeBytes(of: Int8(byte(k) - 128), toByteOffset: 2 + k, as: Int8.self) }
        default:
            let fiveBit = dtype == .q5_0 || dtype == .q5_1
            let affine = dtype == .q4_1 || dtype == .q5_1
            let bits = fiveBit ? 5 : 4
            let dExponent = (8 - bits) - shift
            block.storeBytes(of: f16(dExponent).littleEndian, as: UInt16.self)
            var offset = 2
            if affine {
                // m = −(zero level)·d: −8d (Q4_1) or −16d (Q5_1), a power of two.
                let m = -Codec.f16ToFloat(f16(dExponent)) * Float(1 << (bits - 1))
                block.storeBytes(of: Codec.floatToF16(m).littleEndian, toByteOffset: 2, as: UInt16.self)
                offset = 4
            }
            var qh: UInt32 = 0
            var levels = [Int](repeating: 0, count: 32)
            for k in 0..<32 {
                // The nearest level (b rounded to a multiple of 2^(8 − bits), the top one clamped): unbiased weights.
                levels[k] = min((1 << bits) - 1, (byte(k) + (1 << (7 - bits))) >> (8 - bits))
                if levels[k] & 16 != 0 { qh |= 1 << UInt32(k) }
            }
            if fiveBit {
                block.storeBytes(of: qh.littleEndian, toByteOffset: offset, as: UInt32.self)
                offset += 4
            }
            for k in 0..<16 {
                let packed = UInt8(levels[k] & 15) | UInt8(levels[k + 16] & 15) << 4
                block.storeBytes(of: packed, toByteOffset: offset + k, as: UInt8.self)
            }
        }
    }
}
