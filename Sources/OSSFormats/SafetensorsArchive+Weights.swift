import Foundation
import OSSCore

/// Typed views of archive tensors for the model: weights stay in their stored dtype and point into the mapping.
extension SafetensorsArchive {
    /// A float weight (matrix `[out, in]`, stack `[E, out, in]` or vector `[n]`) viewing the mapping without a copy.
    /// Accepts F32, F16 and BF16 tensors of rank 1–3; the `WeightTensor` keeps the file mapped (`owner`).
    public func weight(_ name: String) throws(SafetensorsError) -> WeightTensor {
        let (file, info) = try locate(name)
        guard let dtype = info.dtype.floatDType else {
            throw .unsupportedDType(
                file: file.url, tensor: name, dtype: info.dtype, operation: "weight()",
                accepted: "F32, F16, BF16")
        }
        guard (1...3).contains(info.shape.count) else {
            throw .unsupportedShape(file: file.url, tensor: name, shape: info.shape, reason: "weight() needs rank 1…3")
        }
        return try makeWeight(
            dtype: dtype, shape: info.shape, data: file.pointer(info), scales: nil,
            owner: file, file: file.url, tensor: name)
    }

    /// An MXFP4 weight from a `blocks` tensor `[.., out, G, 16]` (U8, 32 E2M1 codes per 16 bytes, low nibble =
    /// even element) and a `scales` tensor `[.., out, G]` (U8, E8M0) → `WeightTensor(.mxfp4, [.., out, 32·G])`
    /// viewing both in place. Leading dimensions (experts) must agree; the result has rank 1–3.
    public func mxfp4Weight(blocks: String, scales: String) throws(SafetensorsError) -> WeightTensor {
        let (blockFile, b) = try locate(blocks)
        let (scaleFile, s) = try locate(scales)
        guard b.dtype == .u8 else {
            throw .unsupportedDType(
                file: blockFile.url, tensor: blocks, dtype: b.dtype,
                operation: "mxfp4Weight() blocks", accepted: "U8")
        }
        guard s.dtype == .u8 else {
            throw .unsupportedDType(
                file: scaleFile.url, tensor: scales, dtype: s.dtype,
                operation: "mxfp4Weight() scales", accepted: "U8")
        }
        guard (2...4).contains(b.shape.count), b.shape.last == 16 else {
            throw .unsupportedShape(
                file: blockFile.url, tensor: blocks, shape: b.shape,
                reason: "MXFP4 blocks must be [.., out, groups, 16] with rank 2…4")
        }
        guard s.shape == Array(b.shape.dropLast()) else {
            throw .unsupportedShape(
                file: scaleFile.url, tensor: scales, shape: s.shape,
                reason: "MXFP4 scales must be \(Array(b.shape.dropLast())) to match blocks \"\(blocks)\" \(b.shape)")
        }
        var shape = s.shape
        shape[shape.count - 1] *= 32
        let owner: AnyObject = blockFile === scaleFile ? blockFile : SafetensorsFileGroup([blockFile, scaleFile])
        return try makeWeight(
            dtype: .mxfp4, shape: shape, data: blockFile.pointer(b),
            scales: scaleFile.pointer(s).assumingMemoryBound(to: UInt8.self),
            owner: owner, file: blockFile.url, tensor: blocks)
    }

    /// A small float tensor (bias, norm scale, sinks) converted once to a new Float32 `Tensor` of the same shape
    /// (rank 0–4). Accepts F32, F16 and BF16. This copies: not for the large matrices.
    public func floatTensor(_ name: String) throws(SafetensorsError) -> Tensor {
        let (file, info) = try locate(name)
        guard let dtype = info.dtype.floatDType else {
            throw .unsupportedDType(
                file: file.url, tensor: name, dtype: info.dtype, operation: "floatTensor()",
                accepted: "F32, F16, BF16")
        }
        guard info.shape.count <= 4 else {
            throw .unsupportedShape(
                file: file.url, tensor: name, shape: info.shape, reason: "floatTensor() needs rank ≤ 4")
        }
        let tensor = Tensor(zeros: Shape(info.shape))
        FloatConversion.decode(dtype, from: file.pointer(info), count: tensor.count, into: tensor.pointer)
        return tensor
    }

    private func makeWeight(
        dtype: DType, shape: [Int], data: UnsafeRawPointer, scales: UnsafePointer<UInt8>?,
        owner: AnyObject, file: URL, tensor: String
    ) throws(SafetensorsError) -> WeightTensor {
        do {
            return try WeightTensor(dtype: dtype, shape: Shape(shape), data: data, scales: scales, owner: owner)
        } catch {
            throw .unsupportedShape(file: file, tensor: tensor, shape: shape, reason: "\(error)")
        }
    }
}

/// Keeps several mapped files alive for one view (an MXFP4 weight whose blocks and scales sit in different shards).
final class SafetensorsFileGroup: @unchecked Sendable {
    let files: [SafetensorsFile]
    init(_ files: [SafetensorsFile]) { self.files = files }
}
