import Foundation
import OSSCore

/// Typed views of GGUF tensors for the model.
extension GGUFFile {
    /// A weight of rank 1–3 with `shape` = `ne` reversed (`[out, in]`, `[E, out, in]`).
    ///
    /// F32, F16, BF16, Q8_0 and the Q4/Q5/Q6 block types (Q4_0 … Q5_1, Q4_K … Q6_K) view the mapping without a
    /// copy (`owner` keeps the file mapped); their block scales are not inspected here (a NaN or ±inf scale decodes to
    /// non-finite weights and outputs, as in ggml). MXFP4 (type 39) stores 17-byte blocks that `DType.mxfp4` does not compute with, so it is repacked **once, here** into the
    /// Hugging Face layout (separate blocks and scales, see ``MXFP4Layout``) in new memory owned by the result:
    /// a one-time copy of the tensor's size, done at load, never per token.
    public func weight(_ name: String) throws(GGUFError) -> WeightTensor {
        guard let info = info(name) else { throw .tensorNotFound(file: url, tensor: name) }
        guard let dtype = info.type.dtype else {
            throw .unsupportedType(
                file: url, tensor: name, type: info.type, operation: "weight()",
                accepted: "F32, F16, BF16, Q8_0, MXFP4, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K")
        }
        guard (1...3).contains(info.ne.count) else {
            throw .unsupportedShape(file: url, tensor: name, ne: info.ne, reason: "weight() needs 1…3 dimensions")
        }
        let shape = Shape(info.shape)
        do {
            guard dtype == .mxfp4 else {
                return try WeightTensor(dtype: dtype, shape: shape, data: pointer(info), owner: self)
            }
            let blockCount = shape.rows * (shape.last / 32)
            let store = WeightStorage(count: blockCount * MXFP4Layout.ggufBlockBytes)
            let blocks = store.bytes.assumingMemoryBound(to: UInt8.self)
            let scales = blocks + 16 * blockCount
            let src = pointer(info)
            for b in 0..<blockCount {
                let block = src + MXFP4Layout.ggufBlockBytes * b
                scales[b] = block.load(as: UInt8.self)
                MXFP4Layout.hfBytes(fromGGUF: block + 1, into: blocks + 16 * b)
            }
            return try WeightTensor(
                dtype: .mxfp4, shape: shape, data: UnsafeRawPointer(blocks),
                scales: UnsafePointer(scales), owner: store)
        } catch {
            throw .unsupportedShape(file: url, tensor: name, ne: info.ne, reason: "\(error)")
        }
    }

    /// A small float tensor (norm scale, bias, sinks) converted once to a new Float32 `Tensor` with `shape` = `ne`
    /// reversed. Accepts F32, F16 and BF16.
    public func floatTensor(_ name: String) throws(GGUFError) -> Tensor {
        guard let info = info(name) else { throw .tensorNotFound(file: url, tensor: name) }
        guard let dtype = info.type.dtype, dtype.blockSize == 1 else {
            throw .unsupportedType(
                file: url, tensor: name, type: info.type, operation: "floatTensor()",
                accepted: "F32, F16, BF16")
        }
        let tensor = Tensor(zeros: Shape(info.shape))
        FloatConversion.decode(dtype, from: pointer(info), count: tensor.count, into: tensor.pointer)
        return tensor
    }
}
