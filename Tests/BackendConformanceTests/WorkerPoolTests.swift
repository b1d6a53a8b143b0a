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

    func testEveryPartRunsExactlyOncePerRun() {
        let pool = WorkerPool(threads: 4)
        defer { pool.stop() }
        let runs = 500
        // 5 and 6 parts exceed the team: they run one after another on the caller, still exactly once each.
        for parts in 1...6 {
            let hits = Counters(6)
            for _ in 0..<runs { pool.run(parts) { hits.slots[$0] += 1 } }
            XCTAssertEqual(hits.values, (0..<6).map { $0 < parts ? runs : 0 }, "parts \(parts)")
        }
    }

    func testPartsRunOnTheCallerAndOnWorkerThreads() {
        let pool = WorkerPool(threads: 3)
        defer { pool.stop() }
        let caller = pthread_self()
        let onCaller = Counters(3)
        pool.run(3) { part in onCaller.slots[part] = pthread_equal(pthread_self(), caller) != 0 ? 1 : 0 }
        XCTAssertEqual(onCaller.values, [1, 0, 0])
    }

    func testNestedRunFallsBackToTheCallingThread() {
        let pool = WorkerPool(threads: 2)
        defer { pool.stop() }
        let inner = Counters(4)
        pool.run(2) { outer in
            pool.run(2) { part in inner.slots[2 * outer + part] += 1 }
        }
        XCTAssertEqual(inner.values, [1, 1, 1, 1])
    }

    func testConcurrentCallersEachGetAllTheirParts() {
        let pool = WorkerPool(threads: 2)
        defer { pool.stop() }
        let callers = 2, runs = 300
        let hits = Counters(callers * 2)
        DispatchQueue.concurrentPerform(iterations: callers) { c in
            for _ in 0..<runs { pool.run(2) { hits.slots[2 * c + $0] += 1 } }
        }
        XCTAssertEqual(hits.values, [Int](repeating: runs, count: callers * 2))
    }

    func testBackendsComeAndGoWithoutLeakingBusyThreads() throws {
        // Each backend starts and stops its own team; a parallel op on each must still complete.
        for threads in [1, 2, 3, 2, 4] {
            let backend = SwiftBackend(threads: threads)
            let hits = Counters(threads)
            backend.parallelChunks(threads * 1000, minPerChunk: 1) { range, worker in
                hits.slots[worker] += range.count
            }
            XCTAssertEqual(hits.values.reduce(0, +), threads * 1000)
        }
    }
}
