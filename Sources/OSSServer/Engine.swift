import Foundation
import Logging
import OSSCore
import OSSModel

/// The continuous-batching scheduler: owns a `BatchedLanguageModel` and runs its step loop on a thread of its own.
///
/// Each step takes one row from every decoding slot (its last sampled token) and fills the rest of the step's
/// `prefillChunk` rows with prompt chunks of newly admitted jobs, so running streams keep producing tokens while a
/// long prompt is read. Jobs wait in a bounded queue (`submit` throws `queueFull` past it) and are admitted into a
/// free slot at the next step — preferring the free slot whose KV cache already holds the longest prefix of the
/// prompt (a conversation's next turn), which is then only rewound. Cancelled, timed-out and finished jobs free their
/// slot at the next step. Sampling is per job (its own `Sampler`).
public final class Engine: @unchecked Sendable {
    /// Engine settings.
    public struct Configuration: Sendable {
        /// Jobs that may wait for a slot; `submit` throws `queueFull` beyond.
        public var queueCapacity: Int
        /// Prompt rows per step (over all admitted prompts), besides one decode row per slot.
        public var prefillChunk: Int
        public init(queueCapacity: Int = 64, prefillChunk: Int = 128) {
            self.queueCapacity = queueCapacity
            self.prefillChunk = prefillChunk
        }
    }

    /// A job in flight.
    final class Active {
        let id: UInt64
        let job: EngineJob
        let continuation: AsyncStream<EngineEvent>.Continuation
        let sampler: Sampler
        let deadline: UInt64
        let submitted: UInt64
        /// Prompt, then generated tokens (capacity for all: appending never reallocates).
        var tokens: [Int32]
        /// Prompt tokens already in the slot's cache.
        var fed: Int
        var generated = 0
        var lastTokenTime: UInt64 = 0
        init(
            id: UInt64, job: EngineJob, continuation: AsyncStream<EngineEvent>.Continuation, sampler: Sampler,
            now: UInt64
        ) {
            self.id = id
            self.job = job
            self.continuation = continuation
            self.sampler = sampler
            submitted = now
            deadline = now &+ UInt64(max(job.timeout, 0) * 1e9)
            tokens = job.prompt
            tokens.reserveCapacity(job.prompt.count + job.maxTokens)
            fed = 0
        }
        var prefilling: Bool { fed < job.prompt.count }
    }

    public let model: any BatchedLanguageModel
    public let configuration: Configuration
    let metrics: ServerMetrics?
    let logger: Logger
    /// Sampler masks: ids ≥ limit and ids with no token.
    let sampleableLimit: Int
    let bannedIDs: [Int32]

    private let condition = NSCondition()
    // Guarded by `condition`:
    private var queue: [Active] = []
    private var cancelled: Set<UInt64> = []
    private var stopping = false
    private var nextID: UInt64 = 1
    private var thread: Thread?
    private var stopped = false

    // Owned by the step-loop thread:
    private var slots: [Active?]
    /// Tokens each slot's KV cache holds (for prefix reuse by the next job).
    private var slotTokens: [[Int32]]
    private var entries: [BatchEntry] = []
    private var entryJobs: [Int] = []
    private var admitted: [Active] = []

    /// Public read-outs (guarded by `condition`).
    private var activeCount = 0

    public init(
        model: any BatchedLanguageModel, configuration: Configuration, sampleableLimit: Int,
        bannedIDs: [Int32], metrics: ServerMetrics?, logger: Logger
    ) throws {
        guard configuration.queueCapacity >= 0 else {
            throw ModelError.invalidParameter(name: "queueCapacity", reason: "must be ≥ 0")
        }
        guard configuration.prefillChunk >= 1 else {
            throw ModelError.invalidParameter(name: "prefillChunk", reason: "must be ≥ 1")
        }
        guard model.maxStepRows > model.slotCount else {
            throw ModelError.invalidParameter(
                name: "maxStepRows",
                reason: "the model takes \(model.maxStepRows) rows per step, fewer than its "
                    + "\(model.slotCount) slots plus one prompt row")
        }
        self.model = model
        self.configuration = configuration
        self.metrics = metrics
        self.logger = logger
        self.sampleableLimit = min(sampleableLimit, model.vocabSize)
        self.bannedIDs = bannedIDs
        slots = Array(repeating: nil, count: model.slotCount)
        slotTokens = Array(repeating: [], count: model.slotCount)
        entries.reserveCapacity(model.slotCount)
        entryJobs.reserveCapacity(model.slotCount)
    }

    /// Starts the step loop (once).
    public func start() {
        condition.lock()
        defer { condition.unlock() }
        guard thread == nil else { return }
        let t = Thread { [self] in self.loop() }
        t.name = "oss-engine"
        thread = t
        t.start()
    }

    /// Ends every job (`.shutdown`) and stops the loop; returns once the loop has stopped.
    public func shutdown() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while thread != nil && !stopped { condition.wait() }
        condition.unlock()
    }

    /// Jobs waiting for a slot, and slots in use.
    public var load: (queued: Int, active: Int) {
        condition.lock()
        defer { condition.unlock() }
        return (queue.count, activeCount)
    }

    /// Queues a job; its events arrive on the ticket's stream. `cancel()` (or dropping the stream) ends the job and
    /// frees its slot at the next step.
    public func submit(_ job: EngineJob) throws -> EngineTicket {
        guard !job.prompt.isEmpty else { throw EngineRejection.emptyPrompt }
        guard job.prompt.count < model.contextLength else {
            throw EngineRejection.promptTooLong(tokens: job.prompt.count, contextLength: model.contextLength)
        }
        let sampler = try Sampler(parameters: job.sampling, sampleableLimit: sampleableLimit, bannedIDs: bannedIDs)
        let (stream, continuation) = AsyncStream<EngineEvent>.makeStream()
        condition.lock()
        defer { condition.unlock() }
        guard !stopping else { throw EngineRejection.shuttingDown }
        guard queue.count < configuration.queueCapacity else {
            throw EngineRejection.queueFull(capacity: configuration.queueCapacity)
        }
        let id = nextID
        nextID += 1
        queue.append(
            Active(
                id: id, job: job, continuation: continuation, sampler: sampler,
                now: DispatchTime.now().uptimeNanoseconds))
        metrics?.queueDepth.set(Int64(queue.count))
        continuation.onTermination = { [weak self] reason in
            guard case .cancelled = reason else { return }
            self?.cancel(id)
        }
        condition.signal()
        return EngineTicket(engine: self, id: id, events: stream)
    }

    /// Ends job `id` (if still running) at the next step; its stream ends with `.finished(.cancelled)`.
    func cancel(_ id: UInt64) {
        condition.lock()
        cancelled.insert(id)
        condition.signal()
        condition.unlock()
    }

    // MARK: the step loop

    private func loop() {
        while true {
            condition.lock()
            while !stopping && queue.isEmpty && activeCount == 0 { condition.wait() }
            if stopping {
                let waiting = queue
                queue.removeAll()
                condition.unlock()
                for job in waiting {
                    job.continuation.yield(.finished(.shutdown))
                    job.continuation.finish()
                }
                for s in slots.indices { if let job = slots[s] { finish(slot: s, job, .shutdown) } }
                condition.lock()
                stopped = true
                condition.broadcast()
                condition.unlock()
                return
            }
            // (steady decode allocates nothing here: the sets and arrays stay empty)
            var cancelledNow: Set<UInt64> = []
            if !cancelled.isEmpty { swap(&cancelledNow, &cancelled) }
            admitted.removeAll(keepingCapacity: true)
            if !cancelledNow.isEmpty {
                // waiting jobs whose client went away leave the queue now
                queue.removeAll { job in
                    guard cancelledNow.contains(job.id) else { return false }
                    job.continuation.finish()
                    return true
                }
            }
            var free = 0
            for s in slots where s == nil { free += 1 }
            while admitted.count < free, !queue.isEmpty { admitted.append(queue.removeFirst()) }
            let stillCancelled = cancelledNow
            metrics?.queueDepth.set(Int64(queue.count))
            condition.unlock()

            let now = DispatchTime.now().uptimeNanoseconds
            for s in slots.indices {
                guard let job = slots[s] else { continue }
                if stillCancelled.contains(job.id) {
                    finish(slot: s, job, .cancelled)
                } else if now > job.deadline {
                    finish(slot: s, job, .timeout)
                }
            }
            for job in admitted {
                if now > job.deadline {
                    job.continuation.yield(.finished(.timeout))
                    job.continuation.finish()
                    continue
                }
                admit(job)
            }
            updateCounts()
            if slots.allSatisfy({ $0 == nil }) { continue }
            runStep()
        }
    }

    private func updateCounts() {
        let n = slots.reduce(0) { $0 + ($1 == nil ? 0 : 1) }
        condition.lock()
        activeCount = n
        condition.unlock()
        metrics?.activeSlots.set(Int64(n))
        let used = (0..<model.slotCount).reduce(0) { $0 + model.position(ofSlot: $1) }
        metrics?.kvCacheUsage.set(Double(used) / Double(model.slotCount * model.contextLength))
    }

    /// Puts a job into the free slot whose cache shares the longest prefix with its prompt (rewinding it there, or
    /// resetting it when the rewind is impossible).
    private func admit(_ job: Active) {
        var best = -1
        var bestKeep = -1
        for s in slots.indices where slots[s] == nil {
            let keep = ConversationCache.reusableCount(cached: slotTokens[s], prompt: job.job.prompt)
            if keep > bestKeep {
                best = s
                bestKeep = keep
            }
        }
        precondition(best >= 0, "admit without a free slot")
        var keep = bestKeep
        if keep < model.position(ofSlot: best) || slotTokens[best].count != model.position(ofSlot: best) {
            do { try model.truncate(slot: best, to: keep) } catch {
                model.reset(slot: best)
                keep = 0
            }
        }
        if keep == 0 { model.reset(slot: best) }
        slotTokens[best].removeSubrange(keep...)
        job.fed = keep
        slots[best] = job
        job.continuation.yield(.admitted(slot: best, reusedTokens: keep))
    }

    /// One batched forward step over every active slot, then sampling for the entries that produced logits.
    private func runStep() {
        entries.removeAll(keepingCapacity: true)
        entryJobs.removeAll(keepingCapacity: true)
        // decode rows first: one per slot past its prompt
        for s in slots.indices {
            guard let job = slots[s], !job.prefilling else { continue }
            let n = job.tokens.count
            entries.append(BatchEntry(slot: s, tokens: job.tokens[(n - 1)..<n], wantsLogits: true))
            entryJobs.append(s)
        }
        var budget = min(configuration.prefillChunk, model.maxStepRows - entries.count)
        for s in slots.indices where budget > 0 {
            guard let job = slots[s], job.prefilling else { continue }
            let count = min(job.job.prompt.count - job.fed, budget)
            let end = job.fed + count
            entries.append(
                BatchEntry(
                    slot: s, tokens: job.tokens[job.fed..<end],
                    wantsLogits: end == job.job.prompt.count))
            entryJobs.append(s)
            budget -= count
        }
        guard !entries.isEmpty else { return }
        if let metrics {
            var rows = 0
            for e in entries { rows += e.tokens.count }
            metrics.stepRows.record(Double(rows))
        }
        let logits: Tensor
        do {
            logits = try model.step(entries)
        } catch {
            logger.error("step failed: \(error)")
            for s in Set(entryJobs) {
                guard let job = slots[s] else { continue }
                finish(slot: s, job, .failed("\(error)"))
                model.reset(slot: s)
                slotTokens[s].removeAll()
            }
            return
        }
        var row = 0
        let now = DispatchTime.now().uptimeNanoseconds
        for (entry, s) in zip(entries, entryJobs) {
            guard let job = slots[s] else { continue }
            slotTokens[s].append(contentsOf: entry.tokens)
            if job.prefilling {
                job.fed += entry.tokens.count
                metrics?.promptTokens.increment(by: Int64(entry.tokens.count))
            }
            guard entry.wantsLogits else { continue }
            let logitsRow = logits.row(row)
            row += 1
            let token: Int32
            do { token = try job.sampler.sample(logitsRow) } catch {
                finish(slot: s, job, .failed("\(error)"))
                continue
            }
            job.tokens.append(token)
            job.generated += 1
            metrics?.generatedTokens.increment()
            if job.generated == 1 {
                metrics?.timeToFirstToken.recordNanoseconds(Int64(now - job.submitted))
            } else {
                metrics?.interTokenLatency.recordNanoseconds(Int64(now - job.lastTokenTime))
            }
            job.lastTokenTime = now
            job.continuation.yield(.token(token))
            if job.job.stopTokens.contains(token) {
                finish(slot: s, job, .stopToken(token))
            } else if job.generated >= job.job.maxTokens {
                finish(slot: s, job, .length)
            } else if model.position(ofSlot: s) >= model.contextLength {
                finish(slot: s, job, .contextFull)
            }
        }
    }

    private func finish(slot s: Int, _ job: Active, _ reason: EngineFinish) {
        job.continuation.yield(.finished(reason))
        job.continuation.finish()
        slots[s] = nil
    }
}

/// A submitted job: its events, and a way to end it early.
public struct EngineTicket: Sendable {
    let engine: Engine
    let id: UInt64
    public let events: AsyncStream<EngineEvent>
    public func cancel() { engine.cancel(id) }
}
