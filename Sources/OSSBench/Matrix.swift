import Foundation
import OSSCore

/// llama-bench style vector parameters: comma lists and inclusive ranges, expanded to the full matrix.
///
/// `"1,2"` → [1, 2]; `"1-4"` → [1, 2, 3, 4]; `"1-8*2"` → [1, 2, 4, 8] (geometric); `"0-12+4"` → [0, 4, 8, 12];
/// items combine: `"1,4-6"` → [1, 4, 5, 6]. Duplicates are dropped, first occurrence order kept.
public enum VectorParameter {
    /// Parses a list of positive integers (`minimum` defaults to 1).
    public static func integers(_ text: String, name: String, minimum: Int = 1) throws -> [Int] {
        var out: [Int] = []
        for raw in items(text) {
            var item = Substring(raw)
            var step: (Character, Int)?
            if let op = item.lastIndex(where: { $0 == "+" || $0 == "*" }) {
                guard let s = Int(item[item.index(after: op)...]), s >= 1, !(item[op] == "*" && s < 2) else {
                    throw BenchError.invalidParameter(name: name, value: text, reason: "bad step in '\(raw)'")
                }
                step = (item[op], s)
                item = item[..<op]
            }
            let bounds = item.split(separator: "-", omittingEmptySubsequences: false)
            guard (1...2).contains(bounds.count), let lo = Int(bounds[0]), let hi = Int(bounds.last!) else {
                throw BenchError.invalidParameter(
                    name: name, value: text, reason: "'\(raw)' is not N, A-B, A-B+S or A-B*S")
            }
            guard lo >= minimum, hi >= lo else {
                throw BenchError.invalidParameter(
                    name: name, value: text, reason: "'\(raw)' must be ≥ \(minimum) and ascending")
            }
            var v = lo
            while v <= hi {
                out.append(v)
                switch step {
                case ("*", let s)?: v *= s
                case (_, let s)?: v += s
                case nil: v += 1
                }
            }
        }
        guard !out.isEmpty else { throw BenchError.invalidParameter(name: name, value: text, reason: "empty list") }
        return unique(out)
    }

    /// Parses a comma list of names (trimmed, lower-cased), checking each against `allowed` when given.
    public static func names(_ text: String, name: String, allowed: [String]? = nil) throws -> [String] {
        let list = unique(items(text).map { $0.lowercased() })
        guard !list.isEmpty else { throw BenchError.invalidParameter(name: name, value: text, reason: "empty list") }
        if let allowed {
            for item in list where !allowed.contains(item) {
                throw BenchError.invalidParameter(
                    name: name, value: text,
                    reason: "unknown '\(item)' (choose from \(allowed.joined(separator: ", ")))")
            }
        }
        return list
    }

    /// Parses a comma list of weight dtypes (`f32,bf16,q8_0`, aliases as `DType(name:)`).
    public static func dtypes(_ text: String, name: String) throws -> [DType] {
        try names(text, name: name).map { item in
            guard let d = DType(name: item) else {
                throw BenchError.invalidParameter(
                    name: name, value: text,
                    reason:
                        "unknown dtype '\(item)' (choose from \(DType.allCases.map(\.rawValue).joined(separator: ", ")))"
                )
            }
            return d
        }
    }

    /// The cartesian product of `axes` (first axis slowest), as llama-bench expands its parameters.
    public static func product<T>(_ axes: [[T]]) -> [[T]] {
        axes.reduce([[]]) { acc, axis in acc.flatMap { prefix in axis.map { prefix + [$0] } } }
    }

    private static func items(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    private static func unique<T: Hashable>(_ xs: [T]) -> [T] {
        var seen = Set<T>()
        return xs.filter { seen.insert($0).inserted }
    }
}
