/*
 * GEMV rows of float-type weights (F32, F16, BF16) against several activation vectors: the path of ck_gemv_rows for
 * these dtypes from two vectors on (batched decode: one row of x per stream), on AVX-512 and on AVX2.
 *
 * One or two vectors on AVX-512 run one row at a time (a single stream per thread streams from DRAM at the read; see
 * rows512). From three on, register blocks of RB weight rows × NX vectors: per step of 32 weights each of the RB rows
 * is loaded (and widened) once and each x slice once, for RB·NX multiply-adds, so the loads stay well below the FMA
 * rate and x — which lives in L2 once T·K·4 bytes outgrow L1 — is read once per RB rows. All T vectors are served while
 * the block's rows are hot: the rows come from DRAM once per call (for up to VMAX vectors; more are done VMAX at a
 * time), the later vector groups re-read them from L1. With more than one group, K is cut in chunks of ~CHUNK_BYTES of
 * the block's rows, so those re-reads stay in L1; the partial sums of each (row, vector) stay 16 (8) float lanes wide
 * in a stack array between chunks and are summed once per row block. Activations stay float32 (x in the prepared layout
 * of quant.c: natural order for f32 and f16; per 32 elements the 16 even ones, then the 16 odd ones for bf16, so a bf16
 * dword [even | odd << 16] widens to two float vectors with one shift and one mask; the last K % 32 in natural order).
 * Weight bytes are prefetched ahead of the stream by the first vector group of each chunk only.
 *
 * vdpbf16ps is not used here: it would round the activations to bf16 (NMSE ~1e-6 per linear instead of ~1e-12); the
 * bf16 products (vdpbf16ps, default on AVX512-BF16 CPUs) live in our GEMM (gemm512.c).
 */
#include "ck_internal.h"

#define T512 __attribute__((target(CK_AVX512_TARGET)))
#define T256 __attribute__((target("avx2,fma,f16c")))

enum {
    RB = 4,              /* weight rows per register block */
    NXB512 = 4,          /* vectors per block on AVX-512: 16 zmm accumulators + 8 zmm of widened weights */
    NXB256 = 2,          /* on AVX2: 8 ymm accumulators + 4 weights + x of 16 registers */
    VMAX = 32,           /* vectors per pass over the rows (bounds the stack array of partial sums) */
    CHUNK_BYTES = 12288, /* bytes of the block's RB rows per K chunk when several vector groups re-read them */
    /* Each row is prefetched this far ahead into L1 and L2. With RB rows streaming at once, distances 4× shorter than
     * the single-row GEMVs' (6 KB / 24 KB) keep the RB·(L1 distance) in flight within L1. */
    PF_L1 = 1536,
    PF_L2 = 6144,
};

static inline int64_t elem_bytes(int32_t dt) { return dt == CK_F32 ? 4 : 2; }

/* Prefetch of the weight line at byte offset `off` of a row, one of R rows streamed at once (the distances grow as
 * fewer rows share L1). A single row gets the L1 prefetch only, 6 KB ahead: Zen 5, 2880-wide rows, 288 MB per call,
 * interleaved with a plain read of the same bytes, median of 16–20, one / two threads: BF16 80–91% / 81–98% of the
 * read with both prefetches (L2 at 24 KB) against 89–96% / 95–100% with the L1 one alone. */
static inline void prefetch_row(const uint8_t *row, int64_t off, const int R) {
    _mm_prefetch((const char *)row + off + PF_L1 * (RB / R), _MM_HINT_T0);
    if (R > 1) _mm_prefetch((const char *)row + off + PF_L2 * (RB / R), _MM_HINT_T1);
}

/* ------------------------------------------------------------------ AVX-512 */

/* The 32 weights at element i as two float vectors matching x + i and x + i + 16 of the prepared layout. */
T512 __attribute__((always_inline)) static inline void load32_512(const int32_t dt, const uint8_t *row, int64_t i,
                                                                 __m512 *a, __m512 *b) {
    if (dt == CK_F32) {
        *a = _mm512_loadu_ps(row + 4 * i);
        *b = _mm512_loadu_ps(row + 4 * i + 64);
    } else if (dt == CK_F16) {
        *a = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(row + 2 * i)));
        *b = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(row + 2 * i + 32)));
    } else {
        const __m512i v = _mm512_loadu_si512(row + 2 * i);
        *a = _mm512_castsi512_ps(_mm512_slli_epi32(v, 16));                                /* the 16 evens */
        *b = _mm512_castsi512_ps(_mm512_and_si512(v, _mm512_set1_epi32((int)0xFFFF0000u))); /* the 16 odds */
    }
}

/* Up to 16 weights [i, i + 16) in natural order (the K % 32 rest of every dtype's prepared layout), lanes m. */
T512 __attribute__((always_inline)) static inline __m512 load_tail16(const int32_t dt, const uint8_t *row, int64_t i,
                                                                    __mmask16 m) {
    if (dt == CK_F32) return _mm512_maskz_loadu_ps(m, row + 4 * i);
    const __m256i h = _mm256_maskz_loadu_epi16(m, row + 2 * i);
    if (dt == CK_F16) return _mm512_cvtph_ps(h);
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
}

/* part[j·VMAX + k] (+)= Σ over K elements [i0, i1) of row j × x_k, for j < R, k < NX (R, NX, dt compile-time constants
 * at each instantiation). first: start from zero; pf: prefetch the rows ahead. i0 is a multiple of 32; i1 is one too
 * unless it is n (then the rest runs in natural order). A single row (R = 1) keeps four accumulator chains per vector
 * (the evens and odds of two 32-weight steps): on one chain each 64-byte line waits on two dependent FMAs, and a BF16
 * row ran at ~39 GB/s even from L2 (four chains: ~95). */
T512 __attribute__((always_inline)) static inline void block512(const int32_t dt, const int R, const int NX,
                                                               const uint8_t *const *row, const float *x, int64_t xs,
                                                               int64_t i0, int64_t i1, __m512 *part, int first,
                                                               int pf) {
    enum { SETS = 4 };
    const int S = R == 1 ? SETS : 1; /* accumulator sets: step u of an iteration feeds sets 2u (evens), 2u + 1 (odds) */
    const int U = R == 1 ? 2 : 1;    /* 32-weight steps per iteration */
    __m512 acc[SETS][RB][NXB512];
    for (int s = 0; s < S; s++)
        for (int j = 0; j < R; j++)
            for (int k = 0; k < NX; k++)
                acc[s][j][k] = first || s > 0 ? _mm512_setzero_ps() : part[j * VMAX + k];
    const int64_t eb = elem_bytes(dt);
    int64_t i = i0;
    for (; i + 32 * U <= i1; i += 32 * U)
        for (int u = 0; u < U; u++) {
            const int64_t e = i + 32 * u;
            const int sa = S == 1 ? 0 : 2 * u, sb = S == 1 ? 0 : 2 * u + 1;
            __m512 a[RB], b[RB];
            for (int j = 0; j < R; j++) {
                if (pf) {
                    prefetch_row(row[j], eb * e, R);
                    if (dt == CK_F32) prefetch_row(row[j], eb * e + 64, R);
                }
                load32_512(dt, row[j], e, &a[j], &b[j]);
            }
            for (int k = 0; k < NX; k++) {
                const __m512 x0 = _mm512_loadu_ps(x + k * xs + e);
                for (int j = 0; j < R; j++) acc[sa][j][k] = _mm512_fmadd_ps(a[j], x0, acc[sa][j][k]);
            }
            for (int k = 0; k < NX; k++) {
                const __m512 x1 = _mm512_loadu_ps(x + k * xs + e + 16);
                for (int j = 0; j < R; j++) acc[sb][j][k] = _mm512_fmadd_ps(b[j], x1, acc[sb][j][k]);
            }
        }
    for (; i + 32 <= i1; i += 32) { /* the last odd step of a single row */
        __m512 a[RB], b[RB];
        for (int j = 0; j < R; j++) load32_512(dt, row[j], i, &a[j], &b[j]);
        for (int k = 0; k < NX; k++) {
            const __m512 x0 = _mm512_loadu_ps(x + k * xs + i), x1 = _mm512_loadu_ps(x + k * xs + i + 16);
            for (int j = 0; j < R; j++) {
                acc[0][j][k] = _mm512_fmadd_ps(a[j], x0, acc[0][j][k]);
                acc[S - 1][j][k] = _mm512_fmadd_ps(b[j], x1, acc[S - 1][j][k]);
            }
        }
    }
    for (; i < i1; i += 16) {
        const __mmask16 m = i1 - i >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (i1 - i)) - 1);
        __m512 a[RB];
        for (int j = 0; j < R; j++) a[j] = load_tail16(dt, row[j], i, m);
        for (int k = 0; k < NX; k++) {
            const __m512 xv = _mm512_maskz_loadu_ps(m, x + k * xs + i);
            for (int j = 0; j < R; j++) acc[0][j][k] = _mm512_fmadd_ps(a[j], xv, acc[0][j][k]);
        }
    }
    for (int j = 0; j < R; j++)
        for (int k = 0; k < NX; k++) {
            __m512 t = acc[0][j][k];
            if (S == SETS)
                t = _mm512_add_ps(_mm512_add_ps(t, acc[1][j][k]), _mm512_add_ps(acc[2][j][k], acc[3][j][k]));
            part[j * VMAX + k] = t;
        }
}

typedef void (*block512_fn)(const uint8_t *const *, const float *, int64_t, int64_t, int64_t, __m512 *, int, int);
#define BLOCK512(D, DT, R, NX)                                                                                        \
    T512 static void block512_##D##_##R##_##NX(const uint8_t *const *row, const float *x, int64_t xs, int64_t i0,    \
                                               int64_t i1, __m512 *part, int first, int pf) {                          \
        block512(DT, R, NX, row, x, xs, i0, i1, part, first, pf);                                                      \
    }
#define BLOCK512_DTYPE(D, DT)                                                                                          \
    BLOCK512(D, DT, RB, 1) BLOCK512(D, DT, RB, 2) BLOCK512(D, DT, RB, 3) BLOCK512(D, DT, RB, 4)                        \
    BLOCK512(D, DT, 1, 1) BLOCK512(D, DT, 1, 2) BLOCK512(D, DT, 1, 3) BLOCK512(D, DT, 1, 4)
BLOCK512_DTYPE(f32, CK_F32)
BLOCK512_DTYPE(f16, CK_F16)
BLOCK512_DTYPE(bf16, CK_BF16)
#define BLOCK512_TABLE(D)                                                                                              \
    {{block512_##D##_1_1, block512_##D##_1_2, block512_##D##_1_3, block512_##D##_1_4},                                 \
     {block512_##D##_RB_1, block512_##D##_RB_2, block512_##D##_RB_3, block512_##D##_RB_4}}

T512 static float hsum512(__m512 v) { return _mm512_reduce_add_ps(v); }

/* ------------------------------------------------------------------ AVX2 */

/* The 8 weights of sub-step c (0–3) of the 32 at element i, matching x + i + 8c of the prepared layout. */
T256 __attribute__((always_inline)) static inline __m256 load8_256(const int32_t dt, const uint8_t *row, int64_t i,
                                                                  const int c) {
    if (dt == CK_F32) return _mm256_loadu_ps((const float *)(row + 4 * i) + 8 * c);
    if (dt == CK_F16) return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(row + 2 * i) + c));
    const __m256i v = _mm256_loadu_si256((const __m256i *)(row + 2 * i + 32 * (c & 1)));
    return _mm256_castsi256_ps(c < 2 ? _mm256_slli_epi32(v, 16) /* evens */
                                     : _mm256_and_si256(v, _mm256_set1_epi32((int)0xFFFF0000u))); /* odds */
}

/* 8 weights [i, i + 8) in natural order (the K % 32 rest). */
T256 __attribute__((always_inline)) static inline __m256 load8_natural(const int32_t dt, const uint8_t *row,
                                                                      int64_t i) {
    if (dt == CK_F32) return _mm256_loadu_ps((const float *)(row + 4 * i));
    const __m128i h = _mm_loadu_si128((const __m128i *)(row + 2 * i));
    if (dt == CK_F16) return _mm256_cvtph_ps(h);
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
}

static inline float scalar_weight(int32_t dt, const uint8_t *row, int64_t i) {
    if (dt == CK_F32) {
        float v;
        memcpy(&v, row + 4 * i, 4);
        return v;
    }
    const uint16_t h = ck_load_u16(row + 2 * i);
    if (dt == CK_F16) return ck_f16_to_float(h);
    const uint32_t bits = (uint32_t)h << 16;
    float v;
    memcpy(&v, &bits, 4);
    return v;
}

/* block512 on 8-lane vectors. */
T256 __attribute__((always_inline)) static inline void block256(const int32_t dt, const int R, const int NX,
                                                               const uint8_t *const *row, const float *x, int64_t xs,
                                                               int64_t i0, int64_t i1, __m256 *part, int first,
                                                               int pf) {
    __m256 acc[RB][NXB256];
    for (int j = 0; j < R; j++)
        for (int k = 0; k < NX; k++) acc[j][k] = first ? _mm256_setzero_ps() : part[j * VMAX + k];
    const int64_t eb = elem_bytes(dt);
    int64_t i = i0;
    for (; i + 32 <= i1; i += 32) {
        if (pf)
            for (int j = 0; j < R; j++) {
                prefetch_row(row[j], eb * i, R);
                if (dt == CK_F32) prefetch_row(row[j], eb * i + 64, R);
            }
        for (int c = 0; c < 4; c++) {
            __m256 a[RB];
            for (int j = 0; j < R; j++) a[j] = load8_256(dt, row[j], i, c);
            for (int k = 0; k < NX; k++) {
                const __m256 xv = _mm256_loadu_ps(x + k * xs + i + 8 * c);
                for (int j = 0; j < R; j++) acc[j][k] = _mm256_fmadd_ps(a[j], xv, acc[j][k]);
            }
        }
    }
    for (; i + 8 <= i1; i += 8) {
        __m256 a[RB];
        for (int j = 0; j < R; j++) a[j] = load8_natural(dt, row[j], i);
        for (int k = 0; k < NX; k++) {
            const __m256 xv = _mm256_loadu_ps(x + k * xs + i);
            for (int j = 0; j < R; j++) acc[j][k] = _mm256_fmadd_ps(a[j], xv, acc[j][k]);
        }
    }
    if (i < i1) { /* fewer than 8 left: lane 0 takes their sum */
        float t[RB][NXB256] = {{0.f}};
        for (; i < i1; i++)
            for (int j = 0; j < R; j++) {
                const float wv = scalar_weight(dt, row[j], i);
                for (int k = 0; k < NX; k++) t[j][k] += wv * x[k * xs + i];
            }
        for (int j = 0; j < R; j++)
            for (int k = 0; k < NX; k++)
                acc[j][k] = _mm256_add_ps(acc[j][k], _mm256_setr_ps(t[j][k], 0, 0, 0, 0, 0, 0, 0));
    }
    for (int j = 0; j < R; j++)
        for (int k = 0; k < NX; k++) part[j * VMAX + k] = acc[j][k];
}

typedef void (*block256_fn)(const uint8_t *const *, const float *, int64_t, int64_t, int64_t, __m256 *, int, int);
#define BLOCK256(D, DT, R, NX)                                                                                        \
    T256 static void block256_##D##_##R##_##NX(const uint8_t *const *row, const float *x, int64_t xs, int64_t i0,    \
                                               int64_t i1, __m256 *part, int first, int pf) {                          \
        block256(DT, R, NX, row, x, xs, i0, i1, part, first, pf);                                                      \
    }
#define BLOCK256_DTYPE(D, DT)                                                                                          \
    BLOCK256(D, DT, RB, 1) BLOCK256(D, DT, RB, 2) BLOCK256(D, DT, 1, 1) BLOCK256(D, DT, 1, 2)
BLOCK256_DTYPE(f32, CK_F32)
BLOCK256_DTYPE(f16, CK_F16)
BLOCK256_DTYPE(bf16, CK_BF16)
#define BLOCK256_TABLE(D) {{block256_##D##_1_1, block256_##D##_1_2}, {block256_##D##_RB_1, block256_##D##_RB_2}}

/* ------------------------------------------------------------------ driver */

/* Elements of K per chunk: all of K with one vector group, else ~CHUNK_BYTES of the block's rows (a multiple of 32). */
static int64_t chunk_elems(int32_t dt, int64_t n, int nv, int nxb) {
    if (nv <= nxb) return n;
    const int64_t c = CHUNK_BYTES / (RB * elem_bytes(dt)) / 32 * 32;
    return c < n ? c : n;
}

/* Rows [row0, row1) × nv ≤ VMAX vectors: blocks of RB rows (single rows at the end; single rows throughout where
 * ONE_ROW(nv)), NXB vectors per kernel call of `table`; VEC the register type, HSUM its horizontal sum. */
#define ROWS_FUNCTION(NAME, TARGET, VEC, FN, NXB, HSUM, TABLE, ONE_ROW)                                               \
    TARGET static void NAME(const ck_weight *w, int64_t row0, int64_t row1, const float *xp, int64_t xs, int nv,      \
                            const float *bias, float *y, int64_t ys) {                                                 \
        static const FN fns[3][2][NXB] = {TABLE(f32), TABLE(f16), TABLE(bf16)};                                       \
        const int32_t dt = w->dtype;                                                                                   \
        const int64_t n = w->cols, kc = chunk_elems(dt, n, nv, NXB);                                                   \
        VEC part[RB * VMAX];                                                                                           \
        for (int64_t r = row0; r < row1;) {                                                                            \
            const int R = row1 - r >= RB && !(ONE_ROW) ? RB : 1;                                                       \
            const FN *f = fns[dt][R == RB];                                                                            \
            const uint8_t *row[RB];                                                                                    \
            for (int j = 0; j < R; j++) row[j] = ck_row_ptr(w, r + j);                                                 \
            for (int64_t i0 = 0; i0 < n; i0 += kc) {                                                                   \
                const int64_t i1 = n - i0 > kc ? i0 + kc : n;                                                          \
                for (int g = 0; g < nv; g += NXB) {                                                                    \
                    const int nx = nv - g < NXB ? nv - g : NXB;                                                        \
                    f[nx - 1](row, xp + g * xs, xs, i0, i1, part + g, i0 == 0, g == 0);                                \
                }                                                                                                      \
            }                                                                                                          \
            for (int j = 0; j < R; j++) {                                                                              \
                const float b = bias ? bias[r + j] : 0.f;                                                              \
                for (int k = 0; k < nv; k++) y[k * ys + (r + j - row0)] = HSUM(part[j * VMAX + k]) + b;                \
            }                                                                                                          \
            r += R;                                                                                                    \
        }                                                                                                              \
    }
/* One or two vectors on AVX-512: one row at a time, every dtype (x fits L1; a single stream per thread keeps up with
 * DRAM where blocks of 4 rows did not: same runs as prefetch_row, T = 1, one / two threads, 4-row blocks → one row:
 * F16 56–65% / 64–78% → 99% / 100–102% of the read, F32 67–69% / 76–83% → 91% / 97%; two vectors, F16 51–59% /
 * 71–75% → 73% / 94%). From three vectors on, the 4-row blocks share each x load among more multiply-adds. */
ROWS_FUNCTION(rows512, T512, __m512, block512_fn, NXB512, hsum512, BLOCK512_TABLE, nv <= 2)
ROWS_FUNCTION(rows256, T256, __m256, block256_fn, NXB256, ck_hsum256, BLOCK256_TABLE, 0)

void ck_gemv_rows_batch(const ck_weight *w, int64_t row0, int64_t row1, const float *xp, int64_t xs, int nx,
                        const float *bias, float *y, int64_t ys, int wide) {
    for (int v0 = 0; v0 < nx; v0 += VMAX) { /* more than VMAX vectors: that many per pass over the rows */
        const int nv = nx - v0 < VMAX ? nx - v0 : VMAX;
        if (wide) rows512(w, row0, row1, xp + v0 * xs, xs, nv, bias, y + v0 * ys, ys);
        else rows256(w, row0, row1, xp + v0 * xs, xs, nv, bias, y + v0 * ys, ys);
    }
}
