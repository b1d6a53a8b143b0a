import Foundation

/// One tensor as described by a safetensors header (validated).
public struct SafetensorsTensorInfo: Sendable, CustomStringConvertible {
    public let name: String
    public let dtype: SafetensorsDType
    /// Dimensions, slowest first (as in the header; any rank, 0 for a scalar).
    public let shape: [Int]
    /// The file that stores it.
    public let file: URL
    /// Bytes of data (`shape` product × `dtype.size`).
    public let byteCount: Int
    /// Position of the first data byte from the start of the file (8 + header length + `data_offsets[0]`).
    /// No alignment is guaranteed.
    public let fileOffset: Int

    /// Number of elements (product of `shape`, 1 for a scalar).
    public var elementCount: Int { shape.reduce(1, *) }

    public var description: String {
        "\(name): \(dtype) \(shape) (\(byteCount) B at \(file.lastPathComponent)+\(fileOffset))"
    }
}
