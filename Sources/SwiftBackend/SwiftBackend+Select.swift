import OSSCore

extension SwiftBackend {
    /// Index of the largest element (lowest index among equals).
    public func argmax(_ x: Tensor) throws -> Int {
        guard x.count > 0 else { throw BackendError.emptyInput(op: "argmax", detail: "x \(x.shape) is empty") }
        let p = x.pointer
        let n = x.count
        var best = 0
        var bestValue = p[0]
        for i in 0..<n where p[i] > bestValue {
            best = i
            bestValue = p[i]
        }
        return best
    }

    /// The k largest elements, descending, lowest index first among equals. Runs a size-k min-heap in
    /// `ids`/`values` themselves (no allocation), then sorts it.
    public func topK(_ x: Tensor, k: Int, ids: inout [Int32], values: inout [Float]) throws {
        try OpValidation.topK(x, k: k, ids: ids, values: values)
        let p = x.pointer
        let n = x.count
        ids.withUnsafeMutableBufferPointer { idb in
            values.withUnsafeMutableBufferPointer { vb in
                SwiftBackend.selectTopK(p, n, k, ids: idb.baseAddress!, values: vb.baseAddress!)
            }
        }
    }

    /// Writes the k largest of `src[0..<n]` to `ids`/`values`, descending, lowest index first among equals.
    static func selectTopK(
        _ src: UnsafePointer<Float>, _ n: Int, _ k: Int,
        ids: UnsafeMutablePointer<Int32>, values: UnsafeMutablePointer<Float>
    ) {
        // "a ranks below b": smaller value, or equal value and larger index.
        @inline(__always) func below(_ va: Float, _ ia: Int32, _ vb: Float, _ ib: Int32) -> Bool {
            va < vb || (va == vb && ia > ib)
        }
        @inline(__always) func siftDown(_ start: Int, _ count: Int) {
            var i = start
            while true {
                let l = 2 * i + 1
                let r = l + 1
                var m = i
                if l < count, below(values[l], ids[l], values[m], ids[m]) { m = l }
                if r < count, below(values[r], ids[r], values[m], ids[m]) { m = r }
                if m == i { return }
                values.swapAt(i, m)
                ids.swapAt(i, m)
                i = m
            }
        }
        for i in 0..<k {
            values[i] = src[i]
            ids[i] = Int32(i)
        }
        var i = k / 2
        while i > 0 {
            i -= 1
            siftDown(i, k)
        }
        if k < n {
            for j in k..<n where src[j] > values[0] {
                values[0] = src[j]
                ids[0] = Int32(j)
                siftDown(0, k)
            }
        }
        // Heap sort: repeatedly move the lowest-ranked element to the end → descending order.
        var count = k
        while count > 1 {
            count -= 1
            values.swapAt(0, count)
            ids.swapAt(0, count)
            siftDown(0, count)
        }
    }
}

extension UnsafeMutablePointer {
    @inline(__always)
    fileprivate func swapAt(_ i: Int, _ j: Int) {
        let t = self[i]
        self[i] = self[j]
        self[j] = t
    }
}
