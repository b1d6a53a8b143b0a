import OSSCore

/// A tensor view sitting between guard elements of the same storage, all poisoned with a NaN sentinel.
///
/// Outputs are poisoned before every run, so an element a backend forgets to write stays NaN and fails the
/// comparison; the guards must still hold the sentinel afterwards, so a write past either end fails too.
/// Inputs are built the same way (values in the view, sentinel guards), so reading past an input poisons the result.
struct GuardedTensor {
    /// Quiet NaN with a recognisable payload.
    static let sentinel = Float(bitPattern: 0x7FC0_2BAD)

    /// The whole storage: guard, view, guard.
    let whole: Tensor
    /// What the backend gets.
    let view: Tensor
    /// Guard elements on each side of the view.
    let guardCount: Int

    /// A poisoned view of `shape` (rank 2: whole guard rows; any other rank is treated as a flat vector).
    init(shape: Shape) {
        if shape.rank == 2 {
            // one whole guard row above and below
            whole = Tensor(zeros: Shape([shape[0] + 2, shape[1]]))
            view = whole.rows(1..<(shape[0] + 1))
            guardCount = shape[1]
        } else {
            let g = 16
            whole = Tensor(zeros: Shape([shape.count + 2 * g]))
            view = whole.rows(g..<(g + shape.count))
            guardCount = g
        }
        whole.fill(Self.sentinel)
    }

    /// A view holding `values`, guards poisoned.
    init(_ values: [Float], shape: Shape) {
        self.init(shape: shape)
        values.withUnsafeBufferPointer { view.pointer.update(from: $0.baseAddress!, count: values.count) }
    }

    /// Re-poisons the view and the guards.
    func poison() { whole.fill(Self.sentinel) }

    /// Index (relative to the view's first element; negative = before it) of the first guard element that no
    /// longer holds the sentinel, or nil when both guards are intact.
    func firstOverwrittenGuard() -> Int? {
        let p = whole.pointer
        let start = view.offset - whole.offset
        for i in 0..<guardCount where p[start - guardCount + i].bitPattern != Self.sentinel.bitPattern {
            return i - guardCount
        }
        for i in 0..<guardCount where p[start + view.count + i].bitPattern != Self.sentinel.bitPattern {
            return view.count + i
        }
        return nil
    }
}
