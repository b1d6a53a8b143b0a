import Foundation

/// A GGUF file (llama.cpp / ggml container), mapped read-only and validated completely on open.
///
/// Layout: magic `GGUF`, u32 version (2 or 3), u64 tensor count, u64 key-value count, the key-value pairs
/// (string key, u32 value type, value), the tensor infos (name, u32 n_dims ≤ 4, u64 `ne[n_dims]` fastest first,
/// u32 ggml type, u64 offset), padding to `general.alignment` (default 32), then the data section.
///
/// Checks, each a typed ``GGUFError``: every read inside the file; counts the file can hold; strings UTF-8 and at
/// most 64 MiB; no duplicate key or tensor name; value types 0…12; `general.alignment` a u32 power of two ≤ 1 MiB;
/// `ne` non-negative with no overflow, `ne[0]` a multiple of the block size; known ggml type; each tensor exactly at
/// the offset ggml expects (tensors in order, each padded to the alignment); tensor data inside the file.
public final class GGUFFile: @unchecked Sendable {
    public static let defaultAlignment = 32
    static let maxAlignment = 1 << 20
    static let maxArrayDepth = 4

    public let url: URL
    public let version: UInt32
    /// Data alignment (from `general.alignment`, else 32).
    public let alignment: Int
    /// Metadata keys in file order.
    public let metadataKeys: [String]
    /// All metadata values by key.
    public let metadata: [String: GGUFValue]
    /// Tensors in file order.
    public let tensors: [GGUFTensorInfo]
    /// Offset of the data section from the start of the file.
    public let dataSectionOffset: Int

    /// Brings every page of the mapping into memory now (nothing to do for a copy).
    public func prefault() { mapping.prefault() }
    /// Share of the file's pages resident in memory now (1 for a copy).
    public var residentFraction: Double { mapping.residentFraction }
    /// Share of the file's bytes on 2 MiB pages now; nil where the kernel does not say.
    public var hugePageFraction: Double? { mapping.hugePageFraction }

    let mapping: MappedFile
    private let index: [String: Int]

    /// Maps (or copies, per `residency`) and validates `url`.
    public init(url: URL, residency: WeightResidency = .mmap) throws(GGUFError) {
        let mapping: MappedFile
        do {
            mapping = try MappedFile(url: url, residency: residency)
        } catch {
            throw .cannotOpen(file: url, reason: "\(error.operation): \(error.reason)")
        }
        var cursor = GGUFCursor(bytes: mapping.bytes, file: url)
        let magic = try cursor.read(UInt32.self, "the magic")
        guard magic == 0x4655_4747 else {  // "GGUF" little-endian
            throw .badMagic(file: url, found: Array(mapping.bytes.prefix(4)))
        }
        let version = try cursor.read(UInt32.self, "the version")
        guard version == 2 || version == 3 else { throw .unsupportedVersion(file: url, version: version) }
        let tensorCount = try cursor.read(UInt64.self, "the tensor count")
        let kvCount = try cursor.read(UInt64.self, "the key-value count")
        // Each key-value pair takes at least 8 (key length) + 4 (type) + 1 bytes; each tensor info 8 + 4 + 4 + 8.
        guard kvCount <= UInt64(cursor.remaining / 13) else {
            throw .implausibleCount(file: url, what: "key-value", count: kvCount)
        }
        guard tensorCount <= UInt64(cursor.remaining / 24) else {
            throw .implausibleCount(file: url, what: "tensor", count: tensorCount)
        }

        var keys: [String] = []
        var metadata: [String: GGUFValue] = [:]
        for i in 0..<Int(kvCount) {
            let key = try cursor.readString("key \(i)")
            guard metadata[key] == nil else { throw .duplicateKey(file: url, key: key) }
            let rawType = try cursor.read(UInt32.self, "the type of \"\(key)\"")
            let value = try Self.readValue(rawType, key: key, depth: 0, cursor: &cursor)
            keys.append(key)
            metadata[key] = value
        }

        var alignment = Self.defaultAlignment
        if let a = metadata["general.alignment"] {
            guard case .uint32(let v) = a else {
                throw .invalidAlignment(file: url, reason: "type \(a.type), expected u32")
            }
            guard v > 0, v & (v - 1) == 0, Int(v) <= Self.maxAlignment else {
                throw .invalidAlignment(file: url, reason: "\(v) is not a power of two ≤ \(Self.maxAlignment)")
            }
            alignment = Int(v)
        }

        struct RawInfo {
            let name: String
            let type: GGMLType
            let ne: [Int]
            let offset: UInt64
            let bytes: Int
        }
        var raw: [RawInfo] = []
        raw.reserveCapacity(Int(tensorCount))
        var index: [String: Int] = [:]
        for i in 0..<Int(tensorCount) {
            let name = try cursor.readString("the name of tensor \(i)")
            guard index[name] == nil else { throw .duplicateTensor(file: url, tensor: name) }
            let nDims = try cursor.read(UInt32.self, "the rank of \"\(name)\"")
            guard nDims <= 4 else {
                throw .invalidTensorInfo(file: url, tensor: name, reason: "\(nDims) dimensions (ggml allows at most 4)")
            }
            var ne: [Int] = []
            for _ in 0..<Int(nDims) {
                let d = try cursor.read(Int64.self, "the shape of \"\(name)\"")
                ne.append(Int(d))
            }
            guard ne.allSatisfy({ $0 >= 0 }) else {
                throw .invalidTensorInfo(file: url, tensor: name, reason: "negative dimension in ne \(ne)")
            }
            let rawType = try cursor.read(UInt32.self, "the type of \"\(name)\"")
            guard let type = GGMLType(rawValue: rawType) else {
                throw .unknownTensorType(file: url, tensor: name, type: rawType)
            }
            guard (ne.first ?? 1) % type.blockSize == 0 else {
                throw .invalidTensorInfo(
                    file: url, tensor: name,
                    reason: "ne[0] = \(ne.first ?? 1) is not a multiple of the \(type) block size \(type.blockSize)")
            }
            guard let bytes = Self.byteCount(ne: ne, type: type) else {
                throw .invalidTensorInfo(file: url, tensor: name, reason: "size of ne \(ne) overflows")
            }
            let offset = try cursor.read(UInt64.self, "the offset of \"\(name)\"")
            index[name] = i
            raw.append(RawInfo(name: name, type: type, ne: ne, offset: offset, bytes: bytes))
        }

        let dataStart = tensorCount > 0 ? Self.padded(cursor.offset, to: alignment) : cursor.offset
        guard let dataStart else { throw .truncated(file: url, offset: mapping.size, reading: "the alignment padding") }
        try cursor.seek(to: dataStart, "the alignment padding before the data section")
        var infos: [GGUFTensorInfo] = []
        infos.reserveCapacity(raw.count)
        var expected = 0
        for r in raw {
            guard r.offset == UInt64(expected) else {
                throw .misplacedTensor(file: url, tensor: r.name, offset: r.offset, expected: expected)
            }
            let (end, o1) = (dataStart + expected).addingReportingOverflow(r.bytes)
            guard !o1, end <= mapping.size else {
                throw .tensorPastEnd(file: url, tensor: r.name, end: o1 ? Int.max : end, fileSize: mapping.size)
            }
            infos.append(
                GGUFTensorInfo(
                    name: r.name, type: r.type, ne: r.ne, file: url, offset: expected,
                    fileOffset: dataStart + expected, byteCount: r.bytes))
            guard let next = Self.padded(expected + r.bytes, to: alignment) else {
                throw .tensorPastEnd(file: url, tensor: r.name, end: Int.max, fileSize: mapping.size)
            }
            expected = next
        }

        self.url = url
        self.version = version
        self.alignment = alignment
        self.metadataKeys = keys
        self.metadata = metadata
        self.tensors = infos
        self.dataSectionOffset = dataStart
        self.mapping = mapping
        self.index = index
    }

    /// Names of the tensors in file order.
    public var tensorNames: [String] { tensors.map(\.name) }

    /// The tensor's description, nil when absent.
    public func info(_ name: String) -> GGUFTensorInfo? { index[name].map { tensors[$0] } }

    /// The tensor's bytes: a view into the mapping (no copy), valid while this object is alive.
    public func rawBytes(_ name: String) throws(GGUFError) -> UnsafeRawBufferPointer {
        guard let info = info(name) else { throw .tensorNotFound(file: url, tensor: name) }
        return UnsafeRawBufferPointer(start: mapping.base + info.fileOffset, count: info.byteCount)
    }

    /// First data byte of a tensor of this file.
    func pointer(_ info: GGUFTensorInfo) -> UnsafeRawPointer { mapping.base + info.fileOffset }

    /// `ne` product / block size × type size, nil on overflow (see ``ShapeMath/elementCount(_:)``; ne
    /// non-negative, ne[0] a multiple of the block size).
    public static func byteCount(ne: [Int], type: GGMLType) -> Int? {
        guard let count = ShapeMath.elementCount(ne) else { return nil }
        let (bytes, overflow) = (count / type.blockSize).multipliedReportingOverflow(by: type.typeSize)
        return overflow ? nil : bytes
    }

    /// `n` rounded up to a multiple of `alignment` (a power of two), nil on overflow.
    static func padded(_ n: Int, to alignment: Int) -> Int? {
        let (s, o) = n.addingReportingOverflow(alignment - 1)
        return o ? nil : s & ~(alignment - 1)
    }

    private static func readValue(
        _ rawType: UInt32, key: String, depth: Int,
        cursor: inout GGUFCursor
    ) throws(GGUFError) -> GGUFValue {
        guard let type = GGUFValueType(rawValue: rawType) else {
            throw .invalidValueType(file: cursor.file, key: key, type: rawType)
        }
        func what() -> String { "the value of \"\(key)\"" }
        switch type {
        case .uint8: return .uint8(try cursor.read(UInt8.self, what()))
        case .int8: return .int8(try cursor.read(Int8.self, what()))
        case .uint16: return .uint16(try cursor.read(UInt16.self, what()))
        case .int16: return .int16(try cursor.read(Int16.self, what()))
        case .uint32: return .uint32(try cursor.read(UInt32.self, what()))
        case .int32: return .int32(try cursor.read(Int32.self, what()))
        case .uint64: return .uint64(try cursor.read(UInt64.self, what()))
        case .int64: return .int64(try cursor.read(Int64.self, what()))
        case .float32: return .float32(Float(bitPattern: try cursor.read(UInt32.self, what())))
        case .float64: return .float64(Double(bitPattern: try cursor.read(UInt64.self, what())))
        case .bool: return .bool(try cursor.read(UInt8.self, what()) != 0)
        case .string: return .string(try cursor.readString(what()))
        case .array:
            let elementRaw = try cursor.read(UInt32.self, "the element type of \"\(key)\"")
            guard let elementType = GGUFValueType(rawValue: elementRaw),
                elementType != .array || depth + 1 < maxArrayDepth
            else {
                throw .invalidValueType(file: cursor.file, key: key, type: elementRaw)
            }
            let count = try cursor.read(UInt64.self, "the length of \"\(key)\"")
            guard count <= UInt64(cursor.remaining / elementType.minimumEncodedSize) else {
                throw .implausibleCount(file: cursor.file, what: "array \"\(key)\" element", count: count)
            }
            var items: [GGUFValue] = []
            items.reserveCapacity(Int(count))
            for _ in 0..<Int(count) {
                items.append(try readValue(elementRaw, key: key, depth: depth + 1, cursor: &cursor))
            }
            return .array(elementType, items)
        }
    }
}
