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
