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

/// Everything `SwiftBackend` reuses between calls: per-worker GEMM panels and attention rows, shared op buffers.
final class SwiftBackendScratch {
    /// Packed `[KC, NR]` weight strips, one panel per worker.
    let packedB: [ScratchBuffer]
    /// The GEMM input packed into `[KC][MR]` strips, shared by all workers.
    let packedX = ScratchBuffer()
    /// Per-worker row buffer (decoded weight rows, attention scores).
    let workerRow: [ScratchBuffer]
    /// The GEMV input reordered for MXFP4 (even elements then odd elements of each 32-group).
    let gemvInput = ScratchBuffer()
    /// MoE: router logits, selected ids/weights, gathered rows, expert outputs.
    let moeLogits = ScratchBuffer()
    let moeIds = ScratchBuffer()
    let moeWeights = ScratchBuffer()
    let moeTokens = ScratchBuffer()
    let moeGather = ScratchBuffer()
    let moeGateUp = ScratchBuffer()
    let moeAct = ScratchBuffer()
    let moeOut = ScratchBuffer()

    init(threads: Int) {
        packedB = (0..<threads).map { _ in ScratchBuffer() }
        workerRow = (0..<threads).map { _ in ScratchBuffer() }
    }
}
