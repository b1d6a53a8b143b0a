/// Standard-alphabet base64 (RFC 4648, `=` padding) decoding of short byte runs, as found in `.tiktoken` files.
///
/// Written by hand because `Foundation.Data(base64Encoded:)` per line is the dominant cost of loading a 200k-line vocabulary.
enum Base64Decoder {
    /// Sextet value of each ASCII byte, 0xFF for bytes outside the alphabet.
    static let table: [UInt8] = {
        var t = [UInt8](repeating: 0xFF, count: 256)
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        for (i, c) in alphabet.enumerated() { t[Int(c)] = UInt8(i) }
        return t
    }()

    /// Decodes `input` and appends the bytes to `output`. Returns false on a bad length, character or padding.
    static func decode(_ input: UnsafeBufferPointer<UInt8>, appendingTo output: inout [UInt8]) -> Bool {
        var n = input.count
        guard n > 0, n % 4 == 0 else { return false }
        var padding = 0
        if input[n - 1] == UInt8(ascii: "=") {
            padding += 1
            n -= 1
        }
        if input[n - 1] == UInt8(ascii: "=") {
            padding += 1
            n -= 1
        }
        var accumulator: UInt32 = 0
        var bits = 0
        return table.withUnsafeBufferPointer { t in
            for i in 0..<n {
                let v = t[Int(input[i])]
                if v == 0xFF { return false }
                accumulator = (accumulator << 6) | UInt32(v)
                bits += 6
                if bits >= 8 {
                    bits -= 8
                    output.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
                }
            }
            // Leftover bits must be zero padding (canonical encoding) and their count must match the `=` count.
            let leftoverMask: UInt32 = (1 << UInt32(bits)) - 1
            return (accumulator & leftoverMask) == 0 && (padding == 0 ? bits == 0 : bits == 2 * padding)
        }
    }

    /// Base64 encoding (standard alphabet, padded): used to write `.tiktoken` files.
    static func encode(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var out = [UInt8]()
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i < bytes.count {
            let b0 = UInt32(bytes[i])
            let b1 = i + 1 < bytes.count ? UInt32(bytes[i + 1]) : 0
            let b2 = i + 2 < bytes.count ? UInt32(bytes[i + 2]) : 0
            let triple = (b0 << 16) | (b1 << 8) | b2
            out.append(alphabet[Int((triple >> 18) & 63)])
            out.append(alphabet[Int((triple >> 12) & 63)])
            out.append(i + 1 < bytes.count ? alphabet[Int((triple >> 6) & 63)] : UInt8(ascii: "="))
            out.append(i + 2 < bytes.count ? alphabet[Int(triple & 63)] : UInt8(ascii: "="))
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }
}
