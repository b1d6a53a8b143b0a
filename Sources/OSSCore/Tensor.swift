import Glibc

/// A Float32 host buffer: owned (64-byte aligned; from `hugePageMinimum` bytes 2 MiB aligned on huge pages; freed when
/// the last `Tensor` view goes away) or borrowed from a caller that keeps it alive (C ABI, NumPy).
public final class TensorStorage: @unchecked Sendable {
    public let pointer: UnsafeMutablePointer<Float>
    public let count: Int
    /// Whether `deinit` frees `pointer`.
    private let owned: Bool

    public init(count: Int) {
        let raw = TensorStorage.allocate(bytes: max(count, 1) * MemoryLayout<Float>.stride)
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
        self.count = count
        owned = true
    }

    /// Wraps `count` floats at `pointer` without copying; the caller keeps them alive while any view exists.
    public init(borrowing pointer: UnsafeMutablePointer<Float>, count: Int) {
        self.pointer = pointer
        self.count = count
        owned = false
    }

    deinit { if owned { UnsafeMutableRawPointer(pointer).deallocate() } }

    /// Uninitialised host memory of `bytes` bytes (free with `deallocate()`): 64-byte aligned, or from
    /// `hugePageMinimum` bytes on a 2 MiB boundary with a transparent-huge-page hint.
    static func allocate(bytes: Int) -> UnsafeMutableRawPointer {
        if bytes >= TensorStorage.hugePageMinimum {
            let size = (bytes + TensorStorage.hugePage - 1) & ~(TensorStorage.hugePage - 1)
            let raw = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: TensorStorage.hugePage)
            _ = madvise(raw, size, MADV_HUGEPAGE)  // a hint: without THP the pages stay 4 KiB
            return raw
        }
        return UnsafeMutableRawPointer.allocate(byteCount: (bytes + 63) & ~63, alignment: 64)
    }

    /// Owned buffers of at least this many bytes (a long context's KV cache, logits of a prompt) start at a 2 MiB
    /// boundary and ask for transparent huge pages: attention reads one KV head's slice of every cache row, a page
    /// per row or two on 4 KiB pages.
    static let hugePageMinimum = 4 << 20
    static let hugePage = 2 << 20
}

/// A Float32 host tensor: a view (offset + shape) into a `TensorStorage`. Row-major, last dimension contiguous.
///
/// Views are cheap structs (no allocation), so the model can slice its preallocated `RunState` per token.
public struct Tensor: @unchecked Sendable, CustomStringConvertible {
    public let storage: TensorStorage
    public let offset: Int
    public let shape: Shape

    /// A new zero-filled tensor.
    public init(zeros shape: Shape) {
        storage = TensorStorage(count: shape.count)
        offset = 0
        self.shape = shape
    }

    /// A new tensor holding `values` (count must equal the shape's element count).
    public init(_ values: [Float], shape: Shape) {
        precondition(values.count == shape.count, "Tensor(values:shape:) count \(values.count) ≠ \(shape)")
        self.init(zeros: shape)
        values.withUnsafeBufferPointer { storage.pointer.update(from: $0.baseAddress!, count: values.count) }
    }

    /// A view of `shape.count` floats the caller owns at `pointer` (no copy; the caller keeps them alive).
    public init(borrowing pointer: UnsafeMutablePointer<Float>, shape: Shape) {
        self.init(storage: TensorStorage(borrowing: pointer, count: shape.count), offset: 0, shape: shape)
    }

    init(storage: TensorStorage, offset: Int, shape: Shape) {
        self.storage = storage
        self.offset = offset
        self.shape = shape
    }

    /// First element.
    @inlinable public var pointer: UnsafeMutablePointer<Float> { storage.pointer + offset }
    /// Number of elements.
    @inlinable public var count: Int { shape.count }
    /// Rows when viewed as `[rows, last]`.
    @inlinable public var rows: Int { shape.rows }
    /// Size of the last dimension.
    @inlinable public var columns: Int { shape.last }

    /// The view of rows `range` of dimension 0 (keeps the other dimensions).
    public func rows(_ range: Range<Int>) -> Tensor {
        precondition(range.lowerBound >= 0 && range.upperBound <= shape[0], "rows \(range) out of \(shape)")
        let rowElems = shape.rank == 0 ? 1 : shape.count / max(shape[0], 1)
        return Tensor(
            storage: storage, offset: offset + range.lowerBound * rowElems,
            shape: shape.replacing(dimension: 0, with: range.count))
    }

    /// Row `i` of a matrix view `[rows, last]`, as a rank-1 tensor.
    public func row(_ i: Int) -> Tensor {
        precondition(i >= 0 && i < rows, "row \(i) out of \(shape)")
        return Tensor(storage: storage, offset: offset + i * columns, shape: Shape(columns))
    }

    /// Same elements, another shape with the same count.
    public func reshaped(_ newShape: Shape) throws -> Tensor {
        guard newShape.count == shape.count else {
            throw OSSError.invalidShape("reshape \(shape) → \(newShape): element counts differ")
        }
        return Tensor(storage: storage, offset: offset, shape: newShape)
    }

    /// Copies the elements out (tests and reports; not for the hot loop).
    public func toArray() -> [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }

    /// Fills every element with `value` (tests poison outputs with NaN this way).
    public func fill(_ value: Float) { pointer.update(repeating: value, count: count) }

    /// Copies all elements of `source` (same count) into this view.
    public func copy(from source: Tensor) {
        precondition(source.count == count, "copy \(source.shape) → \(shape)")
        pointer.update(from: source.pointer, count: count)
    }

    public var description: String { "Tensor\(shape)" }
}
