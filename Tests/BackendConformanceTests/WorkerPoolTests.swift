import Foundation
import XCTest

@testable import SwiftBackend

/// The SwiftBackend worker team: every part runs exactly once per `run`, on distinct threads, and busy or nested
/// use falls back to the calling thread instead of deadlocking.
final class WorkerPoolTests: XCTestCase {
    /// Per-part hit counters that parts may bump concurrently (each part owns its own slot).
    private final class Counters: @unchecked Sendable {
        let slots: UnsafeMutablePointer<Int>
        let count: Int
        init(_ count: Int) {
            self.count = count
            slots = .allocate(capacity: count)
            slots.initialize(repeating: 0, count: count)
        }
        deinit { slots.deallocate() }
        var values: [Int] { Array(UnsafeBufferPointer(start: slots, count: count)) }
    }

    /// Pool job: part p adds `step` to slot `offset + p`.
    private struct Bump: WorkerPoolJob {
        let hits: Counters
        var offset = 0
        var step = 1
        func runPart(_ part: Int) { hits.slots[offset + part] += step }
    }

    /// Pool job: part p records whether it ran on `caller`.
    private struct OnCaller: WorkerPoolJob {
        let hits: Counters
        let caller: pthread_t
        func runPart(_ part: Int) { hits.slots[part] = pthread_equal(pthread_self(), caller) != 0 ? 1 : 0 }
    }

    /// Pool job: part p runs a whole inner `run(2)` on the same pool, bumping slots 2p and 2p+1.
    private struct Nested: WorkerPoolJob {
        let pool: WorkerPool
        let hits: Counters
        func runPart(_ part: Int) { pool.run(2, Bump(hits: hits, offset: 2 * part)) }
    }

    /// Chunk kernel: adds the chunk length to its worker's slot and counts every index it covers.
    private struct CountChunks: ChunkKernel {
        let perWorker: Counters
        let perIndex: Counters
        func run(_ range: Range<Int>, worker: Int) {
            perWorker.slots[worker] += range.count
            for i in range { perIndex.slots[i] += 1 }
        }
    }

    /// Index kernel: counts every index and remembers which worker ran it.
    private struct CountIndices: IndexKernel {
        let perIndex: Counters
        let workerOf: Counters
        func run(_ index: Int, worker: Int) {
            perIndex.slots[index] += 1
            workerOf.slots[index] = worker
        }
    }

    func testEveryPartRunsExactlyOncePerRun() {
        let pool = WorkerPool(threads: 4)
        defer { pool.stop() }
        let runs = 500
        // 5 and 6 parts exceed the team: they run one after another on the caller, still exactly once each.
        for parts in 1...6 {
            let hits = Counters(6)
            for _ in 0..<runs { pool.run(parts, Bump(hits: hits)) }
            XCTAssertEqual(hits.values, (0..<6).map { $0 < parts ? runs : 0 }, "parts \(parts)")
        }
    }

    /// Idle workers spin for the next job (ops come microseconds apart in decode), but only for `spinNanoseconds`:
    /// then they sleep, and a job after that wakes them and still runs every part.
    func testIdleWorkersSleepAfterTheirSpinAndWakeForTheNextJob() {
        let pool = WorkerPool(threads: 3)
        defer { pool.stop() }
        let hits = Counters(3)
        pool.run(3, Bump(hits: hits))
        let spin = Double(WorkerPool.spinNanoseconds) / 1e9
        let deadline = Date().addingTimeInterval(max(2, 1000 * spin))
        while pool.sleepingWorkers < 2, Date() < deadline { usleep(1000) }
        XCTAssertEqual(pool.sleepingWorkers, 2, "idle workers still spinning long after their budget")
        pool.run(3, Bump(hits: hits))
        XCTAssertEqual(hits.values, [2, 2, 2])
    }

    func testPartsRunOnTheCallerAndOnWorkerThreads() {
        let pool = WorkerPool(threads: 3)
        defer { pool.stop() }
        let caller = pthread_self()
        let onCaller = Counters(3)
        pool.run(3, OnCaller(hits: onCaller, caller: caller))
        XCTAssertEqual(onCaller.values, [1, 0, 0])
    }

    func testNestedRunFallsBackToTheCallingThread() {
        let pool = WorkerPool(threads: 2)
        defer { pool.stop() }
        let inner = Counters(4)
        pool.run(2, Nested(pool: pool, hits: inner))
        XCTAssertEqual(inner.values, [1, 1, 1, 1])
    }

    func testConcurrentCallersEachGetAllTheirParts() {
        let pool = WorkerPool(threads: 2)
        defer { pool.stop() }
        let callers = 2
        let runs = 300
        let hits = Counters(callers * 2)
        DispatchQueue.concurrentPerform(iterations: callers) { c in
            for _ in 0..<runs { pool.run(2, Bump(hits: hits, offset: 2 * c)) }
        }
        XCTAssertEqual(hits.values, [Int](repeating: runs, count: callers * 2))
    }

    func testBackendsComeAndGoWithoutLeakingBusyThreads() throws {
        // Each backend starts and stops its own team; a parallel op on each must still complete.
        for threads in [1, 2, 3, 2, 4] {
            let backend = SwiftBackend(threads: threads)
            let hits = Counters(threads)
            let indices = Counters(threads * 1000)
            backend.parallelChunks(threads * 1000, minPerChunk: 1, CountChunks(perWorker: hits, perIndex: indices))
            XCTAssertEqual(hits.values.reduce(0, +), threads * 1000)
            XCTAssertEqual(indices.values, [Int](repeating: 1, count: threads * 1000))
        }
    }

    func testTheJobsStoredValuesReachEveryPartAndEveryRunSeesItsOwnJob() {
        // The job is lent by address from the caller's stack: each run must see its own values, never a
        // previous run's.
        let pool = WorkerPool(threads: 3)
        defer { pool.stop() }
        let hits = Counters(3)
        for step in 1...200 { pool.run(3, Bump(hits: hits, step: step)) }
        XCTAssertEqual(hits.values, [Int](repeating: 200 * 201 / 2, count: 3))
    }

    func testParallelHelpersCoverEveryIndexExactlyOnce() {
        let backend = SwiftBackend(threads: 3)
        for count in [1, 2, 3, 7, 64, 100, 1001] {
            for granule in [1, 16] {
                let perWorker = Counters(3)
                let perIndex = Counters(count)
                backend.parallelChunks(
                    count, granule: granule,
                    CountChunks(perWorker: perWorker, perIndex: perIndex))
                XCTAssertEqual(perIndex.values, [Int](repeating: 1, count: count), "chunks \(count)/\(granule)")
                XCTAssertEqual(perWorker.values.reduce(0, +), count)
            }
            let forIndex = Counters(count)
            let forWorker = Counters(count)
            backend.parallelFor(count, CountIndices(perIndex: forIndex, workerOf: forWorker))
            XCTAssertEqual(forIndex.values, [Int](repeating: 1, count: count), "for \(count)")
            // Contiguous chunks: the worker number never decreases along the index.
            XCTAssertEqual(forWorker.values, forWorker.values.sorted(), "for \(count)")

            let rrIndex = Counters(count)
            let rrWorker = Counters(count)
            backend.parallelInterleaved(count, CountIndices(perIndex: rrIndex, workerOf: rrWorker))
            XCTAssertEqual(rrIndex.values, [Int](repeating: 1, count: count), "interleaved \(count)")
            XCTAssertEqual(rrWorker.values, (0..<count).map { $0 % min(3, count) }, "interleaved \(count)")
        }
    }
}
