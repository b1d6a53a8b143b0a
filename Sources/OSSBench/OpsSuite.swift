import BLASBackend
import Foundation
import OSSCore

/// Op families of the ops suite (`--ops`). `linear` expands to the six gpt-oss matrices below; `llama_up` and
/// `llama_down` are Llama-3.2-1B's FFN matrices (rows of 2048 and 8192: whole K-quant super-blocks).
public enum OpFamily: String, CaseIterable, Sendable {
    case qkv, attn_out, router, gate_up, down, unembed, llama_up, llama_down
    case attention, moe, rmsnorm, rope, swiglu, softmax, add, embedding, argmax, topk

    /// The gpt-oss-20b linear shapes: (in, out, natural dtype, has bias).
    var linearShape: (inFeatures: Int, outFeatures: Int, dtype: DType, bias: Bool)? {
        let g = OpsSuite.self
        switch self {
        case .qkv: return (g.hidden, g.heads * g.headDim + 2 * g.kvHeads * g.headDim, .bf16, true)
        case .attn_out: return (g.heads * g.headDim, g.hidden, .bf16, true)
        case .router: return (g.hidden, g.experts, .bf16, true)
        case .gate_up: return (g.hidden, 2 * g.intermediate, .mxfp4, true)
        case .down: return (g.intermediate, g.hidden, .mxfp4, true)
        case .unembed: return (g.hidden, g.vocab, .bf16, false)
        case .llama_up: return (g.llamaHidden, g.llamaIntermediate, .q4_K, false)
        case .llama_down: return (g.llamaIntermediate, g.llamaHidden, .q4_K, false)
        default: return nil
        }
    }

    /// Dtype used when `--dtype` is not given (gpt-oss's own storage dtype), nil for ops without weights.
    var naturalDType: DType? {
        if let s = linearShape { return s.dtype }
        switch self {
        case .moe: return .mxfp4
        case .embedding: return .bf16
        default: return nil
        }
    }

    /// Ops whose cost does not grow with T in the model (run at T = 1 only): the unembedding and the sampling ops see
    /// only the last token, even in prefill.
    var singleToken: Bool { [.unembed, .softmax, .argmax, .topk].contains(self) }
}

/// The ops suite at gpt-oss-20b shapes: which cells exist and how each is prepared.
public enum OpsSuite {
    // gpt-oss-20b dimensions (gpt-oss.md §1).
    static let hidden = 2880, heads = 64, kvHeads = 8, headDim = 64, experts = 32, topK = 4
    static let intermediate = 2880, vocab = 201_088, slidingWindow = 128
    // Llama-3.2-1B's FFN (hidden 2048, intermediate 8192), for the GGUF block types.
    static let llamaHidden = 2048, llamaIntermediate = 8192

    /// Every family name `--ops` accepts (`linear` = qkv, attn_out, router, gate_up, down, unembed).
    public static var familyNames: [String] { ["linear"] + OpFamily.allCases.map(\.rawValue) }

    /// The full matrix of `--ops` × `--dtype` × `--tokens` (× KV lengths × full/sliding for attention).
    /// `dtypes` nil = each op's natural gpt-oss dtype. Cells that cannot exist are left out (T > KV length;
    /// T > 1 for single-token ops).
    public static func specs(ops: [String], dtypes: [DType]?, tokens: [Int], kvLengths: [Int]) throws -> [OpSpec] {
        var families: [OpFamily] = []
        for name in ops {
            if name == "linear" {
                families += [.qkv, .attn_out, .router, .gate_up, .down, .unembed]
            } else if let f = OpFamily(rawValue: name) {
                families.append(f)
            } else {
                throw BenchError.invalidParameter(
                    name: "ops", value: ops.joined(separator: ","),
                    reason: "unknown op '\(name)' (choose from \(familyNames.joined(separator: ", ")))")
            }
        }
        var seen = Set<OpFamily>()
        families = families.filter { seen.insert($0).inserted }
        var out: [OpSpec] = []
        for f in families {
            let ts = f.singleToken ? [1] : tokens
            var ds: [DType?] = f.naturalDType == nil ? [nil] : (dtypes ?? [f.naturalDType!]).map { Optional($0) }
            if f == .attention, let dtypes {
                // attention's dtype is its KV cache's: f32 (the default) or f16; other dtypes leave it at f32
                let caches = dtypes.filter { $0 == .f32 || $0 == .f16 }.map { $0 == .f32 ? nil : $0 }
                ds = caches.isEmpty ? [nil] : caches
            }
            for d in ds {
                for t in ts {
                    if f == .attention {
                        for kv in kvLengths where kv >= t {
                            out.append(OpSpec(f, dtype: d, tokens: t, kvLength: kv))
                            out.append(OpSpec(f, dtype: d, tokens: t, kvLength: kv, window: slidingWindow))
                        }
                    } else {
                        out.append(OpSpec(f, dtype: d, tokens: t))
                    }
                }
            }
        }
        return out
    }

    /// The `make bench` matrix: the cells behind the issue's figures at key shapes, sized to finish in minutes.
    public static func defaultSpecs() -> [OpSpec] {
        var s: [OpSpec] = []
        for d in [DType.f32, .bf16, .f16, .q8_0, .mxfp4] { s.append(OpSpec(.qkv, dtype: d, tokens: 1)) }
        s.append(OpSpec(.qkv, dtype: .f32, tokens: 512))
        s.append(OpSpec(.qkv, dtype: .bf16, tokens: 512))
        s.append(OpSpec(.attn_out, dtype: .bf16, tokens: 1))
        s.append(OpSpec(.router, dtype: .bf16, tokens: 1))
        s.append(OpSpec(.gate_up, dtype: .mxfp4, tokens: 1))
        s.append(OpSpec(.down, dtype: .mxfp4, tokens: 1))
        s.append(OpSpec(.unembed, dtype: .bf16, tokens: 1))
        for t in [1, 512] {
            s.append(OpSpec(.rmsnorm, tokens: t))
            s.append(OpSpec(.rope, tokens: t))
        }
        for kv in [128, 1024, 4096] {
            s.append(OpSpec(.attention, tokens: 1, kvLength: kv))
            s.append(OpSpec(.attention, tokens: 1, kvLength: kv, window: slidingWindow))
        }
        s.append(OpSpec(.attention, tokens: 512, kvLength: 512))
        s.append(OpSpec(.moe, dtype: .mxfp4, tokens: 1))
        s.append(OpSpec(.moe, dtype: .mxfp4, tokens: 512))
        return s
    }

    /// Allocates the buffers of `spec` and counts its cost. Memory-bound weight sets are cycled through enough
    /// copies to exceed `cacheBytes` several times, so T = 1 figures are DRAM figures.
    static func prepare(_ spec: OpSpec, cacheBytes: Int) throws -> OpCase {
        let T = spec.tokens
        let seed = stableSeed(spec.description)
        let target = Double(4 * max(cacheBytes, 32 << 20))
        if let shape = spec.family.linearShape {
            return try prepareLinear(spec, shape: shape, target: target, seed: seed)
        }
        switch spec.family {
        case .attention: return try prepareAttention(spec, seed: seed)
        case .moe: return try prepareMoE(spec, seed: seed)
        case .rmsnorm:
            let n = hidden
            let x = Tensor.random([T, n], seed: seed)
            let w = Tensor.random([n], seed: seed + 1)
            let out = Tensor(zeros: [T, n])
            let cost = OpCost(
                flops: 4 * Double(T * n), bytes: 4 * Double(2 * T * n + n), writtenBytes: 4 * Double(T * n))
            return OpCase(
                spec: spec, op: .rmsNorm, shape: "T=\(T) n=\(n)", m: T, n: n, k: 0, cost: cost,
                workingSet: cost.bytes
            ) { b, _ in try b.rmsNorm(x, weight: w, eps: 1e-5, out: out) }
        case .rope:
            let width = heads * headDim
            let x = Tensor.random([T, width], seed: seed)
            let table = try RopeTable.yarn(
                headDim: headDim, theta: 150_000, factor: 32, originalContext: 4096,
                betaFast: 32, betaSlow: 1, maxPositions: T)
            // Per pair: 4 multiplies + 2 adds; bytes: x read and written (in place), cos/sin rows read.
            let cost = OpCost(
                flops: 6 * Double(T * heads * headDim / 2),
                bytes: 8 * Double(T * width) + 8 * Double(T * headDim / 2),
                writtenBytes: 4 * Double(T * width))
            return OpCase(
                spec: spec, op: .rope, shape: "T=\(T) heads=\(heads)×\(headDim)", m: T, n: width, k: 0,
                cost: cost, workingSet: cost.bytes
            ) { b, _ in
                try b.rope(x, heads: heads, firstPosition: 0, table: table, style: .neox)
            }
        case .swiglu:
            let gu = Tensor.random([T, 2 * intermediate], scale: 4, seed: seed)
            let out = Tensor(zeros: [T, intermediate])
            // Per output: clamp 3, α·g 1, exp 1, 1+e 1, divide 1, ·g 1, u+1 1, product 1 ≈ 10 FLOPs (exp counted as one).
            let cost = OpCost(
                flops: 10 * Double(T * intermediate), bytes: 4 * Double(3 * T * intermediate),
                writtenBytes: 4 * Double(T * intermediate))
            return OpCase(
                spec: spec, op: .swiglu, shape: "T=\(T) I=\(intermediate)", m: T, n: intermediate, k: 0,
                cost: cost, workingSet: cost.bytes
            ) { b, _ in try b.swiglu(gu, limit: 7, alpha: 1.702, out: out) }
        case .add:
            let a = Tensor.random([T, hidden], seed: seed)
            let c = Tensor.random([T, hidden], seed: seed + 1)
            let out = Tensor(zeros: [T, hidden])
            let cost = OpCost(
                flops: Double(T * hidden), bytes: 12 * Double(T * hidden), writtenBytes: 4 * Double(T * hidden))
            return OpCase(
                spec: spec, op: .add, shape: "T=\(T) n=\(hidden)", m: T, n: hidden, k: 0, cost: cost,
                workingSet: cost.bytes
            ) { b, _ in try b.add(a, c, out: out) }
        case .softmax:
            let x = Tensor.random([1, vocab], scale: 8, seed: seed)
            let out = Tensor(zeros: [1, vocab])
            // max, subtract, exp, sum, divide: 5 FLOPs per element (exp counted as one).
            let cost = OpCost(flops: 5 * Double(vocab), bytes: 8 * Double(vocab), writtenBytes: 4 * Double(vocab))
            return OpCase(
                spec: spec, op: .softmax, shape: "n=\(vocab)", m: 1, n: vocab, k: 0, cost: cost,
                workingSet: cost.bytes
            ) { b, _ in try b.softmax(x, out: out) }
        case .argmax:
            let x = Tensor.random([vocab], scale: 8, seed: seed)
            let cost = OpCost(flops: Double(vocab), bytes: 4 * Double(vocab))
            return OpCase(
                spec: spec, op: .argmax, shape: "n=\(vocab)", m: 1, n: vocab, k: 0, cost: cost,
                workingSet: cost.bytes
            ) { b, _ in _ = try b.argmax(x) }
        case .topk:
            let x = Tensor.random([vocab], scale: 8, seed: seed)
            let k = 40
            var ids = [Int32](repeating: 0, count: k)
            var values = [Float](repeating: 0, count: k)
            let cost = OpCost(flops: Double(vocab), bytes: 4 * Double(vocab))
            return OpCase(
                spec: spec, op: .topK, shape: "n=\(vocab) k=\(k)", m: 1, n: vocab, k: k, cost: cost,
                workingSet: cost.bytes
            ) { b, _ in try b.topK(x, k: k, ids: &ids, values: &values) }
        case .embedding:
            let dtype = spec.dtype ?? .bf16
            let table = try BenchWeights.make(dtype: dtype, rows: vocab, cols: hidden, seed: seed)
            var rng = BenchRandom(seed: seed + 3)
            let pools = (0..<16).map { _ in (0..<T).map { _ in Int32(rng.next() % UInt64(vocab)) } }
            let out = Tensor(zeros: [T, hidden])
            let cost = OpCost(
                flops: 0, bytes: Double(T * hidden) * (dtype.bytesPerWeight + 4),
                writtenBytes: 4 * Double(T * hidden))
            return OpCase(
                spec: spec, op: .embedding, shape: "T=\(T) \(vocab)×\(hidden)", m: T, n: hidden, k: vocab,
                cost: cost, workingSet: Double(table.storedBytes)
            ) { b, i in
                try b.embedding(table, tokens: pools[i % pools.count], out: out)
            }
        default:
            throw BenchError.measurement(cell: spec.description, reason: "no preparation for this op")
        }
    }

    private static func prepareLinear(
        _ spec: OpSpec, shape s: (inFeatures: Int, outFeatures: Int, dtype: DType, bias: Bool),
        target: Double, seed: UInt64
    ) throws -> OpCase {
        let T = spec.tokens
        let k = s.inFeatures
        let n = s.outFeatures
        let dtype = spec.dtype ?? s.dtype
        let one = try BenchWeights.make(dtype: dtype, rows: n, cols: k, seed: seed)
        let copies = BenchWeights.copies(bytes: Double(one.storedBytes), target: target)
        var weights = [one]
        for c in 1..<max(copies, 1) {
            weights.append(try BenchWeights.make(dtype: dtype, rows: n, cols: k, seed: seed &+ UInt64(c)))
        }
        let x = Tensor.random([T, k], seed: seed + 101)
        let out = Tensor(zeros: [T, n])
        let bias = s.bias ? Tensor.random([n], scale: 0.1, seed: seed + 102) : nil
        let cost = OpCost.linear(tokens: T, inFeatures: k, outFeatures: n, dtype: dtype, bias: s.bias)
        let working = Double(one.storedBytes * copies) + 4 * Double(T * (k + n))
        var references: [OpReference] = []
        if dtype == .f32 {
            let directCost = OpCost.linear(tokens: T, inFeatures: k, outFeatures: n, dtype: .f32, bias: false)
            references.append(
                OpReference(
                    name: OpReference.cblasName, runtime: "cblas", cost: directCost,
                    workingSet: working, kernel: BLASBackend.openBLASKernelClass
                ) { threads, i in
                    let w = weights[i % weights.count].data.assumingMemoryBound(to: Float.self)
                    if T == 1 {
                        BLASBackend.directSGEMV(m: n, n: k, a: w, x: x.pointer, y: out.pointer, threads: threads)
                    } else {
                        BLASBackend.directSGEMM(
                            m: T, n: n, k: k, a: x.pointer, bTransposed: w, c: out.pointer, threads: threads)
                    }
                })
        }
        if T == 1 { references.append(try OpReference.streamingRead(of: weights, cell: spec.description)) }
        return OpCase(
            spec: spec, op: .linear, shape: "T=\(T) \(k)→\(n)", m: T, n: n, k: k, cost: cost, workingSet: working,
            body: { b, i in try b.linear(x, weight: weights[i % weights.count], bias: bias, out: out) },
            references: references)
    }

    private static func prepareAttention(_ spec: OpSpec, seed: UInt64) throws -> OpCase {
        let T = spec.tokens
        let kv = spec.kvLength
        let w = spec.window
        let qWidth = heads * headDim
        let kvWidth = kvHeads * headDim
        let q = Tensor.random([T, qWidth], seed: seed)
        let out = Tensor(zeros: [T, qWidth])
        let keys = Tensor.random([kv, kvWidth], seed: seed + 1)
        let values = Tensor.random([kv, kvWidth], seed: seed + 2)
        // dtype f16: the same rows in an F16 cache (KVCacheType.f16)
        let half = spec.dtype == .f16
        let halfKeys = half ? HalfTensor(zeros: [kv, kvWidth]) : nil
        let halfValues = half ? HalfTensor(zeros: [kv, kvWidth]) : nil
        halfKeys?.store(keys.pointer, count: keys.count, at: 0)
        halfValues?.store(values.pointer, count: values.count, at: 0)
        let sinks = Tensor.random([heads], seed: seed + 3)
        let first = kv - T
        let params = AttentionParams(
            heads: heads, kvHeads: kvHeads, headDim: headDim,
            scale: 1 / Float(headDim).squareRoot(), window: w, firstPosition: first)
        // Visible keys of query t (position p = first + t): p + 1, or min(p + 1, W) with a window.
        var visible = 0.0
        for t in 0..<T {
            let p = first + t
            visible += Double(w > 0 ? min(p + 1, w) : p + 1)
        }
        // Per head and visible key: QK dot 2d, PV 2d, softmax ≈ 5 (scale, max, exp, sum, normalise).
        let flops = Double(heads) * visible * Double(4 * headDim + 5)
        // Keys/values touched: the union of the visible ranges, each KV row read once per KV head.
        let lowest = w > 0 ? max(0, first - w + 1) : 0
        let touched = Double(kv - lowest)
        let cacheBytes = Double(half ? 2 : 4)
        let bytes = 4 * (2 * Double(T * qWidth) + Double(heads)) + cacheBytes * 2 * touched * Double(kvWidth)
        let label = "T=\(T) kv=\(kv)\(w > 0 ? " w=\(w)" : "")"
        return OpCase(
            spec: spec, op: .attention, shape: label, m: T, n: qWidth, k: kv,
            cost: OpCost(flops: flops, bytes: bytes, writtenBytes: 4 * Double(T * qWidth)),
            workingSet: 4 * Double(2 * T * qWidth) + cacheBytes * Double(2 * kv * kvWidth)
        ) { b, _ in
            if let halfKeys, let halfValues {
                try b.attention(q: q, keys: halfKeys, values: halfValues, sinks: sinks, params: params, out: out)
            } else {
                try b.attention(q: q, keys: keys, values: values, sinks: sinks, params: params, out: out)
            }
        }
    }

    private static func prepareMoE(_ spec: OpSpec, seed: UInt64) throws -> OpCase {
        let T = spec.tokens
        let H = hidden
        let I = intermediate
        let E = experts
        let dtype = spec.dtype ?? .mxfp4
        let router = try BenchWeights.make(dtype: .bf16, rows: E, cols: H, scale: 0.5, seed: seed)
        let gateUp = try BenchWeights.make(dtype: dtype, rows: 2 * I, cols: H, experts: E, seed: seed + 1)
        let down = try BenchWeights.make(dtype: dtype, rows: H, cols: I, experts: E, seed: seed + 2)
        let routerBias = Tensor.random([E], scale: 0.1, seed: seed + 3)
        let weights = MoEWeights(
            router: router, routerBias: routerBias, gateUp: gateUp,
            gateUpBias: Tensor.random([E, 2 * I], scale: 0.1, seed: seed + 4),
            down: down, downBias: Tensor.random([E, H], scale: 0.1, seed: seed + 5), topK: topK)
        // T = 1 cycles through 16 different tokens so consecutive reps route to different experts (DRAM, not L3).
        let poolRows = T == 1 ? 16 : T
        let xPool = Tensor.random([poolRows, H], seed: seed + 6)
        let out = Tensor(zeros: [T, H])
        let used = distinctExperts(router: router, bias: routerBias, x: T == 1 ? xPool.rows(0..<1) : xPool, k: topK)
        let expertBytes = Double(gateUp.storedBytes + down.storedBytes) / Double(E) + 4 * Double(2 * I + H)
        let slots = Double(T * topK)
        let flops =
            2 * Double(T * H * E)  // router
            + slots
            * (2 * Double(H * 2 * I) + 2 * Double(I * H)  // gate_up and down
                + 10 * Double(I) + 2 * Double(H))  // SwiGLU and the weighted sum
        let bytes = Double(router.storedBytes) + 4 * Double(E) + Double(used) * expertBytes + 8 * Double(T * H)
        // Router FLOPs run on the router's linear kernel at T rows, the experts' on theirs at the rows each expert
        // gets on average (T·k/E, at least 1).
        let routerFLOPs = 2 * Double(T * H * E)
        let expertRows = max(1, T * topK / E)
        let shares: (any InstructionClassReporting) -> [KernelShare] = { r in
            [
                KernelShare(r.kernelClass(for: OpDescriptor(.linear, dtype: .bf16), rows: T), flops: routerFLOPs),
                KernelShare(
                    r.kernelClass(for: OpDescriptor(.moe, dtype: dtype), rows: expertRows),
                    flops: flops - routerFLOPs),
            ]
        }
        return OpCase(
            spec: spec, op: .moe, shape: "T=\(T) E=\(E) k=\(topK) \(H)→\(I)", m: T, n: H, k: I,
            cost: OpCost(flops: flops, bytes: bytes, writtenBytes: 4 * Double(T * H)),
            workingSet: Double(router.storedBytes + gateUp.storedBytes + down.storedBytes),
            shares: shares
        ) { b, i in
            let x = T == 1 ? xPool.rows((i % poolRows)..<(i % poolRows + 1)) : xPool
            try b.moe(x, weights: weights, out: out)
        }
    }

    /// FNV-1a of the cell name: the same inputs in every process (Swift's `hashValue` is randomised per process).
    static func stableSeed(_ text: String) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in text.utf8 { h = (h ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        return h
    }

    /// Number of distinct experts the router selects for the rows of `x` (exact top-k of x·Wᵀ + b, in Float64).
    static func distinctExperts(router: WeightTensor, bias: Tensor, x: Tensor, k: Int) -> Int {
        let w = router.decodedArray()
        let E = router.outFeatures
        let H = router.inFeatures
        var used = Set<Int>()
        for t in 0..<x.rows {
            var logits = [Double](repeating: 0, count: E)
            for e in 0..<E {
                var s = Double(bias.pointer[e])
                for h in 0..<H { s += Double(w[e * H + h]) * Double(x.pointer[t * H + h]) }
                logits[e] = s
            }
            let top = logits.indices.sorted { logits[$0] > logits[$1] || (logits[$0] == logits[$1] && $0 < $1) }.prefix(
                k)
            used.formUnion(top)
        }
        return used.count
    }
}
