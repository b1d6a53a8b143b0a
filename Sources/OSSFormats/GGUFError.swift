import Foundation

/// Everything that can go wrong reading or writing GGUF files; every case names the file (and the key or tensor
/// where there is one) and the reason.
public enum GGUFError: Error, CustomStringConvertible {
    /// The file could not be opened or mapped.
    case cannotOpen(file: URL, reason: String)
    /// The file ends at byte `offset` while `reading` something (header, a key, a tensor info, …).
    case truncated(file: URL, offset: Int, reading: String)
    /// The first four bytes are not `GGUF`.
    case badMagic(file: URL, found: [UInt8])
    /// A version other than 2 or 3 (1 has 32-bit counts; a byte-swapped version means a big-endian file).
    case unsupportedVersion(file: URL, version: UInt32)
    /// A count (tensors, key-value pairs, array elements) that the rest of the file cannot possibly hold.
    case implausibleCount(file: URL, what: String, count: UInt64)
    /// A string at byte `offset` that is too long or not UTF-8.
    case invalidString(file: URL, offset: Int, reason: String)
    /// A metadata key that appears twice.
    case duplicateKey(file: URL, key: String)
    /// A value type tag outside 0…12 (or arrays nested too deep).
    case invalidValueType(file: URL, key: String, type: UInt32)
    /// `general.alignment` is not a u32 power of two ≤ 1 MiB.
    case invalidAlignment(file: URL, reason: String)
    /// A tensor name that appears twice.
    case duplicateTensor(file: URL, tensor: String)
    /// A tensor info that cannot describe a tensor: more than 4 dimensions, negative or overflowing `ne`, or
    /// `ne[0]` not a multiple of the type's block size.
    case invalidTensorInfo(file: URL, tensor: String, reason: String)
    /// A ggml type number that is not a known type.
    case unknownTensorType(file: URL, tensor: String, type: UInt32)
    /// A tensor whose offset is not where the previous tensors and the alignment put it.
    case misplacedTensor(file: URL, tensor: String, offset: UInt64, expected: Int)
    /// A tensor whose data runs past the end of the file.
    case tensorPastEnd(file: URL, tensor: String, end: Int, fileSize: Int)
    /// No tensor of that name.
    case tensorNotFound(file: URL, tensor: String)
    /// The tensor's type is not one the requested view accepts.
    case unsupportedType(file: URL, tensor: String, type: GGMLType, operation: String, accepted: String)
    /// The tensor's shape does not fit the requested view.
    case unsupportedShape(file: URL, tensor: String, ne: [Int], reason: String)
    /// A metadata key a reader requires is absent.
    case missingKey(file: URL, key: String)
    /// A metadata key holds a value of the wrong type (or an out-of-range value), `expected` says what is needed.
    case invalidKey(file: URL, key: String, found: String, expected: String)
    /// The shards of a split model (`name-0000i-of-0000N.gguf`) do not fit together.
    case invalidSplit(file: URL, reason: String)
    /// A writer input that cannot be written (bad key/value, tensor name, shape or size).
    case invalidWriterInput(file: URL, name: String, reason: String)
    /// A system call failed while writing.
    case writeFailed(file: URL, operation: String, reason: String)

    public var description: String {
        switch self {
        case .cannotOpen(let f, let r): return "\(f.path): cannot open: \(r)"
        case .truncated(let f, let o, let what): return "\(f.path): file ends at byte \(o) while reading \(what)"
        case .badMagic(let f, let m): return "\(f.path): not a GGUF file (magic \(m.map { String($0, radix: 16) }))"
        case .unsupportedVersion(let f, let v): return "\(f.path): unsupported GGUF version \(v) (supported: 2, 3)"
        case .implausibleCount(let f, let what, let n): return "\(f.path): \(what) count \(n) cannot fit in the file"
        case .invalidString(let f, let o, let r): return "\(f.path): string at byte \(o): \(r)"
        case .duplicateKey(let f, let k): return "\(f.path): metadata key \"\(k)\" appears more than once"
        case .invalidValueType(let f, let k, let t): return "\(f.path): metadata key \"\(k)\": invalid value type \(t)"
        case .invalidAlignment(let f, let r): return "\(f.path): invalid general.alignment: \(r)"
        case .duplicateTensor(let f, let t): return "\(f.path): tensor \"\(t)\" appears more than once"
        case .invalidTensorInfo(let f, let t, let r): return "\(f.path): tensor \"\(t)\": \(r)"
        case .unknownTensorType(let f, let t, let type): return "\(f.path): tensor \"\(t)\": unknown ggml type \(type)"
        case .misplacedTensor(let f, let t, let o, let e):
            return "\(f.path): tensor \"\(t)\": data offset \(o), expected \(e)"
        case .tensorPastEnd(let f, let t, let e, let s):
            return "\(f.path): tensor \"\(t)\": data ends at byte \(e), past the \(s)-byte file"
        case .tensorNotFound(let f, let t): return "\(f.path): no tensor \"\(t)\""
        case .unsupportedType(let f, let t, let type, let op, let accepted):
            return "\(f.path): tensor \"\(t)\": \(op) does not accept type \(type) (accepts \(accepted))"
        case .unsupportedShape(let f, let t, let ne, let r): return "\(f.path): tensor \"\(t)\": ne \(ne): \(r)"
        case .missingKey(let f, let k): return "\(f.path): missing metadata key \"\(k)\""
        case .invalidKey(let f, let k, let found, let expected):
            return "\(f.path): metadata key \"\(k)\" is \(found), expected \(expected)"
        case .invalidSplit(let f, let r): return "\(f.path): split model: \(r)"
        case .invalidWriterInput(let f, let n, let r): return "\(f.path): \"\(n)\": \(r)"
        case .writeFailed(let f, let op, let r): return "\(f.path): \(op) failed: \(r)"
        }
    }
}
