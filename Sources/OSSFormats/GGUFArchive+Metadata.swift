import Foundation

/// Typed reads of metadata keys: a missing required key is ``GGUFError/missingKey(file:key:)``, a value of the
/// wrong type ``GGUFError/invalidKey(file:key:found:expected:)`` (both name the file and the key).
extension GGUFArchive {
    private func wrong(_ key: String, _ v: GGUFValue, _ expected: String) -> GGUFError {
        let shown = v.description.count > 60 ? String(v.description.prefix(60)) + "…" : v.description
        return .invalidKey(file: url, key: key, found: "\(v.type) \(shown)", expected: expected)
    }

    /// A key's value, nil when absent.
    public func value(_ key: String) -> GGUFValue? { metadata[key] }

    /// An integer key of any integer type, nil when absent.
    public func optionalInt(_ key: String) throws(GGUFError) -> Int? {
        guard let v = metadata[key] else { return nil }
        guard let i = v.intValue else { throw wrong(key, v, "an integer") }
        return i
    }

    /// A required integer key.
    public func int(_ key: String) throws(GGUFError) -> Int {
        guard let i = try optionalInt(key) else { throw .missingKey(file: url, key: key) }
        return i
    }

    /// A number key (float or integer types), nil when absent.
    public func optionalDouble(_ key: String) throws(GGUFError) -> Double? {
        guard let v = metadata[key] else { return nil }
        guard let d = v.doubleValue else { throw wrong(key, v, "a number") }
        return d
    }

    /// A required number key.
    public func double(_ key: String) throws(GGUFError) -> Double {
        guard let d = try optionalDouble(key) else { throw .missingKey(file: url, key: key) }
        return d
    }

    /// A string key, nil when absent.
    public func optionalString(_ key: String) throws(GGUFError) -> String? {
        guard let v = metadata[key] else { return nil }
        guard let s = v.stringValue else { throw wrong(key, v, "a string") }
        return s
    }

    /// A required string key.
    public func string(_ key: String) throws(GGUFError) -> String {
        guard let s = try optionalString(key) else { throw .missingKey(file: url, key: key) }
        return s
    }

    /// A bool key, nil when absent.
    public func optionalBool(_ key: String) throws(GGUFError) -> Bool? {
        guard let v = metadata[key] else { return nil }
        guard let b = v.boolValue else { throw wrong(key, v, "a bool") }
        return b
    }

    /// An array of strings, nil when absent.
    public func optionalStringArray(_ key: String) throws(GGUFError) -> [String]? {
        guard let v = metadata[key] else { return nil }
        guard let a = v.stringArray else { throw wrong(key, v, "an array of strings") }
        return a
    }

    /// An array of numbers (float or integer elements) as Float, nil when absent.
    public func optionalFloatArray(_ key: String) throws(GGUFError) -> [Float]? {
        guard let v = metadata[key] else { return nil }
        guard case .array(let type, let items) = v, type != .string, type != .array, type != .bool else {
            throw wrong(key, v, "an array of numbers")
        }
        return items.map { Float($0.doubleValue ?? 0) }
    }

    /// An array of integers as Int32 (values outside Int32 are an error), nil when absent.
    public func optionalInt32Array(_ key: String) throws(GGUFError) -> [Int32]? {
        guard let v = metadata[key] else { return nil }
        guard case .array(_, let items) = v else { throw wrong(key, v, "an array of integers") }
        var out: [Int32] = []
        out.reserveCapacity(items.count)
        for item in items {
            guard let i = item.intValue, let small = Int32(exactly: i) else {
                throw wrong(key, v, "an array of 32-bit integers")
            }
            out.append(small)
        }
        return out
    }

    /// A per-layer integer key: a scalar (the same for every layer) or an array of `layers` integers; nil when
    /// absent (llama.cpp's `feed_forward_length`, `attention.head_count`, `attention.head_count_kv`).
    public func optionalPerLayerInt(_ key: String, layers: Int) throws(GGUFError) -> [Int]? {
        guard let v = metadata[key] else { return nil }
        if let i = v.intValue { return Array(repeating: i, count: layers) }
        guard case .array(_, let items) = v else { throw wrong(key, v, "an integer or an array of integers") }
        guard items.count == layers else { throw wrong(key, v, "\(layers) entries (one per layer)") }
        var out: [Int] = []
        for item in items {
            guard let i = item.intValue else { throw wrong(key, v, "an array of integers") }
            out.append(i)
        }
        return out
    }
}
