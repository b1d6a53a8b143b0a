import BLASBackend
import OSSCore
import XCTest

/// The BLAS backend's threading set-up: a real libomp team (the pragmas are silently ignored without `-fopenmp`),
/// OpenBLAS held at one thread (one thread pool only), and the runtime facts reports print.
final class OpenMPThreadTests: XCTestCase {
    func testParallelRegionRunsOnDistinctThreads() {
        XCTAssertEqual(BLASRuntimeInfo.distinctOpenMPThreads(2), 2, "an OpenMP region of 2 threads ran on fewer")
        XCTAssertEqual(BLASRuntimeInfo.distinctOpenMPThreads(1), 1)
    }

    func testKernelsWereCompiledWithOpenMPAndLinkLLVMLibomp() {
        let info = BLASRuntimeInfo.current()
        XCTAssertNotEqual(info.openMPSpec, "none", "CKernels compiled without -fopenmp")
        XCTAssertTrue(info.openMPLibrary.contains("libomp"), "OpenMP symbols come from \(info.openMPLibrary)")
        XCTAssertGreaterThanOrEqual(info.openMPMaxThreads, 1)
    }

    func testOpenBLASIsHeldAtOneThreadAfterBackendInit() {
        let backend = BLASBackend(threads: 2)
        XCTAssertEqual(backend.threads, 2)
        XCTAssertEqual(BLASRuntimeInfo.current().openBLASThreads, 1)
    }

    func testDirectSGEMMPutsOpenBLASBackToOneThread() {
        _ = BLASBackend(threads: 2)
        // c[2, 3] = a[2, 4] · b[3, 4]ᵀ with small integers: exact in float.
        let a: [Float] = [1, 2, 3, 4, -1, 0, 2, 1]
        let b: [Float] = [1, 0, 0, 0, 0, 1, 0, 0, 1, 1, 1, 1]
        var c = [Float](repeating: .nan, count: 6)
        a.withUnsafeBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in
                c.withUnsafeMutableBufferPointer { cp in
                    BLASBackend.directSGEMM(
                        m: 2, n: 3, k: 4, a: ap.baseAddress!, bTransposed: bp.baseAddress!,
                        c: cp.baseAddress!, threads: 2)
                }
            }
        }
        XCTAssertEqual(c, [1, 2, 10, -1, 0, 2])
        XCTAssertEqual(BLASRuntimeInfo.current().openBLASThreads, 1)
    }

    func testOpenBLASReportsItsCoreAndConfig() {
        let info = BLASRuntimeInfo.current()
        XCTAssertFalse(info.openBLASCoreName.isEmpty)
        XCTAssertTrue(info.openBLASConfig.contains("OpenBLAS"), info.openBLASConfig)
        XCTAssertNotEqual(
            info.openBLASThreading, "openmp", "the OpenMP flavour of OpenBLAS only works by link-order luck")
    }

    /// Quieting the idle workers (for the Swift pool or a peer running next) leaves the team whole: the next region
    /// runs on as many threads, a BLAS-backend op gives the same bits, and the blocktime is back as it was.
    func testQuietingIdleWorkersKeepsTheTeamAndItsBlocktime() throws {
        let backend = BLASBackend(threads: 2)
        let spin = BLASBackend.idleSpinMilliseconds
        let x = Tensor((0..<64).map { Float($0 % 7) - 3 }, shape: [1, 64])
        let w = try WeightTensor.encode((0..<(48 * 64)).map { Float($0 % 11) - 5 }, shape: [48, 64], dtype: .bf16)
        let before = Tensor(zeros: [1, 48])
        let after = Tensor(zeros: [1, 48])
        try backend.linear(x, weight: w, bias: nil, out: before)
        for threads in [0, 1, 2, 3] { BLASBackend.quietIdleWorkers(threads: threads) }
        XCTAssertEqual(BLASBackend.idleSpinMilliseconds, spin)
        XCTAssertEqual(BLASRuntimeInfo.distinctOpenMPThreads(2), 2)
        try backend.linear(x, weight: w, bias: nil, out: after)
        XCTAssertEqual(after.toArray(), before.toArray())
        XCTAssertTrue(before.toArray().contains { $0 != 0 })
    }

    func testForceScalarSwitchTurnsOffTheAVX2Path() {
        let before = BLASBackend.forceScalarKernels
        defer { BLASBackend.forceScalarKernels = before }
        BLASBackend.forceScalarKernels = true
        XCTAssertFalse(BLASBackend.usingAVX2Kernels)
        BLASBackend.forceScalarKernels = false
        XCTAssertEqual(BLASBackend.usingAVX2Kernels, BLASRuntimeInfo.current().cpuHasAVX2FMA)
    }
}
