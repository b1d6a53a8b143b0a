/// Validating UTF-8 → Unicode scalar decoding into the per-scalar arrays the pre-tokenizer works on.
enum UTF8Scanner {
    /// Decodes `bytes`, filling `scalars`, `classes` and `offsets` (byte offset of each scalar, plus the end offset).
    /// Returns the byte offset of the first invalid sequence (overlong, surrogate, > U+10FFFF, truncated), or nil.
    static func scan(
        _ bytes: UnsafeBufferPointer<UInt8>, scalars: inout [UInt32], classes: inout [ScalarClass],
        offsets: inout [Int32]
    ) -> Int? {
        scalars.removeAll(keepingCapacity: true)
        classes.removeAll(keepingCapacity: true)
        offsets.removeAll(keepingCapacity: true)
        scalars.reserveCapacity(bytes.count)
        classes.reserveCapacity(bytes.count)
        offsets.reserveCapacity(bytes.count + 1)
        let n = bytes.count
        var i = 0
        return ScalarClass.ascii.withUnsafeBufferPointer { asciiClass -> Int? in
            while i < n {
                let b0 = bytes[i]
                if b0 < 0x80 {
                    scalars.append(UInt32(b0))
                    classes.append(asciiClass[Int(b0)])
                    offsets.append(Int32(i))
                    i += 1
                    continue
                }
                var value: UInt32
                var length: Int
                var minimum: UInt32
                if b0 & 0xE0 == 0xC0 {
                    value = UInt32(b0 & 0x1F)
                    length = 2
                    minimum = 0x80
                } else if b0 & 0xF0 == 0xE0 {
                    value = UInt32(b0 & 0x0F)
                    length = 3
                    minimum = 0x800
                } else if b0 & 0xF8 == 0xF0 {
                    value = UInt32(b0 & 0x07)
                    length = 4
                    minimum = 0x10000
                } else {
                    return i
                }
                guard i + length <= n else { return i }
                for k in 1..<length {
                    let b = bytes[i + k]
                    guard b & 0xC0 == 0x80 else { return i }
                    value = (value << 6) | UInt32(b & 0x3F)
                }
                guard value >= minimum, value <= 0x10FFFF, !(0xD800...0xDFFF).contains(value),
                    let scalar = Unicode.Scalar(value)
                else { return i }
                scalars.append(value)
                classes.append(ScalarClass.of(scalar))
                offsets.append(Int32(i))
                i += length
            }
            offsets.append(Int32(n))
            return nil
        }
    }
}
