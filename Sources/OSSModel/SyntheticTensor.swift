import Dispatch
import OSSFormats

/// One tensor of a synthetic checkpoint: its name and shape in the chosen layout, and the recipe and index
/// offset that map its elements onto the original-checkpoint tensor they come from (q/k/v slices of qkv).
struct SyntheticTensor {
    let name: String
    let shape: [Int]
    let recipe: SyntheticRecipe
    /// Flat index in the original tensor of this tensor's element 0.
    let indexOffset: Int

    var dtype: SafetensorsDType { recipe.isBytes ? .u8 : .bf16 }
    var elementCount: Int { shape.reduce(1, *) }
    var byteCount: Int { elementCount * dtype.size }

    var entry: SafetensorsWriter.Entry {
        SafetensorsWriter.Entry(name: name, dtype: dtype, shape: shape) { self.fill($0) }
    }

    /// Writes every element into `out` (little-endian BF16 or bytes), in parallel over chunks.
    func fill(_ out: UnsafeMutableRawBufferPointer) {
        guard let base = out.baseAddress else { return }
        let target = RawPointerBox(pointer: base)
        let count = elementCount
        let chunk = 1 << 18
        let chunks = (count + chunk - 1) / chunk
        let recipe = self.recipe
        let offset = self.indexOffset
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            let lo = c * chunk
            let hi = min(lo + chunk, count)
            let p = target.pointer
            if recipe.isBytes {
                for i in lo..<hi {
                    p.storeBytes(
                        of: recipe.byte(UInt32(truncatingIfNeeded: i + offset)), toByteOffset: i, as: UInt8.self)
                }
            } else {
                for i in lo..<hi {
                    let bits = UInt16(
                        truncatingIfNeeded: recipe.value(UInt32(truncatingIfNeeded: i + offset)).bitPattern >> 16)
                    p.storeBytes(of: bits.littleEndian, toByteOffset: 2 * i, as: UInt16.self)
                }
            }
        }
    }
}

/// A raw pointer that may cross into `concurrentPerform` (each iteration writes a disjoint range).
struct RawPointerBox: @unchecked Sendable {
    let pointer: UnsafeMutableRawPointer
}
