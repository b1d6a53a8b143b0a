/// The GPT-2 byte ↔ Unicode map Hugging Face byte-level BPE uses to spell token bytes as strings.
///
/// Bytes 33–126, 161–172 and 174–255 map to the same code point; the other 68 bytes map to U+0100, U+0101, …
/// in increasing byte order.
public enum GPT2ByteMap {
    /// Code point of each byte.
    public static let scalarOfByte: [UInt32] = {
        var map = [UInt32](repeating: 0, count: 256)
        var next: UInt32 = 256
        for b in 0..<256 {
            if (33...126).contains(b) || (161...172).contains(b) || (174...255).contains(b) {
                map[b] = UInt32(b)
            } else {
                map[b] = next
                next += 1
            }
        }
        return map
    }()

    /// Byte of each code point below 0x144 (the map's image), or -1.
    static let byteOfScalar: [Int16] = {
        var inverse = [Int16](repeating: -1, count: 0x144)
        for (b, s) in scalarOfByte.enumerated() { inverse[Int(s)] = Int16(b) }
        return inverse
    }()

    /// Token string → bytes; nil when a character is outside the map.
    public static func bytes(of token: String) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(token.utf8.count)
        return appendBytes(of: token, to: &out) ? out : nil
    }

    /// Appends the bytes a token string spells to `output`; false when a character is outside the map.
    static func appendBytes(of token: String, to output: inout [UInt8]) -> Bool {
        for s in token.unicodeScalars {
            guard s.value < 0x144 else { return false }
            let b = byteOfScalar[Int(s.value)]
            guard b >= 0 else { return false }
            output.append(UInt8(b))
        }
        return true
    }

    /// Bytes → token string.
    public static func string(of bytes: [UInt8]) -> String {
        var s = String.UnicodeScalarView()
        for b in bytes {
            // Every image value is below U+0144, hence a valid scalar.
            if let scalar = Unicode.Scalar(scalarOfByte[Int(b)]) { s.append(scalar) }
        }
        return String(s)
    }
}
