import Foundation

/// Everything that can go wrong reading or writing safetensors files. Every case names the file (and the tensor
/// where there is one) and says why, so a message alone locates the problem.
public enum SafetensorsError: Error, CustomStringConvertible {
    /// The file could not be opened, stat'ed or mapped (`reason` is the system's message).
    case cannotOpen(file: URL, reason: String)
    /// Fewer than the 8 bytes of the header-length prefix.
    case fileTooSmall(file: URL, size: Int)
    /// The declared header length exceeds `limit` (the reference implementation's 100 MB bound).
    case headerTooLarge(file: URL, headerLength: UInt64, limit: Int)
    /// The declared header length runs past the end of the file.
    case headerExceedsFile(file: URL, headerLength: UInt64, fileSize: Int)
    /// The header is not well-formed UTF-8 JSON (`reason` gives the byte offset within the header).
    case malformedHeader(file: URL, reason: String)
    /// The header is valid JSON but not an object.
    case headerNotObject(file: URL, found: String)
    /// The same tensor name appears twice in one header, or twice in the tensors given to the writer.
    case duplicateTensor(file: URL, tensor: String)
    /// A tensor entry lacks a field or has one of the wrong type (`dtype` string, `shape` integer array,
    /// `data_offsets` two integers), or a writer entry is unusable (reserved name).
    case invalidEntry(file: URL, tensor: String, reason: String)
    /// The `dtype` string is not one of ``SafetensorsDType``.
    case unknownDType(file: URL, tensor: String, dtype: String)
    /// A dimension of `shape` is negative.
    case negativeDimension(file: URL, tensor: String, shape: [Int])
    /// The element count or byte count of `shape` overflows.
    case sizeOverflow(file: URL, tensor: String, shape: [Int])
    /// `shape` product × dtype size differs from `end − begin`.
    case byteCountMismatch(file: URL, tensor: String, shape: [Int], dtype: SafetensorsDType, expected: Int, actual: Int)
    /// `data_offsets` negative or begin > end.
    case invalidOffsets(file: URL, tensor: String, begin: Int, end: Int)
    /// `data_offsets` run past the end of the data section (`dataSize` bytes).
    case offsetsOutOfBounds(file: URL, tensor: String, begin: Int, end: Int, dataSize: Int)
    /// Two tensors share bytes.
    case overlappingTensors(file: URL, first: String, second: String)
    /// `__metadata__` is not an object of string → string (or appears twice).
    case invalidMetadata(file: URL, reason: String)
    /// No tensor of that name (in `file`, or in any file of an archive when `file` is nil).
    case tensorNotFound(file: URL?, tensor: String)
    /// A directory with neither `model.safetensors.index.json` nor any `*.safetensors` file.
    case noSafetensorsFiles(directory: URL)
    /// `model.safetensors.index.json` is unreadable, not JSON, or lacks a string → string `weight_map`.
    case indexMalformed(index: URL, reason: String)
    /// The index maps `tensor` to a shard file that does not exist.
    case indexMissingFile(index: URL, tensor: String, shard: String)
    /// The index maps `tensor` to a shard whose header does not contain it.
    case indexTensorMissingFromShard(index: URL, tensor: String, shard: URL)
    /// The same tensor name is stored in two files of one archive.
    case tensorInMultipleFiles(tensor: String, first: URL, second: URL)
    /// The tensor's dtype is not one the requested view accepts (e.g. `weight()` of a U8 tensor).
    case unsupportedDType(file: URL, tensor: String, dtype: SafetensorsDType, operation: String, accepted: String)
    /// The tensor's shape does not fit the requested view (rank, MXFP4 blocks vs. scales).
    case unsupportedShape(file: URL, tensor: String, shape: [Int], reason: String)
    /// A system call failed while writing (`operation` names it; `reason` is the system's message).
    case writeFailed(file: URL, operation: String, reason: String)

    public var description: String {
        switch self {
        case .cannotOpen(let f, let r):
            return "\(f.path): cannot open: \(r)"
        case .fileTooSmall(let f, let size):
            return "\(f.path): file is \(size) bytes, a safetensors file needs at least 8"
        case .headerTooLarge(let f, let n, let limit):
            return "\(f.path): header length \(n) exceeds the limit of \(limit) bytes"
        case .headerExceedsFile(let f, let n, let size):
            return "\(f.path): header length \(n) runs past the end of the \(size)-byte file"
        case .malformedHeader(let f, let r):
            return "\(f.path): malformed JSON header: \(r)"
        case .headerNotObject(let f, let found):
            return "\(f.path): header is a JSON \(found), not an object"
        case .duplicateTensor(let f, let t):
            return "\(f.path): tensor \"\(t)\" appears more than once"
        case .invalidEntry(let f, let t, let r):
            return "\(f.path): tensor \"\(t)\": \(r)"
        case .unknownDType(let f, let t, let d):
            return "\(f.path): tensor \"\(t)\": unknown dtype \"\(d)\""
        case .negativeDimension(let f, let t, let s):
            return "\(f.path): tensor \"\(t)\": negative dimension in shape \(s)"
        case .sizeOverflow(let f, let t, let s):
            return "\(f.path): tensor \"\(t)\": size of shape \(s) overflows"
        case .byteCountMismatch(let f, let t, let s, let d, let expected, let actual):
            return
                "\(f.path): tensor \"\(t)\": shape \(s) × \(d) (\(d.size) B) = \(expected) bytes, data_offsets span \(actual)"
        case .invalidOffsets(let f, let t, let b, let e):
            return "\(f.path): tensor \"\(t)\": invalid data_offsets [\(b), \(e)] (need 0 ≤ begin ≤ end)"
        case .offsetsOutOfBounds(let f, let t, let b, let e, let size):
            return "\(f.path): tensor \"\(t)\": data_offsets [\(b), \(e)] past the end of the \(size)-byte data section"
        case .overlappingTensors(let f, let a, let b):
            return "\(f.path): tensors \"\(a)\" and \"\(b)\" overlap"
        case .invalidMetadata(let f, let r):
            return "\(f.path): invalid __metadata__: \(r)"
        case .tensorNotFound(let f, let t):
            return f.map { "\($0.path): no tensor \"\(t)\"" } ?? "no tensor \"\(t)\" in any file"
        case .noSafetensorsFiles(let d):
            return "\(d.path): no model.safetensors.index.json and no *.safetensors file"
        case .indexMalformed(let i, let r):
            return "\(i.path): malformed index: \(r)"
        case .indexMissingFile(let i, let t, let s):
            return "\(i.path): tensor \"\(t)\" maps to missing file \"\(s)\""
        case .indexTensorMissingFromShard(let i, let t, let s):
            return "\(i.path): tensor \"\(t)\" is not in its shard \(s.path)"
        case .tensorInMultipleFiles(let t, let a, let b):
            return "tensor \"\(t)\" is stored in both \(a.path) and \(b.path)"
        case .unsupportedDType(let f, let t, let d, let op, let accepted):
            return "\(f.path): tensor \"\(t)\": \(op) does not accept dtype \(d) (accepts \(accepted))"
        case .unsupportedShape(let f, let t, let s, let r):
            return "\(f.path): tensor \"\(t)\": shape \(s): \(r)"
        case .writeFailed(let f, let op, let r):
            return "\(f.path): \(op) failed: \(r)"
        }
    }
}
