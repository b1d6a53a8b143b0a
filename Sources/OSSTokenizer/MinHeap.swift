/// An element of a `MinHeap`: `before` is the strict order the heap pops in.
protocol HeapElement {
    func before(_ other: Self) -> Bool
}

/// A binary min-heap over an array kept between uses (no allocation once grown).
struct MinHeap<Element: HeapElement> {
    private var items: [Element] = []

    var isEmpty: Bool { items.isEmpty }

    mutating func removeAll() { items.removeAll(keepingCapacity: true) }

    mutating func push(_ e: Element) {
        items.append(e)
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard e.before(items[parent]) else { break }
            items[i] = items[parent]
            i = parent
        }
        items[i] = e
    }

    /// The first element in `before` order, removed; nil when empty.
    mutating func pop() -> Element? {
        guard let last = items.popLast() else { return nil }
        guard !items.isEmpty else { return last }
        let top = items[0]
        var i = 0
        let n = items.count
        while true {
            var child = 2 * i + 1
            if child >= n { break }
            if child + 1 < n && items[child + 1].before(items[child]) { child += 1 }
            guard items[child].before(last) else { break }
            items[i] = items[child]
            i = child
        }
        items[i] = last
        return top
    }
}
