/// An IEEE binary16 host matrix `[rows, columns]`, row-major: the rows of an F16 key/value cache.
///
/// Owned memory like `TensorStorage` (64-byte aligned; from `TensorStorage.hugePageMinimum` bytes on 2 MiB pages),
/// zero-filled, freed with the object. Floats go in through `store`, rounded to nearest even.
public final class HalfTensor: @unchecked Sendable, CustomStringConvertible {
    /// Element 0 (half bits).
    public let pointer: UnsafeMutablePointer<UInt16>
    public let shape: Shape

    /// A zero-filled matrix (rank 2).
    public init(zeros shape: Shape) {
        precondition(shape.rank == 2, "HalfTensor shape \(shape) is not [rows, columns]")
        let count = max(shape.count, 1)
        pointer = TensorStorage.allocate(bytes: 2 * count).bindMemory(to: UInt16.self, capacity: count)
        pointer.initialize(repeating: 0, count: count)
        self.shape = shape
    }

    deinit { UnsafeMutableRawPointer(pointer).deallocate() }

    @inlinable public var rows: Int { shape.rows }
    @inlinable public var columns: Int { shape.last }
    @inlinable public var count: Int { shape.count }

    /// Rounds `count` floats at `source` to halves (nearest even; beyond ±65504 they become ±inf) into elements
    /// `element ..< element + count`.
    public func store(_ source: UnsafePointer<Float>, count: Int, at element: Int) {
        precondition(element >= 0 && element + count <= shape.count, "store \(count) at \(element) of \(shape)")
        DType.f16.encodeRow(source, count: count, into: pointer + element)
    }

    /// Element `i` as a float (tests and references; not for the hot loop).
    public func float(at i: Int) -> Float { Codec.f16ToFloat(pointer[i]) }

    public var description: String { "HalfTensor\(shape)" }
}
