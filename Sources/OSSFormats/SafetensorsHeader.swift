import Foundation
import OSSCore

/// The validated content of a safetensors header: every tensor's dtype, shape and byte range, and `__metadata__`.
///
/// Checks (each failure is a typed ``SafetensorsError`` naming file and tensor): well-formed UTF-8 JSON object;
/// no duplicate tensor names; every entry an object with a known `dtype` string, a `shape` of non-negative
/// integers and `data_offsets` of two integers with 0 ≤ begin ≤ end ≤ data section size; shape product × dtype size
/// == end − begin (overflow-checked); no two tensors share a byte; `__metadata__` an object of string → string.
/// Unknown extra fields of an entry are ignored, and gaps between tensors are allowed, as in the reference reader.
struct SafetensorsHeader {
    /// A tensor's entry; `begin`/`end` are relative to the start of the data section.
    struct Entry {
        let name: String
        let dtype: SafetensorsDType
        let shape: [Int]
        let begin: Int
        let end: Int
    }

    /// Largest accepted header, as in the reference implementation.
    static let maxHeaderLength = 100_000_000
    /// Key of the free-form string → string metadata object.
    static let metadataKey = "__metadata__"

    /// Entries in header order.
    let entries: [Entry]
    let metadata: [String: String]

    /// Parses and validates the JSON header `json` of `file`, whose data section is `dataSize` bytes.
    init(json: UnsafeRawBufferPointer, dataSize: Int, file: URL) throws(SafetensorsError) {
        let root: JSONValue
        do {
            root = try JSONParser.parse(json)
        } catch {
            throw .malformedHeader(file: file, reason: "\(error)")
        }
        guard case .object(let members) = root else { throw .headerNotObject(file: file, found: root.typeName) }

        var entries: [Entry] = []
        entries.reserveCapacity(members.count)
        var seen = Set<String>(minimumCapacity: members.count)
        var metadata: [String: String] = [:]
        for member in members {
            let name = member.key
            let value = member.value
            guard seen.insert(name).inserted else {
                if name == Self.metadataKey { throw .invalidMetadata(file: file, reason: "\(name) appears twice") }
                throw .duplicateTensor(file: file, tensor: name)
            }
            if name == Self.metadataKey {
                metadata = try Self.parseMetadata(value, file: file)
            } else {
                entries.append(try Self.parseEntry(name: name, value: value, dataSize: dataSize, file: file))
            }
        }
        try Self.checkNoOverlaps(entries, file: file)
        self.entries = entries
        self.metadata = metadata
    }

    private static func parseMetadata(_ value: JSONValue, file: URL) throws(SafetensorsError) -> [String: String] {
        guard case .object(let members) = value else {
            throw .invalidMetadata(file: file, reason: "is a JSON \(value.typeName), not an object")
        }
        var result: [String: String] = [:]
        for member in members {
            let key = member.key
            let v = member.value
            guard case .string(let s) = v else {
                throw .invalidMetadata(file: file, reason: "value of \"\(key)\" is a JSON \(v.typeName), not a string")
            }
            guard result.updateValue(s, forKey: key) == nil else {
                throw .invalidMetadata(file: file, reason: "key \"\(key)\" appears twice")
            }
        }
        return result
    }

    private static func parseEntry(
        name: String, value: JSONValue, dataSize: Int,
        file: URL
    ) throws(SafetensorsError) -> Entry {
        func invalid(_ reason: String) -> SafetensorsError { .invalidEntry(file: file, tensor: name, reason: reason) }
        guard case .object(let members) = value else {
            throw invalid("entry is a JSON \(value.typeName), not an object")
        }
        var fields: [String: JSONValue] = [:]
        for member in members {
            let key = member.key
            let v = member.value
            guard fields.updateValue(v, forKey: key) == nil else { throw invalid("field \"\(key)\" appears twice") }
        }

        guard let dtypeValue = fields["dtype"] else { throw invalid("missing \"dtype\"") }
        guard case .string(let dtypeName) = dtypeValue else {
            throw invalid("\"dtype\" is a JSON \(dtypeValue.typeName), not a string")
        }
        guard let dtype = SafetensorsDType(rawValue: dtypeName) else {
            throw .unknownDType(file: file, tensor: name, dtype: dtypeName)
        }

        guard let shapeValue = fields["shape"] else { throw invalid("missing \"shape\"") }
        guard case .array(let shapeItems) = shapeValue else {
            throw invalid("\"shape\" is a JSON \(shapeValue.typeName), not an array")
        }
        var shape: [Int] = []
        shape.reserveCapacity(shapeItems.count)
        for item in shapeItems {
            guard case .integer(let d) = item else { throw invalid("\"shape\" holds a non-integer (\(item))") }
            shape.append(d)
        }
        guard shape.allSatisfy({ $0 >= 0 }) else { throw .negativeDimension(file: file, tensor: name, shape: shape) }

        guard let offsetsValue = fields["data_offsets"] else { throw invalid("missing \"data_offsets\"") }
        guard case .array(let offsetItems) = offsetsValue, offsetItems.count == 2 else {
            throw invalid("\"data_offsets\" is not an array of two integers")
        }
        guard case .integer(let begin) = offsetItems[0], case .integer(let end) = offsetItems[1] else {
            throw invalid("\"data_offsets\" holds a non-integer or one out of range")
        }
        guard begin >= 0, begin <= end else { throw .invalidOffsets(file: file, tensor: name, begin: begin, end: end) }
        guard end <= dataSize else {
            throw .offsetsOutOfBounds(file: file, tensor: name, begin: begin, end: end, dataSize: dataSize)
        }

        guard let expected = byteCount(shape: shape, dtype: dtype) else {
            throw .sizeOverflow(file: file, tensor: name, shape: shape)
        }
        guard expected == end - begin else {
            throw .byteCountMismatch(
                file: file, tensor: name, shape: shape, dtype: dtype,
                expected: expected, actual: end - begin)
        }
        return Entry(name: name, dtype: dtype, shape: shape, begin: begin, end: end)
    }

    /// `shape` product × `dtype.size`, nil on overflow (see ``ShapeMath/elementCount(_:)``; dimensions must
    /// already be non-negative).
    static func byteCount(shape: [Int], dtype: SafetensorsDType) -> Int? {
        guard let count = ShapeMath.elementCount(shape) else { return nil }
        let (bytes, overflow) = count.multipliedReportingOverflow(by: dtype.size)
        return overflow ? nil : bytes
    }

    /// Throws for the first pair of non-empty tensors whose byte ranges intersect.
    private static func checkNoOverlaps(_ entries: [Entry], file: URL) throws(SafetensorsError) {
        let nonEmpty = entries.filter { $0.end > $0.begin }.sorted { ($0.begin, $0.end) < ($1.begin, $1.end) }
        guard var previous = nonEmpty.first else { return }
        for e in nonEmpty.dropFirst() {
            if e.begin < previous.end {
                throw .overlappingTensors(file: file, first: previous.name, second: e.name)
            }
            if e.end > previous.end { previous = e }
        }
    }
}
