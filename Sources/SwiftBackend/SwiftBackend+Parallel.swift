extension SwiftBackend {
    /// Splits `0..<count` into at most `threads` contiguous chunks, each a multiple of `granule` long (except the
    /// last), and runs `body(chunk, worker)` for each, in parallel when there is more than one chunk.
    /// `minPerChunk` keeps tiny jobs on the calling thread, where a thread hand-off would cost more than the work.
    /// Chunks run on the backend's `WorkerPool` (chunk 0 on the caller); no heap allocation besides the one
    /// `withoutActuallyEscaping` box per parallel call.
    @inline(__always)
    func parallelChunks(_ count: Int, granule: Int = 1, minPerChunk: Int = 1,
                        _ body: (_ range: Range<Int>, _ worker: Int) -> Void) {
        guard count > 0 else { return }
        let units = (count + granule - 1) / granule
        let byWork = max(1, count / max(minPerChunk, 1))
        let chunks = min(threads, units, byWork)
        if chunks <= 1 {
            body(0..<count, 0)
            return
        }
        let perChunk = (units + chunks - 1) / chunks
        pool.run(chunks) { worker in
            let lo = worker * perChunk * granule
            let hi = min(count, lo + perChunk * granule)
            if lo < hi { body(lo..<hi, worker) }
        }
    }

    /// Runs `body(i)` for every `i` in `0..<count`, handing out indices in contiguous chunks over the workers.
    @inline(__always)
    func parallelFor(_ count: Int, minPerChunk: Int = 1, _ body: (_ index: Int, _ worker: Int) -> Void) {
        parallelChunks(count, minPerChunk: minPerChunk) { range, worker in
            for i in range { body(i, worker) }
        }
    }

    /// Runs `body(i)` for every `i` in `0..<count`, dealt round-robin over the workers (worker w takes w, w+W,
    /// w+2W, …): for jobs whose cost grows along the index (causal attention rows), every worker gets the same mix.
    @inline(__always)
    func parallelInterleaved(_ count: Int, _ body: (_ index: Int, _ worker: Int) -> Void) {
        guard count > 0 else { return }
        let workers = min(threads, count)
        parallelChunks(workers) { range, _ in
            for worker in range {
                var i = worker
                while i < count { body(i, worker); i += workers }
            }
        }
    }
}
