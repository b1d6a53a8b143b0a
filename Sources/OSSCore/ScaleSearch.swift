/// Block scale searches shared by the quantizers: each picks the scale (and offset) of one block that minimises
/// the squared error of the decoded values, trying a fan of candidate ranges, refitting each by least squares, and
/// keeping the best. Errors are measured on exactly the values the decoder will produce (scales rounded as stored).
enum ScaleSearch {
    /// How a block scale is stored: as IEEE half (the block types' `d`, `m`) or kept as Float32 (a K-quant
    /// sub-block scale, rounded later against its super-block scale).
    enum Storage {
        case f16
        case float

        @inline(__always) func round(_ v: Float) -> Float {
            switch self {
            case .f16: return Codec.f16ToFloat(Codec.floatToF16(v))
            case .float: return v
            }
        }
    }

    /// Levels `lo...hi` (lo < 0 < hi), value = d·L. Writes the levels to `levels` and returns d (as stored) with the
    /// squared error. Candidates: the element of largest magnitude mapped to `lo − 0.1·i` and to `hi + 0.1·i`
    /// (i = −9…9), each refit by least squares; plus `extra` (a caller's candidate, e.g. ggml's reference choice).
    static func symmetric(
        _ x: UnsafePointer<Float>, _ n: Int, lo: Int, hi: Int, storage: Storage,
        levels: UnsafeMutablePointer<Int8>, extra: Float? = nil
    ) -> (d: Float, sse: Float) {
        var amax: Float = 0
        var xmax: Float = 0
        for i in 0..<n where abs(x[i]) > amax {
            amax = abs(x[i])
            xmax = x[i]
        }
        guard amax > 0 else {
            for i in 0..<n { levels[i] = 0 }
            return (0, 0)
        }
        let flo = Float(lo)
        let fhi = Float(hi)
        // Least-squares d for the levels of each candidate; the best by Σx² − (ΣxL)²/ΣL² (exact for that d).
        var bestD: Float = xmax / flo
        var bestScore = Float.infinity
        for side in 0..<2 {
            for step in -9...9 {
                let target = side == 0 ? flo - 0.1 * Float(step) : fhi + 0.1 * Float(step)
                let id = target / xmax
                var sxl: Float = 0
                var sll: Float = 0
                for i in 0..<n {
                    let l = min(max((x[i] * id).rounded(.toNearestOrEven), flo), fhi)
                    sxl += x[i] * l
                    sll += l * l
                }
                guard sll > 0 else { continue }
                let score = -sxl * sxl / sll
                if score < bestScore {
                    bestScore = score
                    bestD = sxl / sll
                }
            }
        }
        var d = storage.round(bestD)
        var best = evaluate(x, n, d: d, lo: lo, hi: hi, levels: levels)
        // one more least-squares refit on the final levels, and the caller's candidate: kept when better as stored
        var sxl: Float = 0
        var sll: Float = 0
        for i in 0..<n {
            let l = Float(levels[i])
            sxl += x[i] * l
            sll += l * l
        }
        let refit: Float? = sll > 0 ? sxl / sll : nil
        withUnsafeTemporaryAllocation(of: Int8.self, capacity: n) { buffer in
            let s = buffer.baseAddress!
            for candidate in [refit, extra] {
                guard let c = candidate.map(storage.round), c.isFinite, c != 0 else { continue }
                let e = evaluate(x, n, d: c, lo: lo, hi: hi, levels: s)
                if e < best {
                    best = e
                    d = c
                    levels.update(from: s, count: n)
                }
            }
        }
        return (d, best)
    }

    /// Nearest levels for a stored `d` (value = d·L) and their squared error.
    @inline(__always)
    static func evaluate(
        _ x: UnsafePointer<Float>, _ n: Int, d: Float, lo: Int, hi: Int,
        levels: UnsafeMutablePointer<Int8>
    ) -> Float {
        let id: Float = d != 0 ? 1 / d : 0
        let flo = Float(lo)
        let fhi = Float(hi)
        var sse: Float = 0
        for i in 0..<n {
            let l = min(max((x[i] * id).rounded(.toNearestOrEven), flo), fhi)
            levels[i] = Int8(l)
            let e = x[i] - d * l
            sse += e * e
        }
        return sse
    }

    /// Levels `0...nmax`, value = d·q + m. Writes q to `levels` and returns (d, m) as stored with the squared error.
    /// `nonPositiveMin` keeps m ≤ 0 (the K-quants store −m as an unsigned 6-bit multiple of dmin). Candidates: the
    /// range [min, max] mapped to `nmax + 0.1·i` levels (i = −10…10), each refit by least squares; plus `extra`.
    static func affine(
        _ x: UnsafePointer<Float>, _ n: Int, nmax: Int, storage: Storage, nonPositiveMin: Bool,
        levels: UnsafeMutablePointer<UInt8>, extra: (d: Float, m: Float)? = nil
    )
        -> (d: Float, m: Float, sse: Float)
    {
        var mn = x[0]
        var mx = x[0]
        var sx: Float = 0
        var sxx: Float = 0
        for i in 0..<n {
            mn = min(mn, x[i])
            mx = max(mx, x[i])
            sx += x[i]
            sxx += x[i] * x[i]
        }
        if nonPositiveMin { mn = min(mn, 0) }
        let fmax = Float(nmax)
        let fn = Float(n)
        guard mx > mn else {
            for i in 0..<n { levels[i] = 0 }
            let m = storage.round(mn)
            var sse: Float = 0
            for i in 0..<n { sse += (x[i] - m) * (x[i] - m) }
            return (0, m, sse)
        }
        // Least-squares (d, m) for the levels of each candidate; the best by its exact error at that (d, m).
        var bestD = (mx - mn) / fmax
        var bestM = mn
        var bestScore = Float.infinity
        for step in -10...10 {
            let iscale = (fmax + 0.1 * Float(step)) / (mx - mn)
            var sl: Float = 0
            var sll: Float = 0
            var sxl: Float = 0
            for i in 0..<n {
                let l = min(max(((x[i] - mn) * iscale).rounded(.toNearestOrEven), 0), fmax)
                sl += l
                sll += l * l
                sxl += x[i] * l
            }
            guard let (d, m) = fit(sl: sl, sll: sll, sxl: sxl, sx: sx, n: fn, nonPositiveMin: nonPositiveMin) else {
                continue
            }
            // Σ(x − dL − m)² expanded
            let score = sxx - 2 * d * sxl - 2 * m * sx + d * d * sll + 2 * d * m * sl + m * m * fn
            if score < bestScore {
                bestScore = score
                bestD = d
                bestM = m
            }
        }
        var d = storage.round(bestD)
        var m = storage.round(bestM)
        var best = evaluate(x, n, d: d, m: m, nmax: nmax, levels: levels)
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: n) { buffer in
            let s = buffer.baseAddress!
            // a refit on the final levels, and the caller's candidate: kept when better as stored
            var sl: Float = 0
            var sll: Float = 0
            var sxl: Float = 0
            for i in 0..<n {
                let l = Float(levels[i])
                sl += l
                sll += l * l
                sxl += x[i] * l
            }
            let refit = fit(sl: sl, sll: sll, sxl: sxl, sx: sx, n: fn, nonPositiveMin: nonPositiveMin)
            for candidate in [refit, extra] {
                guard let (cd, cm) = candidate else { continue }
                let rd = storage.round(cd)
                let rm = storage.round(cm)
                guard rd.isFinite, rm.isFinite, rd > 0 else { continue }
                let e = evaluate(x, n, d: rd, m: rm, nmax: nmax, levels: s)
                if e < best {
                    best = e
                    d = rd
                    m = rm
                    levels.update(from: s, count: n)
                }
            }
        }
        return (d, m, best)
    }

    /// Least-squares (d, m) of x ≈ d·L + m from the sums; m ≤ 0 when `nonPositiveMin`. nil when degenerate.
    @inline(__always)
    static func fit(sl: Float, sll: Float, sxl: Float, sx: Float, n: Float, nonPositiveMin: Bool) -> (Float, Float)? {
        let det = sll * n - sl * sl
        guard det > 0 else { return nil }
        var d = (n * sxl - sl * sx) / det
        var m = (sll * sx - sl * sxl) / det
        if nonPositiveMin && m > 0 {
            m = 0
            d = sxl / sll
        }
        guard d > 0, d.isFinite, m.isFinite else { return nil }
        return (d, m)
    }

    /// Nearest levels for stored (d, m) (value = d·q + m, d > 0) and their squared error.
    @inline(__always)
    static func evaluate(
        _ x: UnsafePointer<Float>, _ n: Int, d: Float, m: Float, nmax: Int,
        levels: UnsafeMutablePointer<UInt8>
    ) -> Float {
        let id: Float = d > 0 ? 1 / d : 0
        let fmax = Float(nmax)
        var sse: Float = 0
        for i in 0..<n {
            let q = min(max(((x[i] - m) * id).rounded(.toNearestOrEven), 0), fmax)
            levels[i] = UInt8(q)
            let e = x[i] - (d * q + m)
            sse += e * e
        }
        return sse
    }
}
