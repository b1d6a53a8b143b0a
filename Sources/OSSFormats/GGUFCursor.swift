import Foundation

/// Bounds-checked little-endian reads over the bytes of a GGUF file (every read past the end is a typed error).
struct GGUFCursor {
    /// Longest accepted string (ggml's limit).
    static let maxStringLength = 64 << 20

    let bytes: UnsafeRawBufferPointer
    let file: URL
    private(set) var offset = 0

    init(bytes: UnsafeRawBufferPointer, file: URL) {
        self.bytes = bytes
        self.file = file
    }

    var remaining: Int { bytes.count - offset }

    mutating func read<T: FixedWidthInteger>(_: T.Type, _ what: @autoclosure () -> String) throws(GGUFError) -> T {
        let n = MemoryLayout<T>.size
        guard remaining >= n, let base = bytes.baseAddress else {
            throw .truncated(file: file, offset: bytes.count, reading: what())
        }
        let v = T(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: T.self))
        offset += n
        return v
    }

    /// A GGUF string: u64 byte count, then UTF-8 bytes (no terminator).
    mutating func readString(_ what: @autoclosure () -> String) throws(GGUFError) -> String {
        let start = offset
        let length = try read(UInt64.self, what())
        guard length <= UInt64(Self.maxStringLength) else {
            throw .invalidString(
                file: file, offset: start, reason: "length \(length) exceeds \(Self.maxStringLength) bytes")
        }
        let n = Int(length)
        guard remaining >= n else { throw .truncated(file: file, offset: bytes.count, reading: what()) }
        let slice = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + n)])
        guard let s = slice.withMemoryRebound(to: UInt8.self, { String(validating: $0, as: UTF8.self) }) else {
            throw .invalidString(file: file, offset: start, reason: "\(what()) is not valid UTF-8")
        }
        offset += n
        return s
    }

    /// Moves to `position` (≤ the file size).
    mutating func seek(to position: Int, _ what: String) throws(GGUFError) {
        guard position <= bytes.count else { throw .truncated(file: file, offset: bytes.count, reading: what) }
        offset = position
    }
}
