/// The work of a `parallelChunks` call on one contiguous chunk of its index range. A plain struct whose stored
/// properties are what the work reads: it is lent to the workers by address, so no closure is boxed per call.
protocol ChunkKernel {
    /// Does the work for `range`, on worker `worker` (`0..<threads`; each worker runs at most one chunk of a call,
    /// so per-worker scratch indexed by `worker` is private to the chunk).
    func run(_ range: Range<Int>, worker: Int)
}

/// The work of a `parallelFor` / `parallelInterleaved` call on one index (see `ChunkKernel`).
protocol IndexKernel {
    func run(_ index: Int, worker: Int)
}

extension SwiftBackend {
    /// Splits `0..<count` into at most `threads` contiguous chunks, each a multiple of `granule` long (except the
    /// last), and runs `kernel.run(chunk, worker)` for each, in parallel when there is more than one chunk.
    /// `minPerChunk` keeps tiny jobs on the calling thread, where a thread hand-off would cost more than the work.
    /// Chunks run on the backend's `WorkerPool` (chunk 0 on the caller); no heap allocation.
    @inline(__always)
    func parallelChunks<Kernel: ChunkKernel>(_ count: Int, granule: Int = 1, minPerChunk: Int = 1, _ kernel: Kernel) {
        guard count > 0 else { return }
        let units = (count + granule - 1) / granule
        let byWork = max(1, count / max(minPerChunk, 1))
        let chunks = min(threads, units, byWork)
        if chunks <= 1 {
            kernel.run(0..<count, worker: 0)
            return
        }
        let perChunk = (units + chunks - 1) / chunks
        pool.run(chunks, ChunkSplit(kernel: kernel, count: count, span: perChunk * granule))
    }

    /// Runs `kernel.run(i, worker)` for every `i` in `0..<count`, handing out indices in contiguous chunks over the
    /// workers.
    @inline(__always)
    func parallelFor<Kernel: IndexKernel>(_ count: Int, minPerChunk: Int = 1, _ kernel: Kernel) {
        parallelChunks(count, minPerChunk: minPerChunk, IndexRun(kernel: kernel))
    }

    /// Runs `kernel.run(i, worker)` for every `i` in `0..<count`, dealt round-robin over the workers (worker w takes
    /// w, w+W, w+2W, …): for jobs whose cost grows along the index (causal attention rows), every worker gets the
    /// same mix.
    @inline(__always)
    func parallelInterleaved<Kernel: IndexKernel>(_ count: Int, _ kernel: Kernel) {
        guard count > 0 else { return }
        let workers = min(threads, count)
        parallelChunks(workers, InterleavedRun(kernel: kernel, count: count, workers: workers))
    }
}

/// One `parallelChunks` call as a pool job: part `w` is the chunk `w·span ..< min(count, (w+1)·span)`.
struct ChunkSplit<Kernel: ChunkKernel>: WorkerPoolJob {
    let kernel: Kernel
    let count: Int
    /// Indices per chunk (a multiple of the granule).
    let span: Int

    @inline(__always)
    func runPart(_ part: Int) {
        let lo = part * span
        let hi = min(count, lo + span)
        if lo < hi { kernel.run(lo..<hi, worker: part) }
    }
}

/// `parallelFor`: every index of a chunk, in order.
struct IndexRun<Kernel: IndexKernel>: ChunkKernel {
    let kernel: Kernel

    @inline(__always)
    func run(_ range: Range<Int>, worker: Int) {
        for i in range { kernel.run(i, worker: worker) }
    }
}

/// `parallelInterleaved`: the chunk holds worker numbers; worker `w` runs indices w, w+workers, … below `count`.
struct InterleavedRun<Kernel: IndexKernel>: ChunkKernel {
    let kernel: Kernel
    let count: Int
    let workers: Int

    @inline(__always)
    func run(_ range: Range<Int>, worker _: Int) {
        for worker in range {
            var i = worker
            while i < count {
                kernel.run(i, worker: worker)
                i += workers
            }
        }
    }
}
