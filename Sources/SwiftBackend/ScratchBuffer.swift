/// A 64-byte-aligned byte buffer that only grows; contents are not preserved across growth.
final class ScratchBuffer {
    private(set) var base: UnsafeMutableRawPointer
    private(set) var capacity: Int

    init() {
        capacity = 64
        base = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 64)
    }

    deinit { base.deallocate() }

    /// At least `bytes` bytes (grows, never shrinks).
    func bytes(_ bytes: Int) -> UnsafeMutableRawPointer {
        if bytes > capacity {
            base.deallocate()
            capacity = max(bytes, capacity * 3 / 2)
            capacity = (capacity + 63) & ~63
            base = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 64)
        }
        return base
    }

    /// At least `count` Floats.
    func floats(_ count: Int) -> UnsafeMutablePointer<Float> {
        bytes(count * MemoryLayout<Float>.stride).bindMemory(to: Float.self, capacity: count)
    }

    /// At least `count` Int32s.
    func int32s(_ count: Int) -> UnsafeMutablePointer<Int32> {
        bytes(count * MemoryLayout<Int32>.stride).bindMemory(to: Int32.self, capacity: count)
    }
}
