import BLASBackend
import CKernels
import OSSCore
import SwiftBackend
import XCTest

@testable import OSSBench

/// Ceilings per instruction class and memory tier: the probes, the kernel classes backends report, and how a cell is
/// scored against its own ceiling.
final class CeilingClassTests: XCTestCase {
    /// A ceiling with every class and tier: FMA256 100, FMA512 200, VNNI512 800 GOP/s; reads 20 / 200 / 400 GB/s.
    static let ceiling = Ceiling(
        threads: 1, fmaGFLOPS: 200, dramGBps: 20,
        peaks: ["fp32-fma256": 100, "fp32-fma512": 200, "int8-vnni512": 800],
        bandwidths: ["dram": 20, "l3": 200, "l2": 400], readKernels: ["dram": "512-bit"])

    func testComputeCeilingFollowsTheKernelClassAndProducts() {
        let c = Self.ceiling
        XCTAssertEqual(c.computeCeiling(KernelClass(.fma256)), 100)
        XCTAssertEqual(c.computeCeiling(KernelClass(.int8VNNI512, productsPerMAC: 2)), 400)
        XCTAssertEqual(
            c.computeCeiling(KernelClass(.bf16Dot512)), 200, "an unmeasured class falls back to the widest FMA")
        XCTAssertEqual(c.computeCeiling(nil as KernelClass?), 200)
        // Half the FLOPs at 100, half at 400: total time 1/200 + 1/800 per 2 units → 2 / (5/800) = 320.
        let mix = [
            KernelShare(KernelClass(.fma256), flops: 1),
            KernelShare(KernelClass(.int8VNNI512, productsPerMAC: 2), flops: 1),
        ]
        XCTAssertEqual(c.computeCeiling(mix), 160, accuracy: 1e-9)
    }

    func testOlderRecordsKeepTheirTwoCeilings() throws {
        let old = Ceiling(threads: 2, fmaGFLOPS: 150, dramGBps: 30)
        XCTAssertEqual(old.peak(.fma512), 150)
        XCTAssertNil(old.peak(.int8VNNI512))
        XCTAssertEqual(old.bandwidth(.dram), 30)
        XCTAssertNil(old.bandwidth(.l3))
        let json = #"{"threads":2,"fmaGFLOPS":150,"dramGBps":30}"#
        XCTAssertEqual(try JSONDecoder().decode(Ceiling.self, from: Data(json.utf8)), old)
    }

    func testMemoryTierOfAWorkingSet() {
        let l2 = 1 << 20
        let l3 = 32 << 20
        XCTAssertEqual(MemoryTier.of(workingSet: 1.5e6, threads: 2, l2Bytes: l2, l3Bytes: l3), .l2)
        XCTAssertEqual(MemoryTier.of(workingSet: 1.5e6, threads: 1, l2Bytes: l2, l3Bytes: l3), .l3)
        XCTAssertEqual(MemoryTier.of(workingSet: 4e7, threads: 2, l2Bytes: l2, l3Bytes: l3), .dram)
        XCTAssertEqual(MemoryTier.of(workingSet: 10, threads: 1, l2Bytes: 0, l3Bytes: 0), .dram)
    }

    func testCellIsScoredAgainstItsOwnClassAndTier() {
        let c = Self.ceiling
        // 1 GFLOP over 1 MB in 10 ms: 100 GFLOP/s, 0.1 GB/s, intensity 1000 → compute-bound on any class here.
        let cost = OpCost(flops: 1e9, bytes: 1e6)
        func cell(_ k: KernelClass, tier: MemoryTier) -> BenchResult {
            BenchResult(
                suite: .ops, test: "x", op: "linear", backend: "blas", threads: 1, dtype: "mxfp4", shape: "s",
                m: 512, n: 1, k: 1, reps: 1, warmup: 0, samplesNs: [1e7], cost: cost, ceiling: c,
                workingSetBytes: 1e6, kernels: [KernelShare(k, flops: cost.flops)], memoryTier: tier)
        }
        let fma = cell(KernelClass(.fma256), tier: .dram)
        XCTAssertEqual(fma.bound, .compute)
        XCTAssertEqual(fma.rooflineFraction, 1.0, accuracy: 1e-12)
        XCTAssertEqual(fma.ceilingName, "fp32-fma256")
        let vnni = cell(KernelClass(.int8VNNI512, productsPerMAC: 2), tier: .dram)
        XCTAssertEqual(vnni.rooflineFraction, 0.25, accuracy: 1e-12)
        XCTAssertEqual(vnni.ceilingName, "int8-vnni512÷2")
        // A memory-bound cell in L3: 1 GB/s over 10 ms = 10 MB … at 1 FLOP/byte it is memory-bound under 200 GB/s.
        let read = BenchResult(
            suite: .ops, test: "y", op: "rmsNorm", backend: "blas", threads: 1, dtype: "-", shape: "s",
            m: 1, n: 1, k: 1, reps: 1, warmup: 0, samplesNs: [1e7], cost: OpCost(flops: 1e7, bytes: 1e9),
            ceiling: c, workingSetBytes: 1e7, kernels: [KernelShare(KernelClass(.fma256), flops: 1e7)],
            memoryTier: .l3)
        XCTAssertEqual(read.bound, .memory)
        XCTAssertEqual(read.ceiling, 200)
        XCTAssertEqual(read.rooflineFraction, 0.5, accuracy: 1e-12)
        XCTAssertEqual(read.ceilingName, "l3 read")
        XCTAssertEqual(read.rescored(under: c), read)
        // The same bytes, half of them written back (an in-place update): in L3 the larger direction, 0.5 GB in
        // 10 ms against 200 GB/s; from DRAM (reads and writes share the bus) all of them against 20 GB/s.
        func inPlace(_ tier: MemoryTier) -> BenchResult {
            BenchResult(
                suite: .ops, test: "z", op: "rope", backend: "blas", threads: 1, dtype: "-", shape: "s", m: 1,
                n: 1, k: 1, reps: 1, warmup: 0, samplesNs: [1e7],
                cost: OpCost(flops: 1e7, bytes: 1e9, writtenBytes: 5e8), ceiling: c, workingSetBytes: 5e8,
                kernels: [KernelShare(KernelClass(.fma256), flops: 1e7)], memoryTier: tier)
        }
        XCTAssertEqual(inPlace(.l3).rooflineFraction, 0.25, accuracy: 1e-12)
        XCTAssertEqual(inPlace(.l3).gbps, 100, accuracy: 1e-9)
        XCTAssertEqual(inPlace(.dram).rooflineFraction, Double(100) / c.dramGBps, accuracy: 1e-12)
    }

    func testFiguresAboveTheirCeilingAreFlaggedInTheSummary() {
        var run = Fixtures.run()
        // A 1 GB read in 10 ms is 100 GB/s against a 20 GB/s ceiling: 500%.
        run.results.append(
            BenchResult(
                suite: .ops, test: "linear.too-fast", op: "linear", backend: "blas", threads: 1,
                dtype: "bf16", shape: "T=1 s", m: 1, n: 1, k: 1, reps: 1, warmup: 0,
                samplesNs: [1e7], cost: OpCost(flops: 1e9, bytes: 1e9), ceiling: Fixtures.ceilings[0],
                workingSetBytes: 1e9))
        // A prefault of pages already in the page cache is as fast as it is: shown, never warned about.
        run.results.append(
            BenchResult(
                suite: .e2e, test: "prefault", op: "prefault", backend: "blas", threads: 1,
                dtype: "bf16", shape: "m", m: 0, n: 0, k: 0, reps: 1, warmup: 0,
                samplesNs: [1e7], cost: OpCost(flops: 0, bytes: 1e9), ceiling: Fixtures.ceilings[0],
                workingSetBytes: 1e9))
        let warnings = MarkdownReporter.overCeiling(run.results)
        XCTAssertEqual(warnings.count, 1)
        XCTAssertTrue(warnings[0].contains("linear.too-fast"))
        let md = MarkdownReporter.render(run)
        XCTAssertTrue(md.contains("## Warnings: figures above 105% of their ceiling"))
        XCTAssertTrue(md.contains("linear.too-fast bf16 T=1 s blas 1t: 500%"))
        XCTAssertFalse(MarkdownReporter.render(Fixtures.run()).contains("## Warnings"))
    }

    func testSummaryNamesEveryProbeWidth() {
        var run = Fixtures.run()
        run.header.roofline = Roofline(ceilings: [Self.ceiling], dramProbeBytes: 1 << 30, fmaIterations: 10)
        run.header.machine.flags = ["avx2", "fma", "avx512f"]
        let md = MarkdownReporter.render(run)
        XCTAssertTrue(md.contains("fp32-fma512 (vfmadd231ps zmm, 512-bit) GOP/s"))
        XCTAssertTrue(md.contains("int8-vnni512 (vpdpbusd zmm, 512-bit) GOP/s"))
        XCTAssertTrue(md.contains("| 20.00 (512-bit) |") || md.contains("(512-bit)"))
        XCTAssertTrue(md.contains("Widest probe: 512-bit; the CPU has AVX-512."))
        run.header.roofline = Roofline(
            ceilings: [
                Ceiling(
                    threads: 1, fmaGFLOPS: 100, dramGBps: 20,
                    peaks: ["fp32-fma256": 100], bandwidths: ["dram": 20])
            ],
            dramProbeBytes: 1 << 30, fmaIterations: 10)
        XCTAssertTrue(MarkdownReporter.render(run).contains("the probes are narrower than the CPU"))
    }

    func testEveryAvailableClassHasAPositivePeakAndOthersRefuse() throws {
        for c in InstructionClass.allCases {
            let gops = ck_probe_peak_gops(Int32(c.index), 1, 2000, 1)
            if ck_iclass_available(Int32(c.index)) != 0 {
                XCTAssertGreaterThan(gops, 0, "\(c)")
                XCTAssertEqual(Int(ck_iclass_bits(Int32(c.index))), c.bits, "\(c)")
            } else {
                XCTAssertLessThan(gops, 0, "\(c) is unavailable here and must say so")
            }
        }
        XCTAssertLessThan(ck_probe_peak_gops(99, 1, 10, 1), 0)
        XCTAssertLessThan(ck_probe_peak_gops(0, 0, 10, 1), 0)
    }

    /// The read sweep in bursts: a positive median figure for 1 and 2 threads over 16 reads of 1 MiB; a burst with
    /// inner passes, or larger than the array, is refused.
    func testReadSweepInBurstsGivesAMedianAndRefusesBadArguments() {
        var threads: [Int32] = [1, 2]
        var gbps = [Double](repeating: -1, count: 2)
        var variant: [Int32] = [-1, -1]
        XCTAssertEqual(ck_probe_read_sweep(&threads, 2, 16 << 20, 1, 1, 1, 1 << 20, &gbps, &variant), 0)
        XCTAssertTrue(gbps.allSatisfy { $0 > 0 && $0.isFinite }, "\(gbps)")
        XCTAssertEqual(ck_probe_read_sweep(&threads, 2, 16 << 20, 2, 1, 1, 1 << 20, &gbps, nil), -1)
        XCTAssertEqual(ck_probe_read_sweep(&threads, 2, 1 << 20, 1, 1, 1, 2 << 20, &gbps, nil), -1)
    }

    func testReadProbeCoversEveryTierAndNamesItsKernel() throws {
        let r = try RooflineProbe(l2Bytes: 256 << 10, l3Bytes: 8 << 20)
            .measure(threads: [1, 2], dramBytes: 4 << 20, fmaIterations: 2000)
        for c in r.ceilings {
            for tier in MemoryTier.allCases {
                XCTAssertGreaterThan(c.bandwidth(tier) ?? 0, 0, "\(tier) at \(c.threads) threads")
                XCTAssertNotNil(c.readKernels?[tier.rawValue])
            }
            XCTAssertEqual(c.fmaGFLOPS, c.peak(ck_has_avx512() != 0 ? .fma512 : .fma256))
        }
        XCTAssertEqual(r.cacheProbeBytes, ["l2": 128 << 10, "l3": 4 << 20])
    }

    func testReadProbeChecksumDoesNotDependOnWidthOrThreads() throws {
        let bytes = (0..<100_003).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 7) }
        var sums: Set<UInt64> = []
        try bytes.withUnsafeBytes { raw in
            for threads in [1, 2, 3] {
                var ptr: UnsafeRawPointer? = raw.baseAddress
                var size = raw.count
                var sum: UInt64 = 0
                XCTAssertEqual(ck_probe_read_bytes(&ptr, &size, 1, Int32(threads), &sum), 0)
                sums.insert(sum)
            }
            // The same fold byte by byte.
            var x: UInt64 = 0
            for (j, b) in raw.enumerated() { x ^= UInt64(b) << (8 * UInt64(j & 7)) }
            sums.insert(x)
            _ = try XCTUnwrap(raw.baseAddress)
        }
        XCTAssertEqual(sums.count, 1)
    }

    func testBackendsReportTheClassTheirKernelsRun() {
        let blas = BLASBackend(threads: 1)
        let swift = SwiftBackend(threads: 1)
        XCTAssertEqual(swift.kernelClass(for: OpDescriptor(.linear, dtype: .mxfp4), rows: 1), KernelClass(.fma256))
        let mx = blas.kernelClass(for: OpDescriptor(.linear, dtype: .mxfp4), rows: 1)
        if BLASBackend.usingVNNIKernels {
            XCTAssertEqual(mx, KernelClass(.int8VNNI512, productsPerMAC: 2))
            BLASBackend.disableVNNI = true
            defer { BLASBackend.disableVNNI = false }
            XCTAssertEqual(
                blas.kernelClass(for: OpDescriptor(.linear, dtype: .mxfp4), rows: 1),
                KernelClass(.int8Maddubs256, productsPerMAC: 2))
            // Q8_0 on the AVX2 8-bit GEMV: one vpmaddubsw + vpmaddwd pair per 32 products, as the probe counts them
            XCTAssertEqual(
                blas.kernelClass(for: OpDescriptor(.linear, dtype: .q8_0), rows: 1), KernelClass(.int8Maddubs256))
        } else {
            XCTAssertEqual(mx, KernelClass(.int8Maddubs256, productsPerMAC: 2))
        }
        // Large T on a float weight goes to OpenBLAS (its core type's class), or to our 512-bit GEMM where OpenBLAS is
        // held to a core type without AVX-512 kernels (OPENBLAS_CORETYPE=Haswell on an AVX-512 CPU).
        let f32 = blas.gemmPath(for: .f32) == .own ? KernelClass(.fma512) : BLASBackend.openBLASKernelClass
        XCTAssertEqual(blas.kernelClass(for: OpDescriptor(.linear, dtype: .f32), rows: 512), f32)
        // BF16 at large T: our GEMM on AVX-512 CPUs (vdpbf16ps where the CPU has AVX512-BF16), OpenBLAS elsewhere.
        let bf16 =
            BLASBackend.usingBF16DotKernels
            ? KernelClass(.bf16Dot512)
            : BLASBackend.usingAVX512Kernels ? KernelClass(.fma512) : BLASBackend.openBLASKernelClass
        XCTAssertEqual(blas.kernelClass(for: OpDescriptor(.linear, dtype: .bf16), rows: 512), bf16)
    }
}
