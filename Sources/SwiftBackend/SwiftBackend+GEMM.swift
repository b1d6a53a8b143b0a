import OSSCore

/// Blocking of the GEMM `y[M, N] = x[M, K] · W[N, K]ᵀ` (Goto/BLIS loop order: NC → KC → MC → NR → MR).
enum GEMMBlocking {
    /// Rows of x per micro-tile.
    static let mr = 6
    /// Weight rows (output columns) per micro-tile: two `SIMD8<Float>`.
    static let nr = 16
    /// Depth of one packed panel (fits an `NR`-wide weight strip in L1).
    static let kc = 256
    /// Rows of x per packed A block (L2).
    static let mc = 96
    /// Weight rows per packed B panel (the panel holds all of K: 256 rows × K floats, L2/L3).
    static let nc = 256
}

extension SwiftBackend {
    /// `y[m, N] = x[m, K] · Wᵀ + bias` for any weight dtype: weight tiles are decoded and packed into per-worker
    /// panels (each weight element decoded once per call), then a 6×16 register-blocked FMA micro-kernel runs
    /// over them. Workers own disjoint column (weight-row) ranges.
    func gemm(
        _ w: WeightTensor, x: UnsafePointer<Float>, m: Int, bias: UnsafePointer<Float>?,
        y: UnsafeMutablePointer<Float>, scratch: SwiftBackendScratch
    ) {
        let n = w.outFeatures
        let k = w.inFeatures
        let nc = GEMMBlocking.nc
        let mr = GEMMBlocking.mr
        let nr = GEMMBlocking.nr
        // Size every worker's buffers before the parallel region (each worker then only touches its own).
        for worker in 0..<threads {
            _ = scratch.packedB[worker].floats(nc * k)
            _ = scratch.workerRow[worker].floats(nr * k + mr * nr)
        }
        // x is packed once for all workers: block pc (KC deep) starts at pc·MS·MR, strips k-major inside.
        let mStrips = (m + mr - 1) / mr
        let ap = scratch.packedX.floats(mStrips * mr * k)
        parallelChunks(
            mStrips, minPerChunk: max(1, 16384 / max(1, k)),
            GEMMPackAStrips(x: x, m: m, k: k, mStrips: mStrips, packed: ap))
        let minColumns = max(nr, (1 << 22) / max(1, m * k))
        parallelChunks(
            n, granule: nr, minPerChunk: minColumns,
            GEMMColumns(w: w, packedX: ap, m: m, mStrips: mStrips, bias: bias, y: y, scratch: scratch))
    }

    /// Packs `x[rows ..< rows+count, depth ..< depth+kcur]` into strips of `MR` rows, k-major
    /// (`ap[s·MR·kcur + kk·MR + i]`); rows past the end are zero.
    @inline(__always)
    static func packA(
        _ x: UnsafePointer<Float>, ld: Int, rows: Int, count: Int, depth: Int, kcur: Int,
        into ap: UnsafeMutablePointer<Float>
    ) {
        let mr = GEMMBlocking.mr
        let strips = (count + mr - 1) / mr
        for s in 0..<strips {
            let dst = ap + s * mr * kcur
            let valid = min(mr, count - s * mr)
            if valid == mr {
                let r0 = x + (rows + s * mr) * ld + depth
                let r1 = r0 + ld
                let r2 = r1 + ld
                let r3 = r2 + ld
                let r4 = r3 + ld
                let r5 = r4 + ld
                for kk in 0..<kcur {
                    let o = dst + kk * mr
                    o[0] = r0[kk]
                    o[1] = r1[kk]
                    o[2] = r2[kk]
                    o[3] = r3[kk]
                    o[4] = r4[kk]
                    o[5] = r5[kk]
                }
            } else {
                for kk in 0..<kcur {
                    for i in 0..<mr {
                        dst[kk * mr + i] = i < valid ? x[(rows + s * mr + i) * ld + depth + kk] : 0
                    }
                }
            }
        }
    }

    /// Decodes weight rows `columns ..< columns+count` over the whole depth K into a panel of `KC`-deep blocks:
    /// block `pc` starts at `pc·strips·NR` and holds the strips k-major (`[strip][kk][NR]`); rows past the end
    /// are zero. The `NR` rows of a strip are first decoded (or copied) front to back into `rowBuffer`
    /// (`NR·K` floats), so the weight streams from memory sequentially, then transposed block by block in cache.
    @inline(__always)
    static func packB(
        _ w: WeightTensor, columns: Int, count: Int, into bp: UnsafeMutablePointer<Float>,
        rowBuffer: UnsafeMutablePointer<Float>
    ) {
        let nr = GEMMBlocking.nr
        let kc = GEMMBlocking.kc
        let k = w.inFeatures
        let strips = (count + nr - 1) / nr
        for s in 0..<strips {
            let valid = min(nr, count - s * nr)
            for j in 0..<valid {
                WeightDecoder.decode(w, row: columns + s * nr + j, from: 0, count: k, into: rowBuffer + j * k)
            }
            var pc = 0
            while pc < k {
                let kcur = min(kc, k - pc)
                let dst = bp + pc * strips * nr + s * nr * kcur
                // 8×8 blocks transposed in registers; the depth tail element by element.
                let body = kcur & ~7
                for jb in stride(from: 0, to: nr, by: 8) {
                    @inline(__always) func load(_ j: Int, _ kk: Int) -> SIMD8<Float> {
                        jb + j < valid ? VectorMath.load8(rowBuffer + (jb + j) * k + pc + kk) : SIMD8()
                    }
                    var kk = 0
                    while kk < body {
                        let t = GEMMKernel.transpose8x8(
                            (
                                load(0, kk), load(1, kk), load(2, kk), load(3, kk),
                                load(4, kk), load(5, kk), load(6, kk), load(7, kk)
                            ))
                        let o = dst + kk * nr + jb
                        VectorMath.store8(t.0, o)
                        VectorMath.store8(t.1, o + nr)
                        VectorMath.store8(t.2, o + 2 * nr)
                        VectorMath.store8(t.3, o + 3 * nr)
                        VectorMath.store8(t.4, o + 4 * nr)
                        VectorMath.store8(t.5, o + 5 * nr)
                        VectorMath.store8(t.6, o + 6 * nr)
                        VectorMath.store8(t.7, o + 7 * nr)
                        kk += 8
                    }
                }
                for j in 0..<nr {
                    for kk in body..<kcur { dst[kk * nr + j] = j < valid ? rowBuffer[j * k + pc + kk] : 0 }
                }
                pc += kcur
            }
        }
    }
}

/// GEMM step 1, over a range of `MR`-row strips of `x[m, k]`: packs them into `packed` for every `KC` block
/// (block `pc` starts at `pc·mStrips·MR`, strips k-major inside).
struct GEMMPackAStrips: ChunkKernel {
    let x: UnsafePointer<Float>
    let m: Int
    let k: Int
    let mStrips: Int
    let packed: UnsafeMutablePointer<Float>

    @inline(__always)
    func run(_ strips: Range<Int>, worker _: Int) {
        let kc = GEMMBlocking.kc
        let mr = GEMMBlocking.mr
        let ap = packed
        var pc = 0
        while pc < k {
            let kcur = min(kc, k - pc)
            let rows = strips.lowerBound * mr
            SwiftBackend.packA(
                x, ld: k, rows: rows, count: min(m, strips.upperBound * mr) - rows, depth: pc,
                kcur: kcur, into: ap + pc * mStrips * mr + strips.lowerBound * mr * kcur)
            pc += kcur
        }
    }
}

/// GEMM step 2, over a range of output columns (weight rows, a multiple of `NR` except at the end): decodes and
/// packs `NC` weight rows at a time into the worker's panel, then runs the micro-kernel over every row strip.
struct GEMMColumns: ChunkKernel {
    let w: WeightTensor
    /// `x` packed by `GEMMPackAStrips`.
    let packedX: UnsafeMutablePointer<Float>
    let m: Int
    let mStrips: Int
    let bias: UnsafePointer<Float>?
    let y: UnsafeMutablePointer<Float>
    /// Per-worker panels, already sized (`packedB[worker]`: `NC·K`, `workerRow[worker]`: `NR·K + MR·NR` floats).
    let scratch: SwiftBackendScratch

    @inline(__always)
    func run(_ columns: Range<Int>, worker: Int) {
        let n = w.outFeatures
        let k = w.inFeatures
        let ap = packedX
        let kc = GEMMBlocking.kc
        let mc = GEMMBlocking.mc
        let nc = GEMMBlocking.nc
        let mr = GEMMBlocking.mr
        let nr = GEMMBlocking.nr
        let bp = scratch.packedB[worker].floats(nc * k)
        let rowBuffer = scratch.workerRow[worker].floats(nr * k + mr * nr)
        let edge = rowBuffer + nr * k
        var jc = columns.lowerBound
        while jc < columns.upperBound {
            let ncur = min(nc, columns.upperBound - jc)
            let nstrips = (ncur + nr - 1) / nr
            SwiftBackend.packB(w, columns: jc, count: ncur, into: bp, rowBuffer: rowBuffer)
            var pc = 0
            while pc < k {
                let kcur = min(kc, k - pc)
                let first = pc == 0
                let panel = bp + pc * nstrips * nr
                let xBlock = ap + pc * mStrips * mr
                var ic = 0
                while ic < m {
                    let mcur = min(mc, m - ic)
                    let mstrips = (mcur + mr - 1) / mr
                    let aBlock = xBlock + (ic / mr) * mr * kcur
                    for js in 0..<nstrips {
                        let col = jc + js * nr
                        let ncols = min(nr, jc + ncur - col)
                        let bStrip = UnsafePointer(panel + js * nr * kcur)
                        let stripBias = first ? bias.map { $0 + col } : nil
                        for istrip in 0..<mstrips {
                            let row = ic + istrip * mr
                            let nrows = min(mr, m - row)
                            let aStrip = UnsafePointer(aBlock + istrip * mr * kcur)
                            if ncols == nr && nrows == mr {
                                GEMMKernel.tile6x16(
                                    kcur, aStrip, bStrip, y + row * n + col, n,
                                    accumulate: !first, bias: stripBias)
                            } else {
                                GEMMKernel.tile6x16(kcur, aStrip, bStrip, edge, nr, accumulate: false, bias: nil)
                                for i in 0..<nrows {
                                    let dst = y + (row + i) * n + col
                                    for j in 0..<ncols {
                                        let v = edge[i * nr + j]
                                        if first { dst[j] = v + (stripBias?[j] ?? 0) } else { dst[j] += v }
                                    }
                                }
                            }
                        }
                    }
                    ic += mcur
                }
                pc += kcur
            }
            jc += ncur
        }
    }
}

/// The register-blocked micro-kernel: 6 rows × 16 columns held in 12 `SIMD8<Float>` accumulators.
enum GEMMKernel {
    typealias Rows8 = (
        SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>,
        SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>
    )

    /// 8×8 transpose (result i = column i) by three perfect shuffles: (r₂ₖ, r₂ₖ₊₁) → (even lanes, odd lanes).
    @inline(__always)
    static func transpose8x8(_ r: Rows8) -> Rows8 {
        @inline(__always) func round(_ r: Rows8) -> Rows8 {
            let z0 = SIMD16(lowHalf: r.0, highHalf: r.1)
            let z1 = SIMD16(lowHalf: r.2, highHalf: r.3)
            let z2 = SIMD16(lowHalf: r.4, highHalf: r.5)
            let z3 = SIMD16(lowHalf: r.6, highHalf: r.7)
            return (z0.evenHalf, z1.evenHalf, z2.evenHalf, z3.evenHalf, z0.oddHalf, z1.oddHalf, z2.oddHalf, z3.oddHalf)
        }
        return round(round(round(r)))
    }

    /// `c[6, 16] (= or +=) a-strip · b-strip (+ bias on the first panel)`; `a` is `[kc][6]`, `b` is `[kc][16]`,
    /// `c` has row stride `ldc`.
    @inline(never)
    static func tile6x16(
        _ kc: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
        _ c: UnsafeMutablePointer<Float>, _ ldc: Int, accumulate: Bool, bias: UnsafePointer<Float>?
    ) {
        var c00 = SIMD8<Float>()
        var c01 = SIMD8<Float>()
        var c10 = SIMD8<Float>()
        var c11 = SIMD8<Float>()
        var c20 = SIMD8<Float>()
        var c21 = SIMD8<Float>()
        var c30 = SIMD8<Float>()
        var c31 = SIMD8<Float>()
        var c40 = SIMD8<Float>()
        var c41 = SIMD8<Float>()
        var c50 = SIMD8<Float>()
        var c51 = SIMD8<Float>()
        var pa = a
        var pb = UnsafeRawPointer(b)
        for _ in 0..<kc {
            let b0 = pb.loadUnaligned(as: SIMD8<Float>.self)
            let b1 = pb.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
            var av = SIMD8<Float>(repeating: pa[0])
            c00 = c00.addingProduct(av, b0)
            c01 = c01.addingProduct(av, b1)
            av = SIMD8<Float>(repeating: pa[1])
            c10 = c10.addingProduct(av, b0)
            c11 = c11.addingProduct(av, b1)
            av = SIMD8<Float>(repeating: pa[2])
            c20 = c20.addingProduct(av, b0)
            c21 = c21.addingProduct(av, b1)
            av = SIMD8<Float>(repeating: pa[3])
            c30 = c30.addingProduct(av, b0)
            c31 = c31.addingProduct(av, b1)
            av = SIMD8<Float>(repeating: pa[4])
            c40 = c40.addingProduct(av, b0)
            c41 = c41.addingProduct(av, b1)
            av = SIMD8<Float>(repeating: pa[5])
            c50 = c50.addingProduct(av, b0)
            c51 = c51.addingProduct(av, b1)
            pa += 6
            pb += 64
        }
        @inline(__always) func put(_ row: Int, _ v0: SIMD8<Float>, _ v1: SIMD8<Float>) {
            let p = c + row * ldc
            if accumulate {
                VectorMath.store8(VectorMath.load8(p) + v0, p)
                VectorMath.store8(VectorMath.load8(p + 8) + v1, p + 8)
            } else if let bias {
                VectorMath.store8(v0 + VectorMath.load8(bias), p)
                VectorMath.store8(v1 + VectorMath.load8(bias + 8), p + 8)
            } else {
                VectorMath.store8(v0, p)
                VectorMath.store8(v1, p + 8)
            }
        }
        put(0, c00, c01)
        put(1, c10, c11)
        put(2, c20, c21)
        put(3, c30, c31)
        put(4, c40, c41)
        put(5, c50, c51)
    }
}
