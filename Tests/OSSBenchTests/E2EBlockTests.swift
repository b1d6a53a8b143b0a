import BLASBackend
import Foundation
import OSSCore
import OSSModel
import XCTest

@testable import OSSBench

/// The e2e block's parts: peer rows from llama-bench's JSON lines, the per-op profiler, depth and startup rows.
final class E2EBlockTests: XCTestCase {
    /// Two lines as llama-bench b8967 prints them with `-o jsonl` (trimmed to the fields it always has).
    static let jsonl = """
        {"build_commit": "unknown", "model_type": "gpt-oss ?B MXFP4 MoE", "n_threads": 1, "n_prompt": 16, "n_gen": 0, "n_depth": 0, "avg_ns": 7890819, "avg_ts": 9380.04, "samples_ns": [ 904742, 14876896 ],"samples_ts": [ 17684.6, 1075.49 ]}
        {"build_commit": "unknown", "model_type": "gpt-oss ?B MXFP4 MoE", "n_threads": 2, "n_prompt": 0, "n_gen": 8, "n_depth": 64, "avg_ns": 1096262, "avg_ts": 7308.23, "samples_ns": [ 1138219, 1054305 ],"samples_ts": [ 7028.52, 7587.94 ]}
        """

    static let footprint = ModelFootprint(
        decodeBytesPerToken: 1e6, layerFLOPsPerToken: 2e6, unembedFLOPs: 1e5, totalWeightBytes: 4e6,
        dtypes: "bf16+mxfp4",
        attentionLayers: [.init(heads: 2, headDim: 16, window: 0)], denseFLOPsPerToken: [.bf16: 2e6],
        unembedDType: .bf16)

    func testPeerRowsReadLikeOurs() throws {
        let ceiling = Ceiling(threads: 1, fmaGFLOPS: 100, dramGBps: 20)
        let rows = try PeerBenchmark.rows(
            jsonl: Self.jsonl, label: "tiny", cost: Self.footprint, tier: .dram,
            ceiling: { _ in ceiling }, round: 2)
        XCTAssertEqual(rows.map(\.test), ["pp16", "tg8@d64"])
        XCTAssertEqual(rows.map(\.backend), ["llama.cpp", "llama.cpp"])
        XCTAssertEqual(rows.map(\.threads), [1, 2])
        XCTAssertEqual(rows[0].samplesNs, [904742, 14_876_896], "pp: one sample per prompt")
        XCTAssertEqual(rows[1].samplesNs, [1_138_219 / 8.0, 1_054_305 / 8.0], "tg: ns per generated token")
        XCTAssertEqual(rows[1].depth, 64)
        XCTAssertEqual(rows[1].round, 2)
        XCTAssertEqual(rows[0].cost, Self.footprint.prefillCost(tokens: 16, depth: 0))
        // llama-bench's avg_ts is the mean over reps of n / rep time; ours for the pair: the same statistic.
        let mean = try XCTUnwrap(MarkdownReporter.meanTokensPerSecond(rows[1]))
        XCTAssertEqual(mean, 8 / ((1138219.0 + 1054305.0) / 2 / 1e9), accuracy: 1e-6)
        XCTAssertThrowsError(
            try PeerBenchmark.rows(
                jsonl: "not json at all\n", label: "x", cost: Self.footprint,
                tier: .dram, ceiling: { _ in ceiling }, round: 1))
        XCTAssertThrowsError(
            try PeerBenchmark.rows(
                jsonl: "{\"n_prompt\": 1}\n", label: "x", cost: Self.footprint,
                tier: .dram, ceiling: { _ in ceiling }, round: 1))
    }

    /// The peer's prefill rows are scored against the classes its CPU backend was built for where they are known
    /// (an AVX2 build of llama.cpp on an AVX-512 CPU: the 256-bit FMA for float matrices and attention, `vpmaddubsw`
    /// for quantised ones; AVX-VNNI and AVX512-VNNI builds their `vpdpbusd`), else the CPU's widest FMA; its decode
    /// rows against the read either way. A binary without a ggml CPU library beside it gives no build.
    func testPeerPrefillIsScoredAgainstItsBuildsClasses() throws {
        let ceiling = Ceiling(
            threads: 1, fmaGFLOPS: 100, dramGBps: 20,
            peaks: [InstructionClass.fma256.rawValue: 50, InstructionClass.fma512.rawValue: 100])
        let avx2 = try XCTUnwrap(PeerBuild.of(avx2: true, avx512: false, avx512VNNI: false, avxVNNI: false))
        XCTAssertEqual(avx2, PeerBuild(fma: KernelClass(.fma256), int8: KernelClass(.int8Maddubs256)))
        XCTAssertEqual(
            PeerBuild.of(avx2: true, avx512: false, avx512VNNI: false, avxVNNI: true)?.int8, KernelClass(.int8VNNI256))
        XCTAssertEqual(
            PeerBuild.of(avx2: true, avx512: true, avx512VNNI: true, avxVNNI: true),
            PeerBuild(fma: KernelClass(.fma512), int8: KernelClass(.int8VNNI512)))
        XCTAssertNil(PeerBuild.of(avx2: false, avx512: false, avx512VNNI: false, avxVNNI: false))
        let built = try PeerBenchmark.rows(
            jsonl: Self.jsonl, label: "tiny", cost: Self.footprint, tier: .dram,
            ceiling: { _ in ceiling }, round: 1, build: avx2)
        let unknown = try PeerBenchmark.rows(
            jsonl: Self.jsonl, label: "tiny", cost: Self.footprint, tier: .dram,
            ceiling: { _ in ceiling }, round: 1)
        XCTAssertEqual(built[0].ceilingName, "fp32-fma256", "a bf16 model runs float FMAs only")
        XCTAssertEqual(built[0].ceiling, 50)
        XCTAssertEqual(built[0].rooflineFraction, 2 * unknown[0].rooflineFraction, accuracy: 1e-12)
        XCTAssertEqual(unknown[0].ceilingName, "fp32-fma (widest)")
        XCTAssertEqual(built[1].ceilingName, "dram read")
        XCTAssertEqual(built[1].rooflineFraction, unknown[1].rooflineFraction)
        // a quantised model: its matrices' FLOPs on the integer class, attention on the FMA
        var q4 = Self.footprint
        q4.denseFLOPsPerToken = [.q4_0: q4.denseFLOPsPerToken.values.reduce(0, +)]
        q4.unembedDType = .q6_K
        let shares = avx2.prefillShares(q4, tokens: 16, flops: q4.prefillCost(tokens: 16, depth: 0).flops)
        XCTAssertEqual(shares.map(\.kernel), [KernelClass(.fma256), KernelClass(.int8Maddubs256)])
        XCTAssertEqual(
            shares[1].flops, 16 * q4.denseFLOPsPerToken[.q4_0]! + q4.unembedFLOPs, accuracy: 1e-6)
        XCTAssertNil(PeerBuild.read(executable: URL(fileURLWithPath: "/bin/true")))
    }

    func testPeerArgumentsCoverEveryTestAndAPeerSpecIsChecked() throws {
        let peer = PeerBenchmark(executable: URL(fileURLWithPath: "/bin/true"), model: URL(fileURLWithPath: "/m.gguf"))
        XCTAssertEqual(
            peer.arguments(prompts: [512], gens: [128, 32], depths: [0, 4096], threads: [1, 2], reps: 3),
            ["-m", "/m.gguf", "-p", "512", "-n", "128,32", "-d", "0,4096", "-t", "1,2", "-r", "3", "-o", "jsonl"])
        XCTAssertThrowsError(try PeerBenchmark.parse("llama-bench", model: nil))
        XCTAssertThrowsError(try PeerBenchmark.parse("llama-bench=/nonexistent/llama-bench", model: nil))
        XCTAssertThrowsError(try PeerBenchmark.parse("llama-bench=/bin/true", model: nil), "needs a GGUF file")
        XCTAssertNoThrow(try PeerBenchmark.parse("llama-bench=/bin/true", model: URL(fileURLWithPath: "/m.gguf")))
    }

    func testVsPeerColumnPairsSameTestThreadsAndRound() throws {
        var run = Fixtures.run()
        let ceiling = Fixtures.ceilings[0]
        var ours = BenchResult(
            suite: .e2e, test: "tg8@d64", op: "decode", backend: "blas", threads: 2, dtype: "bf16",
            shape: "tiny g=8 d=64", m: 8, n: 0, k: 0, reps: 1, warmup: 0, samplesNs: [50_000, 50_000],
            cost: OpCost(flops: 1, bytes: 1), ceiling: ceiling, workingSetBytes: 1, tokensPerRep: 1,
            bound: .memory)
        ours.round = 2
        run.results.append(ours)
        run.results += try PeerBenchmark.rows(
            jsonl: Self.jsonl, label: "tiny", cost: Self.footprint, tier: .dram,
            ceiling: { _ in ceiling }, round: 2)
        let line = try XCTUnwrap(
            MarkdownReporter.render(run).split(separator: "\n").first {
                $0.hasPrefix("| tg8@d64 |") && $0.contains("| blas |")
            })
        // ours 20 000 tok/s ÷ the peer's 8 / 1.096 ms = 7 298 tok/s → 2.74×
        XCTAssertTrue(line.hasSuffix("| 2.741× |"), String(line))

        // With a paired read on both sides: our share of our read ÷ the peer's share of its own.
        let peerIndex = try XCTUnwrap(
            run.results.firstIndex {
                $0.backend == PeerBenchmark.llamaCppName && $0.test == "tg8@d64" && $0.threads == 2
            })
        run.results[peerIndex].readRatio = 0.6
        let oursIndex = try XCTUnwrap(run.results.firstIndex { $0.backend == "blas" && $0.test == "tg8@d64" })
        run.results[oursIndex].readRatio = 0.9
        let paired = try XCTUnwrap(
            MarkdownReporter.render(run).split(separator: "\n").first {
                $0.hasPrefix("| tg8@d64 |") && $0.contains("| blas |")
            })
        XCTAssertTrue(paired.hasSuffix("| 2.741× (at equal read 1.500×) |"), String(paired))
    }

    /// The runner calls the peer once per thread count for decode (`-p 0 -t T`), the most threads first, right after
    /// our cells, then once for prefill (`-n 0`), so the paired reads around a decode run stand seconds from it and
    /// that run stands as near to our decode as the order allows; every peer decode row carries its read, the rows
    /// are recorded prefill first as ours are, and they pair with ours in summary.md. The peer is a shell script that logs its arguments and answers as
    /// llama-bench does.
    func testPeerDecodeRunsPerThreadCountBetweenPairedReads() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("e2e-peer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let calls = dir.appendingPathComponent("calls.txt")
        let script = dir.appendingPathComponent("llama-bench")
        let line = #"{"n_threads": %s, "n_prompt": %s, "n_gen": %s, "n_depth": 0, "samples_ns": [%s]}"#
        try """
        #!/bin/sh
        echo "$@" >> '\(calls.path)'
        while [ $# -gt 0 ]; do case "$1" in -t) t="$2";; -n) n="$2";; -p) p="$2";; esac; shift; done
        if [ "$n" = "0" ]; then
          for x in $(echo "$t" | tr , ' '); do printf '\(line)\n' "$x" "$p" 0 4000000; done
        else
          printf '\(line)\n' "$t" 0 "$n" 8000000
        fi

        """.write(to: script, atomically: true, encoding: .utf8)
        XCTAssertEqual(chmod(script.path, 0o755), 0)
        var c = BenchConfiguration(
            backends: [.blas], threads: [1, 2], suites: [.e2e], opSpecs: [], prompts: [4],
            gens: [2], model: "tiny", reps: 1, e2eReps: 1, warmup: 0, dramProbeBytes: 4 << 20)
        c.coldStart = false
        c.peer = PeerBenchmark(executable: script, model: dir.appendingPathComponent("tiny.gguf"))
        let run = try BenchRunner(configuration: c, quiet: true).run(command: ["test"])
        let args = try String(contentsOf: calls, encoding: .utf8).split(separator: "\n").map(String.init)
        XCTAssertEqual(args.count, 3, "\(args)")
        XCTAssertTrue(args[0].contains("-p 0 -n 2") && args[0].contains("-t 2 "), args[0])
        XCTAssertTrue(args[1].contains("-p 0 -n 2") && args[1].contains("-t 1 "), args[1])
        XCTAssertTrue(args[2].contains("-p 4 -n 0") && args[2].contains("-t 1,2"), args[2])
        let peer = run.results.filter { $0.backend == PeerBenchmark.llamaCppName }
        XCTAssertEqual(peer.map(\.test), ["pp4", "pp4", "tg2", "tg2"])
        XCTAssertEqual(peer.map(\.threads), [1, 2, 1, 2])
        for r in peer where r.op == "decode" {
            let read = try XCTUnwrap(r.pairedReadGBps, "\(r.threads)t")
            XCTAssertGreaterThan(read, 0)
            XCTAssertEqual(try XCTUnwrap(r.readRatio), r.gbps / read, accuracy: 1e-12)
        }
        let md = MarkdownReporter.render(run).split(separator: "\n")
        let ours = md.filter { $0.hasPrefix("| tg2 |") && $0.contains("| blas |") }
        XCTAssertEqual(ours.count, 2)
        for row in ours { XCTAssertTrue(row.contains("× (at equal read ") && row.hasSuffix("×) |"), String(row)) }

        // With --requant our dense matrices shrink; the peer still reads the weights as stored, and its rows count
        // those bytes, not ours.
        c.requantize = .q8_0
        c.threads = [1]
        let requantized = try BenchRunner(configuration: c, quiet: true).run(command: ["test"])
        let stored = try XCTUnwrap(peer.first { $0.op == "decode" }).cost.bytes
        let oursRQ = try XCTUnwrap(requantized.results.first { $0.op == "decode" && $0.backend == "blas" })
        let peerRQ = try XCTUnwrap(
            requantized.results.first { $0.op == "decode" && $0.backend == PeerBenchmark.llamaCppName })
        XCTAssertLessThan(oursRQ.cost.bytes, stored, "q8_0 moves fewer bytes than the stored dense matrices")
        XCTAssertEqual(peerRQ.cost.bytes, stored, "the peer's bytes per token are those of the stored weights")
    }

    func testProfilerTimesOnlyWhileRecording() throws {
        let p = ProfilingBackend(BLASBackend(threads: 1))
        let a = Tensor.random([4, 64], seed: 1)
        let b = Tensor.random([4, 64], seed: 2)
        let out = Tensor(zeros: [4, 64])
        try p.add(a, b, out: out)
        XCTAssertTrue(p.shares.isEmpty)
        p.recording = true
        try p.add(a, b, out: out)
        try p.rmsNorm(a, weight: Tensor.random([64], seed: 3), eps: 1e-5, out: out)
        p.recording = false
        let shares = p.shares
        XCTAssertEqual(Set(shares.keys), ["add", "rmsNorm"])
        XCTAssertEqual(shares.values.reduce(0, +), 1, accuracy: 1e-9)
        XCTAssertEqual(out.pointer[0].isFinite, true)
        p.resetProfile()
        XCTAssertTrue(p.shares.isEmpty)
        XCTAssertEqual(
            p.kernelClass(for: OpDescriptor(.add), rows: 4),
            BLASBackend(threads: 1).kernelClass(for: OpDescriptor(.add), rows: 4))
    }

    func testProfilerCountsTheWeightBytesEachKindStreams() throws {
        let p = ProfilingBackend(BLASBackend(threads: 1))
        func w(_ shape: Shape, _ dtype: DType, seed: UInt64) throws -> WeightTensor {
            try WeightTensor.encode(Tensor.random(shape.dims, seed: seed).toArray(), shape: shape, dtype: dtype)
        }
        let dense = try w([48, 64], .bf16, seed: 1)
        let moe = MoEWeights(
            router: try w([8, 64], .bf16, seed: 2), routerBias: nil,
            gateUp: try w([8, 64, 64], .mxfp4, seed: 3), gateUpBias: nil,
            down: try w([8, 64, 32], .mxfp4, seed: 4), downBias: nil, topK: 2)
        let one = Tensor.random([1, 64], seed: 5)
        let two = Tensor.random([2, 64], seed: 6)
        p.recording = true
        try p.linear(one, weight: dense, bias: nil, out: Tensor(zeros: [1, 48]))
        try p.linear(two, weight: dense, bias: nil, out: Tensor(zeros: [2, 48]))
        try p.moe(one, weights: moe, out: Tensor(zeros: [1, 64]))
        p.recording = false
        XCTAssertEqual(p.weightBytes[.linear], Double(2 * dense.storedBytes), "a linear reads its matrix once per call")
        let experts = Double(moe.gateUp.storedBytes + moe.down.storedBytes) / 8
        XCTAssertEqual(p.weightBytes[.moe], Double(moe.router.storedBytes) + 2 * experts, "router and top-2 experts")
        XCTAssertEqual(Set(p.weightGBps.keys), ["linear", "moe", "linear bf16 64→48"], "kinds, and linear by shape")
        XCTAssertEqual(p.linearByShape["bf16 64→48"]?.bytes, Double(2 * dense.storedBytes))
        XCTAssertTrue(p.weightGBps.values.allSatisfy { $0 > 0 && $0.isFinite })
        XCTAssertGreaterThan(p.opNanoseconds, 0)
        p.recording = true
        try p.moe(two, weights: moe, out: Tensor(zeros: [2, 64]))
        p.recording = false
        XCTAssertNil(p.weightGBps["moe"], "two tokens read the union of their experts: no figure")
        p.resetProfile()
        XCTAssertTrue(p.weightBytes.isEmpty && p.weightGBps.isEmpty)
    }

    func testE2EModelIsAPresetADirectoryOrAGGUFFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("e2e-model-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let gguf = dir.appendingPathComponent("tiny-copy.gguf")
        try SyntheticModel.writeGGUF(.tiny, to: gguf)
        let resolved = try E2ESuite.resolveModel(gguf.path, log: { _ in })
        XCTAssertEqual(resolved.label, "tiny-copy")
        XCTAssertEqual(resolved.url.path, gguf.path)
        XCTAssertEqual(try E2ESuite.resolveModel(dir.path, log: { _ in }).label, dir.lastPathComponent)
        XCTAssertThrowsError(try E2ESuite.resolveModel(dir.appendingPathComponent("missing.gguf").path, log: { _ in }))
    }

    func testDepthRowsRewindExactlyAndCarryAttentionShares() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("e2e-depth-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try SyntheticModel.write(.tiny, to: dir)
        let profiler = ProfilingBackend(BLASBackend(threads: 1))
        let loaded = try ModelLoader.load(
            path: dir.path,
            options: ModelLoadOptions(
                backend: profiler, contextLength: 64, prefillChunk: 8, rewindRows: 8, residency: .prefault))
        let ceiling = Ceiling(threads: 1, fmaGFLOPS: 100, dramGBps: 20)
        let pp = try E2ESuite.prefill(
            loaded: loaded, profiler: profiler, prompts: [8], depth: 20, label: "tiny",
            backend: "blas", threads: 1, reps: 2, warmup: 0, ceiling: ceiling, tier: .l2,
            budget: 10)
        let tg = try E2ESuite.decode(
            loaded: loaded, profiler: profiler, gens: [4], depth: 20, label: "tiny",
            backend: "blas", threads: 1, reps: 2, warmup: 0, ceiling: ceiling, tier: .l2,
            budget: 10)
        XCTAssertEqual(pp.map(\.test), ["pp8@d20"])
        XCTAssertEqual(tg.map(\.test), ["tg4@d20"])
        XCTAssertEqual(tg[0].samplesNs.count, 8, "4 tokens × 2 reps")
        XCTAssertEqual(loaded.model.position, 24, "each rep rewinds to the depth: the last one ends at 20 + 4")
        for r in pp + tg {
            XCTAssertEqual(r.depth, 20)
            XCTAssertGreaterThan(r.opShares?["attention"] ?? 0, 0)
            let coverage = try XCTUnwrap(r.opCoverage)
            XCTAssertTrue(coverage > 0 && coverage <= 1, "\(coverage)")
            XCTAssertGreaterThan(r.opWeightGBps?["linear"] ?? 0, 0)
            XCTAssertEqual(r.residentFraction ?? 0, 1, accuracy: 1e-9)
        }
        XCTAssertNil(pp[0].opWeightGBps?["moe"], "a prompt's experts are a union: no moe figure")
        XCTAssertGreaterThan(tg[0].opWeightGBps?["moe"] ?? 0, 0)
        XCTAssertFalse(profiler.recording)
        var run = Fixtures.run()
        run.results = pp + tg
        let md = MarkdownReporter.render(run).split(separator: "\n")
        let profileRow = try XCTUnwrap(md.first { $0.hasPrefix("| tiny g=4 d=20 | tg4@d20 | blas | 1 | 1 |") })
        XCTAssertTrue(md.contains("### Where a decoded token's time goes"))
        XCTAssertEqual(profileRow.split(separator: "|").count, 9, String(profileRow))
        XCTAssertTrue(
            md.contains { $0.hasPrefix("| model | test | thr | round | ") && $0.contains("→") },
            "linear by weight shape")
        // The depth's attention FLOPs: positions 20 … 27 for pp8@d20.
        XCTAssertEqual(pp[0].cost.flops, loaded.footprint.prefillCost(tokens: 8, depth: 20).flops)
        XCTAssertGreaterThan(pp[0].cost.flops, loaded.footprint.prefillCost(tokens: 8, depth: 0).flops)
        XCTAssertNil(tg[0].readRatio, "no paired read asked")
    }

    func testPairedReadGivesDecodeRowsTheirShareOfAReadTakenBeforeEachRep() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("e2e-paired-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try SyntheticModel.write(.tiny, to: dir)
        let loaded = try ModelLoader.load(
            path: dir.path,
            options: ModelLoadOptions(
                backend: BLASBackend(threads: 1), contextLength: 32, prefillChunk: 8, rewindRows: 8,
                residency: .prefault))
        let read = try PairedRead(bytes: 8 << 20)
        XCTAssertGreaterThan(try read.gbps(threads: 1), 0)
        XCTAssertThrowsError(try read.gbps(threads: 0))
        if let share = read.hugePageFraction { XCTAssertTrue((0...1).contains(share), "\(share)") }
        let tg = try E2ESuite.decode(
            loaded: loaded, profiler: nil, gens: [3], depth: 0, label: "tiny",
            backend: "blas", threads: 1, reps: 3, warmup: 1,
            ceiling: Ceiling(threads: 1, fmaGFLOPS: 100, dramGBps: 20), tier: .l2, budget: 10,
            pairedRead: read)
        let r = try XCTUnwrap(tg.first)
        let ratio = try XCTUnwrap(r.readRatio)
        let gbps = try XCTUnwrap(r.pairedReadGBps)
        XCTAssertTrue(ratio.isFinite && ratio > 0, "\(ratio)")
        XCTAssertTrue(gbps.isFinite && gbps > 0, "\(gbps)")
        // the table shows it as "<share> of <read> GB/s"
        XCTAssertEqual(MarkdownReporter.pairedReadCell(r), "\(Figures.percent(ratio)) of \(Figures.number(gbps)) GB/s")
        XCTAssertEqual(
            MarkdownReporter.pairedReadCell(
                try E2ESuite.prefill(
                    loaded: loaded, profiler: nil, prompts: [4], depth: 0, label: "tiny", backend: "blas", threads: 1,
                    reps: 1,
                    warmup: 0, ceiling: Ceiling(threads: 1, fmaGFLOPS: 100, dramGBps: 20), tier: .l2, budget: 10)[0]),
            "")
    }
}
