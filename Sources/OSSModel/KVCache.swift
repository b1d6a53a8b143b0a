import OSSCore

/// One layer's key or value rows `[rows, kvHeads·headDim]`, of the cache's `KVCacheType`.
public enum KVRows: @unchecked Sendable {
    case f32(Tensor)
    case f16(HalfTensor)

    init(_ type: KVCacheType, rows: Int, width: Int) {
        switch type {
        case .f32: self = .f32(Tensor(zeros: [rows, width]))
        case .f16: self = .f16(HalfTensor(zeros: [rows, width]))
        }
    }

    public var rows: Int {
        switch self {
        case .f32(let t): return t.rows
        case .f16(let h): return h.rows
        }
    }

    /// Bytes held.
    public var bytes: Int {
        switch self {
        case .f32(let t): return 4 * t.count
        case .f16(let h): return 2 * h.count
        }
    }

    /// Copies (or rounds to halves) `count` floats at `source` into elements `element ..< element + count`.
    func store(_ source: UnsafePointer<Float>, count: Int, at element: Int) {
        switch self {
        case .f32(let t): (t.pointer + element).update(from: source, count: count)
        case .f16(let h): h.store(source, count: count, at: element)
        }
    }
}

/// Key/value cache of every layer, Float32 or F16 (`KVCacheType`).
///
/// Full-attention layers keep `contextLength` rows of `kvHeads·headDim`; sliding layers keep a ring buffer of
/// `window + chunk − 1 + rewindRows` rows (capped at `contextLength`): `window + chunk − 1` let one chunk of `chunk`
/// queries see its whole window, `rewindRows` more let a rewind go back past that many more later positions.
/// Key position j lives in row `j % rows` — the convention of `Backend.attention`, which gets a layer's whole cache
/// and reads only the rows its queries may see.
///
/// For rewinding (`GPTOSSModel.truncate(to:)`) the cache keeps, per layer, the lowest position from which every
/// cached position is still in its row: writing position j into a ring of R rows overwrites position j − R.
public final class KVCache {
    /// Keys and values of one layer, `[rows, kvHeads·headDim]` each.
    public struct Layer {
        public let keys: KVRows
        public let values: KVRows
        /// Sliding window of the layer (0 = full causal attention).
        public let window: Int
        public var rows: Int { keys.rows }

        /// `backend.attention` of queries `q` over this layer's rows (the overload of the cache's type).
        func attention(
            q: Tensor, sinks: Tensor?, params: AttentionParams, out: Tensor, on backend: any Backend
        ) throws {
            switch (keys, values) {
            case (.f32(let k), .f32(let v)):
                try backend.attention(q: q, keys: k, values: v, sinks: sinks, params: params, out: out)
            case (.f16(let k), .f16(let v)):
                try backend.attention(q: q, keys: k, values: v, sinks: sinks, params: params, out: out)
            default:
                preconditionFailure("a layer's keys and values share the cache's type")
            }
        }
    }

    public let layers: [Layer]
    /// Element type of every layer's rows.
    public let type: KVCacheType
    /// Positions the cache can hold.
    public let contextLength: Int
    /// Per layer: every position in `intactFrom[l]..<position` is still held in its row (positions below were
    /// overwritten by later ones, or invalidated by a rewind). Always 0 for full-attention layers.
    public private(set) var intactFrom: [Int]

    /// Allocates (and zero-fills) every layer's cache.
    /// - Parameter rewindRows: extra ring rows of sliding layers (≥ 0), see `GPTOSSModel.init`.
    public convenience init(
        config: ModelConfig, contextLength: Int, chunk: Int, rewindRows: Int = 0, type: KVCacheType = .f32
    ) {
        self.init(
            windows: (0..<config.layers).map { config.window(layer: $0) }, width: config.kvWidth,
            contextLength: contextLength, chunk: chunk, rewindRows: rewindRows, type: type)
    }

    /// A cache of one layer per entry of `windows` (0 = full causal attention), rows of `width` = kvHeads·headDim.
    public init(
        windows: [Int], width: Int, contextLength: Int, chunk: Int, rewindRows: Int = 0, type: KVCacheType = .f32
    ) {
        self.contextLength = contextLength
        self.type = type
        layers = windows.map { window in
            let rows = window > 0 ? min(window + chunk - 1 + max(rewindRows, 0), contextLength) : contextLength
            return Layer(
                keys: KVRows(type, rows: rows, width: width), values: KVRows(type, rows: rows, width: width),
                window: window)
        }
        intactFrom = Array(repeating: 0, count: windows.count)
    }

    /// Total bytes held (keys and values of all layers).
    public var bytes: Int { layers.reduce(0) { $0 + $1.keys.bytes + $1.values.bytes } }

    /// Stores `keys`/`values` `[T, kvWidth]` of positions `position..<position+T` in layer `l`
    /// (rows `p % rows`; at most two contiguous copies per tensor when a ring buffer wraps).
    func store(layer l: Int, keys: Tensor, values: Tensor, at position: Int) {
        let cache = layers[l]
        let t = keys.rows
        let rows = cache.rows
        let width = keys.columns
        var done = 0
        while done < t {
            let row = (position + done) % rows
            let n = min(t - done, rows - row)
            cache.keys.store(keys.pointer + done * width, count: n * width, at: row * width)
            cache.values.store(values.pointer + done * width, count: n * width, at: row * width)
            done += n
        }
        // Rows of positions position+T−rows ..< position+T are this write's; positions below lost their rows.
        // (In place: no allocation on the decode path.)
        intactFrom[l] = max(intactFrom[l], position + t - rows)
    }

    /// Forgets every position (the model's position goes to 0).
    func reset() {
        for l in intactFrom.indices { intactFrom[l] = 0 }
    }

    /// Why the cache cannot keep positions `0..<position` and continue from there, or nil when it can: a sliding
    /// layer needs the window before `position` (positions `max(0, position − window + 1)..<position`) in its ring
    /// buffer, and later positions may have overwritten them. When a position fails, every smaller one but 0 fails
    /// too (the held rows are the highest positions), so the caller's fallback is `reset`.
    /// - Parameter position: the position to rewind to, `0...` the model's current position.
    func rewindError(to position: Int) -> ModelError? {
        for (l, layer) in layers.enumerated() where layer.window > 0 {
            let needed = max(0, position - layer.window + 1)
            if needed < position && needed < intactFrom[l] {
                return .rewindUnavailable(
                    to: position, layer: l, window: layer.window, needed: needed,
                    heldFrom: intactFrom[l])
            }
        }
        return nil
    }

    /// Keeps positions `0..<position` (call after `rewindError(to:)` returned nil).
    func truncate(to position: Int) {
        for l in intactFrom.indices { intactFrom[l] = min(intactFrom[l], position) }
    }
}
