import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Work that `WorkerPool.run` splits into parts: `runPart(part)` is called once for every part in `0..<parts`,
/// several at a time on different threads, so parts must only write memory no other part writes.
///
/// A job is a plain struct whose stored properties are everything the work reads (pointers, sizes, weights): `run`
/// lends it to the workers by address for as long as it blocks, so handing work over allocates nothing — unlike a
/// non-escaping closure, which has to be boxed on the heap (`withoutActuallyEscaping`, one allocation per call) to
/// be reachable from another thread.
protocol WorkerPoolJob {
    func runPart(_ part: Int)
}

/// A persistent team of `threads − 1` worker threads plus the calling thread, for the backend's parallel ops.
///
/// Unlike `DispatchQueue.concurrentPerform` (≈ 5 heap allocations per call: closure boxes, a `Block_copy` and
/// dispatch continuations), `run` allocates nothing: it publishes the address of the caller's job (on the caller's
/// stack) and an entry function specialised for the job's type through a generation counter, and does not return
/// before every worker is done with the job.
/// Workers spin up to `spinNanoseconds` for the next job (decode issues ops microseconds apart), then sleep on a
/// condition variable. A `run` that finds the team busy (a nested call, or a second thread using the same backend) runs
/// every part on the calling thread instead — same results, no deadlock.
final class WorkerPool: @unchecked Sendable {
    /// Parts one `run` can split into (the caller plus the workers).
    let threads: Int

    /// Bumped once per job; workers wait for it to change.
    private let generation = Atomic<Int>(0)
    /// Workers that have not yet finished the current job.
    private let pending = Atomic<Int>(0)
    /// Workers asleep on `wake` (the caller broadcasts only when > 0).
    private let sleepers = Atomic<Int>(0)
    /// Whether the caller sleeps on `done` waiting for the last worker.
    private let callerSleeping = Atomic<Bool>(false)
    /// Held by the thread that owns the team for the current job.
    private let busy = Atomic<Bool>(false)
    private let stopping = Atomic<Bool>(false)

    /// The current job — its address on the caller's stack and the entry that runs one part of it — and its part
    /// count; written by the caller before `generation` is bumped, read by workers after they see the bump, valid
    /// until `pending` is 0.
    private var jobAddress: UnsafeRawPointer?
    private var jobEntry: JobEntry = WorkerPool.idle
    private var parts = 0

    /// Runs part `part` of the job at `address`. A non-capturing closure: a plain function pointer, no context.
    private typealias JobEntry = (_ address: UnsafeRawPointer, _ part: Int) -> Void

    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let wake: UnsafeMutablePointer<pthread_cond_t>
    private let done: UnsafeMutablePointer<pthread_cond_t>

    /// How long a worker (or the waiting caller) spins before it goes to sleep, in ns. Decode issues ops
    /// microseconds apart, but the caller's serial steps between two parallel ones can take a few hundred µs, and a
    /// sleeping worker costs a futex wake-up per op (worse on a VM). mini, 2-thread tg64 on this backend, alternated
    /// runs: 20 000 spins (a few µs) 124–148 tok/s (60–70% of a paired DRAM read), this 1 ms 183–186 (92–99%).
    static let spinNanoseconds: UInt64 = 1_000_000

    /// Workers asleep now (for tests: idle workers stop spinning after `spinNanoseconds`).
    var sleepingWorkers: Int { sleepers.load(ordering: .sequentiallyConsistent) }

    /// Starts `threads − 1` worker threads (none for `threads` ≤ 1).
    init(threads: Int) {
        self.threads = max(1, threads)
        mutex = .allocate(capacity: 1)
        wake = .allocate(capacity: 1)
        done = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(wake, nil)
        pthread_cond_init(done, nil)
        for worker in 1..<self.threads {
            let thread = Thread { [self] in self.workerLoop(worker) }
            thread.name = "SwiftBackend.worker\(worker)"
            thread.start()
        }
    }

    deinit {
        pthread_cond_destroy(done)
        pthread_cond_destroy(wake)
        pthread_mutex_destroy(mutex)
        done.deallocate()
        wake.deallocate()
        mutex.deallocate()
    }

    /// Ends the worker threads (they hold the pool until they exit). Call once, when the owner goes away.
    func stop() {
        stopping.store(true, ordering: .sequentiallyConsistent)
        generation.add(1, ordering: .sequentiallyConsistent)
        pthread_mutex_lock(mutex)
        pthread_cond_broadcast(wake)
        pthread_mutex_unlock(mutex)
    }

    /// Runs `job.runPart(part)` for every part in `0..<parts`, part 0 on the calling thread, the others on the
    /// workers; returns when all are done. More parts than `threads` (or a busy team) run one after another on the
    /// caller. Allocates nothing.
    func run<Job: WorkerPoolJob>(_ parts: Int, _ job: Job) {
        guard parts > 1, parts <= threads,
            busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged
        else {
            for part in 0..<parts { job.runPart(part) }
            return
        }
        withUnsafePointer(to: job) { address in
            jobAddress = UnsafeRawPointer(address)
            // Specialised for `Job` (the backend's callers always are), this closure captures nothing, so it is a
            // bare function pointer into `Job`'s own optimised `runPart` — not a generic witness-table call, which
            // runs the kernel unspecialised on the workers (measured: MXFP4 GEMV 4× slower at 2 threads).
            // A worker runs its part on its own copy of the job (a few words), so it does not keep reading a line of
            // the caller's stack while the caller writes next to it running part 0.
            jobEntry = { address, part in
                let ownCopy = address.assumingMemoryBound(to: Job.self).pointee
                ownCopy.runPart(part)
            }
            self.parts = parts
            pending.store(threads - 1, ordering: .relaxed)
            generation.add(1, ordering: .sequentiallyConsistent)
            if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
                pthread_mutex_lock(mutex)
                pthread_cond_broadcast(wake)
                pthread_mutex_unlock(mutex)
            }
            job.runPart(0)
            // The job (and the stack frame it lives in) must outlive every worker's use of it.
            waitForWorkers()
            jobAddress = nil
            jobEntry = WorkerPool.idle
        }
        busy.store(false, ordering: .releasing)
    }

    /// Spins, then sleeps on `done`, until every worker has finished the current job.
    private func waitForWorkers() {
        var spin = SpinDeadline()
        while pending.load(ordering: .acquiring) > 0 {
            if !spin.expired() { continue }
            pthread_mutex_lock(mutex)
            callerSleeping.store(true, ordering: .sequentiallyConsistent)
            while pending.load(ordering: .sequentiallyConsistent) > 0 { pthread_cond_wait(done, mutex) }
            callerSleeping.store(false, ordering: .relaxed)
            pthread_mutex_unlock(mutex)
            return
        }
    }

    private func workerLoop(_ worker: Int) {
        // Generation 0 is "no job yet" — not a fresh load: a job published before this thread got going must
        // still be seen as new.
        var seen = 0
        while true {
            var spin = SpinDeadline()
            var now = generation.load(ordering: .acquiring)
            while now == seen {
                if spin.expired() {
                    pthread_mutex_lock(mutex)
                    sleepers.add(1, ordering: .sequentiallyConsistent)
                    while generation.load(ordering: .sequentiallyConsistent) == seen { pthread_cond_wait(wake, mutex) }
                    sleepers.subtract(1, ordering: .sequentiallyConsistent)
                    pthread_mutex_unlock(mutex)
                    spin = SpinDeadline()
                }
                now = generation.load(ordering: .acquiring)
            }
            seen = now
            if stopping.load(ordering: .acquiring) { return }
            if worker < parts { runPart(worker) }
            if pending.subtract(1, ordering: .sequentiallyConsistent).newValue == 0,
                callerSleeping.load(ordering: .sequentiallyConsistent)
            {
                pthread_mutex_lock(mutex)
                pthread_cond_signal(done)
                pthread_mutex_unlock(mutex)
            }
        }
    }

    /// Runs part `worker` of the published job.
    private func runPart(_ worker: Int) {
        guard let address = jobAddress else { return }
        jobEntry(address, worker)
    }

    /// The entry between runs (never called: `jobAddress` is nil then).
    private static func idle(_ address: UnsafeRawPointer, _ part: Int) {}
}

/// A spin-wait's time budget (`WorkerPool.spinNanoseconds`), read off the monotonic clock once every 256 spins.
private struct SpinDeadline {
    private var spins = 0
    private var start: UInt64 = 0

    /// Counts one spin; true once the wait has spun for the budget.
    mutating func expired() -> Bool {
        spins &+= 1
        guard spins & 255 == 0 else { return false }
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        let now = UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
        if start == 0 {
            start = now
            return false
        }
        return now &- start >= WorkerPool.spinNanoseconds
    }
}
