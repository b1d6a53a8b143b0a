import OSSBackends
import OSSCore
import XCTest

@testable import OSSBench

/// The `read` reference rows: the C streaming read, the reference each T = 1 linear cell gets, and a tiny real run.
final class ReadReferenceTests: XCTestCase {
    /// The checksum's definition, in Swift: XOR over each byte b at offset j of its range of b << 8·(j mod 8).
    private func expectedChecksum(_ w: WeightTensor) -> UInt64 {
        var x: UInt64 = 0
        for range in StreamingRead.ranges(of: w) {
            let bytes = range.start.assumingMemoryBound(to: UInt8.self)
            for j in 0..<range.bytes { x ^= UInt64(bytes[j]) << (8 * UInt64(j % 8)) }
        }
        return x
    }

    func testReadTouchesEveryStoredByteOnAnyThreadCount() throws {
        var rng = BenchRandom(seed: 7)
        // MXFP4: 37 rows × 16 B of blocks per 32 weights (not a multiple of 64) and 37 × 3 scale bytes right after
        // them (an unaligned start); f32 and bf16 with sizes around the 32- and 128-byte steps of the AVX2 loop.
        let weights = [
            try WeightTensor.encode(rng.floats(37 * 96), shape: Shape([37, 96]), dtype: .mxfp4),
            try WeightTensor.encode(rng.floats(37 * 96, scale: 3), shape: Shape([37, 96]), dtype: .mxfp4),
        ]
        let read = try StreamingRead(weights: weights, cell: "test mxfp4")
        XCTAssertEqual(read.bytesPerCopy, weights[0].storedBytes)
        XCTAssertEqual(StreamingRead.ranges(of: weights[0]).map(\.bytes), [37 * 48, 37 * 3], "blocks, then scales")
        for threads in [1, 2, 3, 8] {
            for copy in 0..<4 {
                XCTAssertEqual(
                    try read.read(copy: copy, threads: threads), expectedChecksum(weights[copy % 2]),
                    "copy \(copy) at \(threads) threads")
            }
        }
        XCTAssertNotEqual(expectedChecksum(weights[0]), expectedChecksum(weights[1]), "the checksum sees the bytes")
        for (rows, dtype) in [(1, DType.f32), (3, .bf16), (5, .f32), (129, .bf16)] {
            let w = try WeightTensor.encode(rng.floats(rows * 32), shape: Shape([rows, 32]), dtype: dtype)
            let one = try StreamingRead(weights: [w], cell: "test \(dtype)")
            for threads in [1, 2, 5] { XCTAssertEqual(try one.read(copy: 0, threads: threads), expectedChecksum(w)) }
        }
        XCTAssertThrowsError(try read.read(copy: 0, threads: 0))
        XCTAssertThrowsError(try read.read(copy: 0, threads: 257))
        XCTAssertThrowsError(try StreamingRead(weights: [], cell: "empty"))
        let other = try WeightTensor.encode(rng.floats(2 * 96), shape: Shape([2, 96]), dtype: .mxfp4)
        XCTAssertThrowsError(try StreamingRead(weights: [weights[0], other], cell: "mixed"))
    }

    func testT1LinearCellsGetAReadReferenceOfTheirWeightBytes() throws {
        let cache = 1 << 20
        let mxfp4 = try OpsSuite.prepare(OpSpec(.router, dtype: .mxfp4, tokens: 1), cacheBytes: cache)
        XCTAssertEqual(mxfp4.references.map(\.name), ["read"])
        let read = try XCTUnwrap(mxfp4.reference("read"))
        // Router 2880 → 32 in MXFP4: 16 block bytes + 1 scale byte per 32 weights, nothing else.
        XCTAssertEqual(read.cost.bytes, Double(32 * 2880 / 32 * 17))
        XCTAssertEqual(read.cost.flops, 0)
        XCTAssertEqual(
            read.cost.bytes,
            OpCost.linear(
                tokens: 1, inFeatures: 2880, outFeatures: 32, dtype: .mxfp4,
                bias: false
            ).bytes - 4 * (2880 + 32), "the weight part of the cell's bytes")
        try read.run(2, 0)
        let f32 = try OpsSuite.prepare(OpSpec(.router, dtype: .f32, tokens: 1), cacheBytes: cache)
        XCTAssertEqual(f32.references.map(\.name), ["cblas", "read"])
        XCTAssertEqual(f32.reference("read")?.cost.bytes, Double(32 * 2880 * 4))
        XCTAssertEqual(
            try OpsSuite.prepare(OpSpec(.router, dtype: .f32, tokens: 2), cacheBytes: cache).references.map(\.name),
            ["cblas"], "T > 1: no read reference")
        XCTAssertTrue(try OpsSuite.prepare(OpSpec(.rmsnorm, tokens: 1), cacheBytes: cache).references.isEmpty)
    }

    func testRunMeasuresReadRowsForT1LinearOnly() throws {
        // One rep of the router (the smallest linear) at T = 1 and 2, two thread counts, a 4 MiB DRAM probe.
        let specs = [OpSpec(.router, dtype: .mxfp4, tokens: 1), OpSpec(.router, dtype: .mxfp4, tokens: 2)]
        var c = BenchConfiguration(
            backends: [.blas], threads: [1, 2], suites: [.ops], opSpecs: specs, prompts: [1],
            gens: [1], model: "tiny", reps: 1, e2eReps: 1, warmup: 0, dramProbeBytes: 4 << 20)
        let run = try BenchRunner(configuration: c, quiet: true).run(command: ["test"])
        XCTAssertEqual(run.results.count, c.cellCount)
        let reads = run.results.filter { $0.backend == "read" }
        XCTAssertEqual(reads.map(\.threads), [1, 2])
        for r in reads {
            XCTAssertEqual(r.shape, "T=1 2880→32")
            XCTAssertEqual(r.cost.bytes, Double(32 * 2880 / 32 * 17))
            XCTAssertEqual(r.bound, .memory)
            XCTAssertEqual(r.reps, 1)
        }
        // every T = 1 linear cell also carries the paired per-rep ratio, T > 1 cells and reference rows do not
        for r in run.results {
            if r.backend == "blas" && r.m == 1 {
                let ratio = try XCTUnwrap(r.readRatio, "\(r.shape) \(r.threads)t")
                XCTAssertTrue(ratio.isFinite && ratio > 0)
            } else {
                XCTAssertNil(r.readRatio, "\(r.backend) \(r.shape)")
            }
        }
        let md = MarkdownReporter.render(run)
        let blasT1 = md.split(separator: "\n").filter { $0.hasPrefix("| linear.router | mxfp4 | T=1 2880→32 | blas |") }
        XCTAssertEqual(blasT1.count, 2)
        for row in blasT1 { XCTAssertTrue(row.hasSuffix("% |"), "vs read filled: \(row)") }
        let blasT2 = md.split(separator: "\n").filter { $0.hasPrefix("| linear.router | mxfp4 | T=2 2880→32 | blas |") }
        XCTAssertEqual(blasT2.count, 2)
        for row in blasT2 { XCTAssertTrue(row.hasSuffix("|  |  |"), "no vs cblas, no vs read: \(row)") }

        c.includeDirect = false
        let bare = try BenchRunner(configuration: c, quiet: true).run(command: ["test"])
        XCTAssertEqual(bare.results.count, c.cellCount)
        XCTAssertFalse(bare.results.contains { $0.isReference }, "--no-direct: no reference rows")
        XCTAssertFalse(bare.results.contains { $0.readRatio != nil }, "--no-direct: no paired reads")
    }

    func testPairedRatioIsTheMedianOfPerRepRatios() {
        XCTAssertEqual(BenchRunner.pairedRatio([1, 2, 9], [2, 2, 10]), 0.9)  // 0.5, 1.0, 0.9
        XCTAssertEqual(BenchRunner.pairedRatio([3, 3], [4, 4, 4]), 0.75, "extra samples without a pair are ignored")
        XCTAssertNil(BenchRunner.pairedRatio([], [1]))
    }

    /// A run's own reads from DRAM raise the DRAM ceiling of their thread count when they beat the probe (a paired
    /// read of 60 GB/s at 2 threads over the probe's 35, then a read row), and the source is named; a read row whose
    /// working set stays in L3 never does.
    func testDRAMCeilingRisesToTheRunsOwnDRAMReads() {
        var run = Fixtures.run()
        let e2e = run.results.firstIndex { $0.suite == .e2e && $0.threads == 2 }!
        run.results[e2e].pairedReadGBps = 60
        var cached = run.results[e2e]
        cached.backend = "read"
        cached.gbps = 200
        cached.cost = OpCost(flops: 0, bytes: 29e6)
        cached.memoryTier = .l3
        run.results.append(cached)
        let roofline = Roofline(
            ceilings: Fixtures.ceilings.map { c in
                var c = c
                c.bandwidths = ["dram": c.dramGBps]
                c.readKernels = ["dram": "256-bit"]
                return c
            }, dramProbeBytes: 1 << 30, fmaIterations: 1)
        let raised = RooflineProbe.raisingDRAM(roofline, toReadsIn: run.results)
        XCTAssertEqual(raised.ceilings[0], roofline.ceilings[0], "1 thread: no read above its probe")
        XCTAssertEqual(raised.ceilings[1].dramGBps, 60)
        XCTAssertEqual(raised.ceilings[1].bandwidths?["dram"], 60)
        XCTAssertEqual(raised.ceilings[1].readKernels?["dram"], "a paired read of the run")
        var fromDRAM = cached
        fromDRAM.gbps = 90
        fromDRAM.cost = OpCost(flops: 0, bytes: 4.4e6)
        fromDRAM.memoryTier = .dram
        run.results.append(fromDRAM)
        let byRow = RooflineProbe.raisingDRAM(roofline, toReadsIn: run.results)
        XCTAssertEqual(byRow.ceilings[1].dramGBps, 90)
        XCTAssertEqual(byRow.ceilings[1].readKernels?["dram"], "a read row of the run")
    }
}
