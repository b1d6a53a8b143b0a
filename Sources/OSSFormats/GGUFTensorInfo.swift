import Foundation

/// One tensor of a GGUF file (validated).
public struct GGUFTensorInfo: Sendable, CustomStringConvertible {
    public let name: String
    public let type: GGMLType
    /// ggml dimensions, **fastest first** (`ne[0]` is the contiguous dimension, e.g. `[in, out]` for a matrix).
    public let ne: [Int]
    public let file: URL
    /// Offset of the data within the data section (a multiple of the file's alignment).
    public let offset: Int
    /// Position of the first data byte from the start of the file.
    public let fileOffset: Int
    /// Bytes of data (`ne` product / block size × type size).
    public let byteCount: Int

    /// Dimensions slowest first (PyTorch / safetensors order): `ne` reversed, e.g. `[out, in]`.
    public var shape: [Int] { ne.reversed() }

    public var description: String {
        "\(name): \(type) ne \(ne) (\(byteCount) B at \(file.lastPathComponent)+\(fileOffset))"
    }
}
