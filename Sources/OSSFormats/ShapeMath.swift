/// Overflow-checked size arithmetic for shapes read from files.
enum ShapeMath {
    /// Product of `dims` (non-negative), nil when the product of the non-zero dimensions overflows — so that any
    /// later product over the same dimensions, in any order (e.g. `Shape.count`), cannot overflow either.
    static func elementCount(_ dims: [Int]) -> Int? {
        var product = 1
        var hasZero = false
        for d in dims {
            if d == 0 {
                hasZero = true
                continue
            }
            let (p, overflow) = product.multipliedReportingOverflow(by: d)
            if overflow { return nil }
            product = p
        }
        return hasZero ? 0 : product
    }
}
