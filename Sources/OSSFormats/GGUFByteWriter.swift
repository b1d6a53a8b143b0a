/// Little-endian serialisation of GGUF header fields into a byte array.
struct GGUFByteWriter {
    private(set) var bytes: [UInt8] = []

    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func string(_ s: String) {
        u64(UInt64(s.utf8.count))
        bytes.append(contentsOf: s.utf8)
    }

    /// Appends the encoding of `value` (without its type tag); `invalid` builds the error for a bad array.
    mutating func value(_ value: GGUFValue, depth: Int, invalid: (String) -> Error) throws {
        switch value {
        case let .uint8(v): bytes.append(v)
        case let .int8(v): bytes.append(UInt8(bitPattern: v))
        case let .uint16(v): withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
        case let .int16(v): withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
        case let .uint32(v): u32(v)
        case let .int32(v): u32(UInt32(bitPattern: v))
        case let .uint64(v): u64(v)
        case let .int64(v): u64(UInt64(bitPattern: v))
        case let .float32(v): u32(v.bitPattern)
        case let .float64(v): u64(v.bitPattern)
        case let .bool(v): bytes.append(v ? 1 : 0)
        case let .string(s): string(s)
        case let .array(elementType, items):
            guard elementType != .array || depth + 1 < GGUFFile.maxArrayDepth else {
                throw invalid("arrays nested deeper than \(GGUFFile.maxArrayDepth)")
            }
            guard let bad = items.first(where: { $0.type != elementType }) else {
                u32(elementType.rawValue)
                u64(UInt64(items.count))
                for item in items { try self.value(item, depth: depth + 1, invalid: invalid) }
                return
            }
            throw invalid("array of \(elementType) holds a \(bad.type)")
        }
    }
}
