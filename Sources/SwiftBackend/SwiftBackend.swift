import Foundation
import OSSCore

/// The pure-Swift backend: SIMD kernels (AVX2/FMA through Swift SIMD types), register- and cache-blocked GEMM,
/// GEMV kernels that decode every weight dtype in registers, all ops split over `threads` worker chunks.
///
/// Scratch (packed GEMM panels, MoE and attention buffers) is kept in the backend and grown on demand; ops that
/// use it serialise on an internal lock, so one backend may be shared but runs one such op at a time.
public final class SwiftBackend: Backend, @unchecked Sendable {
    public let name = "swift"
    /// Worker chunks each op is split into (1 = everything on the calling thread).
    public let threads: Int

    /// Guards `scratch`.
    let scratchLock = NSLock()
    /// Buffers reused across calls; only touched while `scratchLock` is held.
    let scratch: SwiftBackendScratch

    /// The persistent worker threads every parallel op runs on (`threads − 1` of them plus the caller).
    let pool: WorkerPool

    /// - Parameter threads: worker chunks per op; defaults to the active processor count.
    public init(threads: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.threads = max(1, threads)
        scratch = SwiftBackendScratch(threads: max(1, threads))
        pool = WorkerPool(threads: max(1, threads))
    }

    deinit { pool.stop() }

    /// Every op and every weight dtype has a kernel here.
    public func supports(_ op: OpDescriptor) -> Bool { true }

    /// Runs `body` with the scratch lock held.
    @inline(__always)
    func withScratch<R>(_ body: (SwiftBackendScratch) throws -> R) rethrows -> R {
        scratchLock.lock()
        defer { scratchLock.unlock() }
        return try body(scratch)
    }
}
