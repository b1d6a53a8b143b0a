import OSSCore

/// Float32 key/value cache of every layer.
///
/// Full-attention layers keep `contextLength` rows of `kvHeads·headDim`; sliding layers keep a ring buffer of
/// `window + chunk − 1` rows (capped at `contextLength`), enough for one chunk of `chunk` queries to see its
/// whole window. Key position j lives in row `j % rows` — the convention of `Backend.attention`, which
/// gets a layer's whole cache and reads only the rows its queries may see.
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

    /// Allocates (and zero-fills) every layer's cache.
    public init(config: ModelConfig, contextLength: Int, chunk: Int) {
        self.contextLength = contextLength
        let width = config.kvWidth
        layers = (0..<config.layers).map { l in
            let window = config.window(layer: l)
            let rows = window > 0 ? min(window + chunk - 1, contextLength) : contextLength
            return Layer(keys: Tensor(zeros: [rows, width]), values: Tensor(zeros: [rows, width]), window: window)
        }
    }

    /// Total bytes held (keys and values of all layers).
    public var bytes: Int { layers.reduce(0) { $0 + 2 * $1.keys.count * MemoryLayout<Float>.stride } }

    /// Stores `keys`/`values` `[T, kvWidth]` of positions `position..<position+T` in layer `l`
    /// (rows `p % rows`; at most two contiguous copies per tensor when a ring buffer wraps).
    func store(layer l: Int, keys: Tensor, values: Tensor, at position: Int) {
        let cache = layers[l]
        let t = keys.rows, rows = cache.rows, width = keys.columns
        var done = 0
        while done < t {
            let row = (position + done) % rows
            let n = min(t - done, rows - row)
            (cache.keys.pointer + row * width).update(from: keys.pointer + done * width, count: n * width)
            (cache.values.pointer + row * width).update(from: values.pointer + done * width, count: n * width)
            done += n
        }
    }
}
