/// Structured values drawn from a fuzz input's bytes, front to back; an exhausted input gives zeros (the fuzzer
/// grows inputs that need more).
struct FuzzInput {
    private let bytes: [UInt8]
    private(set) var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var isAtEnd: Bool { offset >= bytes.count }
    var remaining: Int { max(0, bytes.count - offset) }

    mutating func byte() -> UInt8 {
        guard offset < bytes.count else { return 0 }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func bool() -> Bool { byte() & 1 == 1 }

    /// A little-endian integer of `T`'s width.
    mutating func integer<T: FixedWidthInteger>(_: T.Type) -> T {
        var v: T = 0
        for i in 0..<MemoryLayout<T>.size { v |= T(truncatingIfNeeded: byte()) << (8 * i) }
        return v
    }

    /// A value in `0..<n` (n > 0) from one or two bytes.
    mutating func index(_ n: Int) -> Int {
        n <= 256 ? Int(byte()) % n : Int(integer(UInt16.self)) % n
    }

    /// The next `count` bytes (fewer at the end).
    mutating func take(_ count: Int) -> [UInt8] {
        let n = min(max(count, 0), remaining)
        defer { offset += n }
        return Array(bytes[offset..<(offset + n)])
    }

    /// Everything not read yet.
    mutating func rest() -> [UInt8] { take(remaining) }

    /// A length-prefixed byte string (one length byte).
    mutating func shortBytes() -> [UInt8] { take(Int(byte())) }
}
