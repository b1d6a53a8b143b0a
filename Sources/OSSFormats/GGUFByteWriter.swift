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
        case .uint8(let v): bytes.append(v)
        case .int8(let v): bytes.append(UInt8(bitPattern: v))
        case .uint16(let v): withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
        case .int16(let v): withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
        case .uint32(let v): u32(v)
        case .int32(let v): u32(UInt32(bitPattern: v))
        case .uint64(let v): u64(v)
        case .int64(let v): u64(UInt64(bitPattern: v))
        case .float32(let v): u32(v.bitPattern)
        case .float64(let v): u64(v.bitPattern)
        case .bool(let v): bytes.append(v ? 1 : 0)
        case .string(let s): string(s)
        case .array(let elementType, let items):
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
