import Foundation
import OSSCore

/// The verdicts of the conformance suite: NMSE against the float64 reference, NaN/Inf, guard overwrites.
enum Comparison {
    /// Normalised mean squared error `Σ(a−b)²/Σb²` (plain `Σ(a−b)²` when the reference is all zero); with `floor`,
    /// the denominator is `max(Σb², floor)`.
    static func nmse(_ actual: [Float], _ expected: [Double], floor: Double = 0) -> Double {
        var err = 0.0
        var norm = 0.0
        for (a, b) in zip(actual, expected) {
            err += (Double(a) - b) * (Double(a) - b)
            norm += b * b
        }
        norm = max(norm, floor)
        return norm > 0 ? err / norm : err
    }

    /// nil when `actual` (a guarded output) matches `expected` within `tolerance`, else why not.
    /// `columns` only shapes the index in the message (row t, column i).
    /// `normFloor` raises the NMSE denominator to at least that (see `Tolerance.linearFixedPoint`).
    static func check(
        _ actual: GuardedTensor, expected: [Double], tolerance: Double,
        normFloor: Double = 0
    ) -> String? {
        let values = actual.view.toArray()
        let columns = max(actual.view.columns, 1)
        guard values.count == expected.count else {
            return "output has \(values.count) elements, reference \(expected.count)"
        }
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
            let what =
                values[bad].bitPattern == GuardedTensor.sentinel.bitPattern
                ? "unwritten (still poisoned)" : "\(values[bad])"
            let count = values.filter { !$0.isFinite }.count
            return
                "\(count) non-finite element(s), first [\(bad / columns), \(bad % columns)] is \(what), reference \(expected[bad])"
        }
        if let g = actual.firstOverwrittenGuard() {
            return
                "wrote outside the output: guard element at offset \(g) relative to the output (count \(values.count)) overwritten"
        }
        let e = nmse(values, expected, floor: normFloor)
        guard e <= tolerance else {
            var worst = 0
            for i in values.indices
            where abs(Double(values[i]) - expected[i]) > abs(Double(values[worst]) - expected[worst]) {
                worst = i
            }
            return String(
                format: "NMSE %.3e > %.1e; worst element [%d, %d]: got %.9g, reference %.9g",
                e, tolerance, worst / columns, worst % columns, Double(values[worst]), expected[worst])
        }
        return nil
    }
}
