import OSSCore
import OSSFormats

/// Fetches GGUF tensors by name with the shape (slowest dimension first, i.e. `ne` reversed) the model's
/// hyper-parameters imply; every failure names the file and the tensor.
struct GGUFWeightLoader {
    let archive: GGUFArchive
    var file: String { archive.url.path }

    func contains(_ name: String) -> Bool { archive.contains(name) }

    private func info(_ name: String, _ shape: Shape) throws -> GGUFTensorInfo {
        guard let info = archive.info(name) else { throw ModelError.missingTensor(name: name, directory: file) }
        guard Shape(info.shape) == shape else {
            throw ModelError.tensorShape(name: name, expected: shape, found: Shape(info.shape))
        }
        return info
    }

    /// A weight matrix (or expert stack) in its stored dtype; a type SwiftOSS does not compute with is a
    /// `ModelError.tensorDType` naming the tensor and the type.
    func matrix(_ name: String, _ shape: Shape) throws -> WeightTensor {
        let i = try info(name, shape)
        guard i.type.dtype != nil else {
            throw ModelError.tensorDType(name: name, found: i.type.description, expected: GGUFWeightLoader.computedTypes)
        }
        return try archive.weight(name)
    }

    /// A small tensor converted to Float32 (norm scales, biases, sinks, rope factors).
    func vector(_ name: String, _ shape: Shape) throws -> Tensor {
        let i = try info(name, shape)
        guard let d = i.type.dtype, d.blockSize == 1 else {
            throw ModelError.tensorDType(name: name, found: i.type.description, expected: "F32, F16 or BF16")
        }
        return try archive.floatTensor(name)
    }

    /// `vector` when the tensor exists, else nil.
    func optionalVector(_ name: String, _ shape: Shape) throws -> Tensor? {
        contains(name) ? try vector(name, shape) : nil
    }

    /// The ggml types matrices may have.
    static var computedTypes: String {
        GGMLType.allCases.filter { $0.dtype != nil }.map(\.description).joined(separator: ", ")
    }
}
