extension Reference {
    /// Row gather `out[t] = table[tokens[t]]` from a decoded `[V, H]` table.
    static func embedding(table: [Double], hidden: Int, tokens: [Int32]) -> [Double] {
        tokens.flatMap { table[(Int($0) * hidden)..<((Int($0) + 1) * hidden)] }
    }

    /// Index of the largest value, lowest index among equals (compared exactly, as Float).
    static func argmax(_ x: [Float]) -> Int {
        var best = 0
        for i in 1..<x.count where x[i] > x[best] { best = i }
        return best
    }

    /// The k largest values descending, lowest index first among equals (compared exactly, as Float).
    static func topK(_ x: [Float], k: Int) -> [(id: Int, value: Float)] {
        let order = x.indices.sorted { x[$0] != x[$1] ? x[$0] > x[$1] : $0 < $1 }
        return order.prefix(k).map { ($0, x[$0]) }
    }
}
