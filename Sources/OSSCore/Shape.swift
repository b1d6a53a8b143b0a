/// A tensor shape of rank 0…4, stored inline (no heap allocation, so shapes are free in the hot loop).
/// Dimension 0 is the slowest; the last dimension is contiguous (row-major).
public struct Shape: Hashable, Sendable, CustomStringConvertible, ExpressibleByArrayLiteral {
    public private(set) var rank: Int
    private var d: (Int, Int, Int, Int)

    public init(_ dims: [Int]) {
        precondition(dims.count <= 4, "Shape supports rank ≤ 4")
        rank = dims.count
        d = (
            dims.count > 0 ? dims[0] : 1, dims.count > 1 ? dims[1] : 1,
            dims.count > 2 ? dims[2] : 1, dims.count > 3 ? dims[3] : 1
        )
    }

    public init(arrayLiteral elements: Int...) { self.init(elements) }

    /// Rank-1 shape, no array involved (hot-path friendly).
    public init(_ d0: Int) {
        rank = 1
        d = (d0, 1, 1, 1)
    }
    /// Rank-2 shape, no array involved.
    public init(_ d0: Int, _ d1: Int) {
        rank = 2
        d = (d0, d1, 1, 1)
    }
    /// Rank-3 shape, no array involved.
    public init(_ d0: Int, _ d1: Int, _ d2: Int) {
        rank = 3
        d = (d0, d1, d2, 1)
    }

    /// The same shape with dimension `i` replaced by `value` (no allocation).
    public func replacing(dimension i: Int, with value: Int) -> Shape {
        var s = self
        switch i {
        case 0: s.d.0 = value
        case 1: s.d.1 = value
        case 2: s.d.2 = value
        default: s.d.3 = value
        }
        return s
    }

    /// Dimension `i` (0 ≤ i < rank).
    public subscript(_ i: Int) -> Int {
        switch i {
        case 0: return d.0
        case 1: return d.1
        case 2: return d.2
        default: return d.3
        }
    }

    public var dims: [Int] { (0..<rank).map { self[$0] } }

    /// Product of all dimensions (1 for rank 0).
    public var count: Int { rank == 0 ? 1 : (0..<rank).reduce(1) { $0 * self[$1] } }

    /// Size of the last (contiguous) dimension, 1 for rank 0.
    public var last: Int { rank == 0 ? 1 : self[rank - 1] }

    /// Number of rows when viewed as a matrix `[rows, last]`: the product of every dimension but the last (so a
    /// zero-width `[3, 0]` has 3 rows, not a division by zero).
    public var rows: Int { rank <= 1 ? 1 : (0..<(rank - 1)).reduce(1) { $0 * self[$1] } }

    public static func == (a: Shape, b: Shape) -> Bool {
        a.rank == b.rank && (0..<a.rank).allSatisfy { a[$0] == b[$0] }
    }

    public func hash(into h: inout Hasher) { for i in 0..<rank { h.combine(self[i]) } }

    public var description: String { "[" + dims.map(String.init).joined(separator: ", ") + "]" }
}

extension Shape {
    /// Validating initialiser for shapes that come from files or users: rank ≤ 4, no negative dimension.
    public static func checked(_ dims: [Int], context: String) throws -> Shape {
        guard dims.count <= 4 else { throw OSSError.invalidShape("\(context): rank \(dims.count) > 4 (\(dims))") }
        guard dims.allSatisfy({ $0 >= 0 }) else {
            throw OSSError.invalidShape("\(context): negative dimension in \(dims)")
        }
        var total = 1
        for d in dims {
            let (p, o) = total.multipliedReportingOverflow(by: d)
            guard !o else { throw OSSError.invalidShape("\(context): element count overflows (\(dims))") }
            total = p
        }
        return Shape(dims)
    }
}
