import OSSCore

/// Float32 key/value cache of every layer.
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
        public let keys: Tensor
        public let values: Tensor
        /// Sliding window of the layer (0 = full causal attention).
        public let window: Int
        public var rows: Int { keys.rows }
    }

    public let layers: [Layer]
    /// Positions the cache can hold.
    public let contextLength: Int
    /// Per layer: every position in `intactFrom[l]..<position` is still held in its row (positions below were
    /// overwritten by later ones, or invalidated by a rewind). Always 0 for full-attention layers.
    public private(set) var intactFrom: [Int]

    /// Allocates (and zero-fills) every layer's cache.
    /// - Parameter rewindRows: extra ring rows of sliding layers (≥ 0), see `GPTOSSModel.init`.
    public convenience init(config: ModelConfig, contextLength: Int, chunk: Int, rewindRows: Int = 0) {
        self.init(
            windows: (0..<config.layers).map { config.window(layer: $0) }, width: config.kvWidth,
            contextLength: contextLength, chunk: chunk, rewindRows: rewindRows)
    }

    /// A cache of one layer per entry of `windows` (0 = full causal attention), rows of `width` = kvHeads·headDim.
    public init(windows: [Int], width: Int, contextLength: Int, chunk: Int, rewindRows: Int = 0) {
        self.contextLength = contextLength
        layers = windows.map { window in
            let rows = window > 0 ? min(window + chunk - 1 + max(rewindRows, 0), contextLength) : contextLength
            return Layer(keys: Tensor(zeros: [rows, width]), values: Tensor(zeros: [rows, width]), window: window)
        }
        intactFrom = Array(repeating: 0, count: windows.count)
    }

    /// Total bytes held (keys and values of all layers).
    public var bytes: Int { layers.reduce(0) { $0 + 2 * $1.keys.count * MemoryLayout<Float>.stride } }

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
            (cache.keys.pointer + row * width).update(from: keys.pointer + done * width, count: n * width)
            (cache.values.pointer + row * width).update(from: values.pointer + done * width, count: n * width)
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
