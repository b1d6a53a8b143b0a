import Foundation
import OSSCore

/// Float64 reference of every `Backend` op, written as plainly as possible: scalar loops, no blocking, no
/// vectorisation, no shared code with any backend. Inputs are the exact Float32 values a backend sees (weights
/// decoded from their stored dtype), widened to Double, so only the backend's arithmetic is judged.
enum Reference {
    /// The elements of a tensor view, widened.
    static func widen(_ t: Tensor) -> [Double] { t.toArray().map(Double.init) }
    static func widen(_ t: HalfTensor) -> [Double] { (0..<t.count).map { Double(t.float(at: $0)) } }

    /// The elements of a Float array, widened.
    static func widen(_ v: [Float]) -> [Double] { v.map(Double.init) }

    /// A weight decoded from its stored dtype (row-major, `shape.count` values), widened.
    static func decoded(_ w: WeightTensor) -> [Double] {
        var row = [Float](repeating: 0, count: w.inFeatures)
        var out = [Double]()
        out.reserveCapacity(w.shape.count)
        for r in 0..<w.shape.rows {
            row.withUnsafeMutableBufferPointer { w.decodeRow(r, into: $0.baseAddress!) }
            out.append(contentsOf: row.map(Double.init))
        }
        return out
    }

    /// Logistic sigmoid 1 / (1 + e^−z).
    static func sigmoid(_ z: Double) -> Double { 1 / (1 + exp(-z)) }
}
