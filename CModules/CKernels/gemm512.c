/*
 * Our own prefill GEMM on AVX-512: y[T, N] = x[T, K]·W[N, K]ᵀ + bias for a weight of any dtype, so that prefill does
 * not hinge on which kernel OpenBLAS picked for this CPU (OPENBLAS_CORETYPE=Haswell halves cblas_sgemm on an AVX-512
 * CPU) and a stored dtype is decoded straight into the packed panels instead of into float tiles for sgemm.
 *
 * Each thread owns a contiguous slice of the N outputs (a multiple of NR) and walks it in panels of NR outputs:
 *   for each NR-panel:  for each KC-slice of K:  pack W[panel, slice] → B[KC][NR] (decoded, transposed; in L1/L2)
 *                                                for each MR rows of x:  MR×NR micro-tile += x[rows, slice]·B
 * The micro-tile (MR = 6 rows × NR = 64 outputs: 24 zmm accumulators) broadcasts x straight from its rows (no packing
 * of x) and loads 4 vectors of B per k: 24 FMAs per 10 loads. C accumulates across KC-slices in memory (the tile of
 * one panel, T × NR floats, stays in L2).
 *
 * BF16 weights with the BF16-dot switch on (the default) on an AVX512-BF16 CPU: B holds bf16 pairs [KC/2][NR][2] and the
 * micro-tile runs vdpbf16ps (two products per lane and instruction) against x rounded to bf16 once per call — see the
 * vdpbf16ps section below.
 */
#include "ck_internal.h"

#define T512 __attribute__((target(CK_AVX512_TARGET)))
#define TBF16 __attribute__((target(CK_BF16_TARGET)))

enum {
    MR = 6,   /* rows of x per micro-tile */
    NR = 64,  /* outputs per panel (4 zmm) */
    KC = 256, /* K per packed slice (a multiple of every block size: 32, and 256 for super-blocks) */
};

/* ------------------------------------------------------------------ packing */

/* Source of one panel: 16-element loads of rows [n0, n0 + nr) × [k0, k0 + kc) as float vectors. F32, F16 and BF16 rows
 * are read in place; other dtypes are first decoded row by row into `rowbuf` [NR][KC] floats. */
typedef struct {
    int32_t kind;           /* 0 f32 / decoded, 1 f16, 2 bf16 */
    const uint8_t *row[NR]; /* start of element k0 of each row (NULL past nr: zeros) */
} panel_source;

T512 __attribute__((always_inline)) static inline __m512 load16(const panel_source *s, int j, int64_t kk, __mmask16 m) {
    const uint8_t *p = s->row[j];
    if (!p) return _mm512_setzero_ps();
    if (s->kind == 0) return _mm512_maskz_loadu_ps(m, p + 4 * kk);
    const __m256i h = _mm256_maskz_loadu_epi16(m, p + 2 * kk);
    if (s->kind == 1) return _mm512_cvtph_ps(h);
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
}

/* B[kk][j] = W[n0 + j][k0 + kk] for kk < kc, j < NR (zeros for j ≥ nr); kc rounded up to 16 with zeros. */
T512 static void pack_f32(const panel_source *s, int64_t kc, float *B) {
    for (int64_t kk = 0; kk < kc; kk += 16) {
        const __mmask16 m = kc - kk >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (kc - kk)) - 1);
        for (int j0 = 0; j0 < NR; j0 += 16) {
            __m512 r[16];
            for (int i = 0; i < 16; i++) r[i] = load16(s, j0 + i, kk, m);
            ck_transpose16(r);
            for (int c = 0; c < 16; c++) _mm512_store_ps(B + (kk + c) * NR + j0, r[c]);
        }
    }
}

/* Sets up the rows of the panel [n0, n0 + nr) × [k0, k0 + kc): in place for f32/f16/bf16, else decoded into rowbuf. */
static void panel_rows(const ck_weight *w, int64_t n0, int64_t nr, int64_t k0, int64_t kc, float *rowbuf,
                       panel_source *s) {
    const int32_t d = w->dtype;
    s->kind = d == CK_F16 ? 1 : d == CK_BF16 ? 2 : 0;
    for (int j = 0; j < NR; j++) {
        if (j >= nr) {
            s->row[j] = NULL;
        } else if (d == CK_F32 || d == CK_F16 || d == CK_BF16) {
            s->row[j] = ck_row_ptr(w, n0 + j) + ck_row_bytes(d, k0);
        } else { /* a one-row view of the slice, decoded by the dtype's row decoder (k0, kc are block multiples) */
            ck_weight v = *w;
            v.data = ck_row_ptr(w, n0 + j) + ck_row_bytes(d, k0);
            v.scales = w->scales ? ck_row_scales(w, n0 + j) + k0 / 32 : NULL;
            v.rows = 1;
            v.cols = kc;
            ck_decode_row_any(&v, 0, rowbuf + j * KC, 1);
            s->row[j] = (const uint8_t *)(rowbuf + j * KC);
        }
    }
}

/* ------------------------------------------------------------------ f32 micro-tile */

/* C[MRV rows][NR] (+)= x[MRV rows, kc]·B[kc][NR]; `first`: store instead of accumulate; bias (at the panel's first
 * output, or NULL) added at the store; nm[4]: the valid outputs of each zmm. */
T512 __attribute__((always_inline)) static inline void tile_f32(const int MRV, int64_t kc, const float *x, int64_t ldx,
                                                               const float *B, float *c, int64_t ldc,
                                                               const __mmask16 nm[4], int first, const float *bias) {
    __m512 acc[MR][4];
    for (int i = 0; i < MRV; i++)
        for (int j = 0; j < 4; j++) acc[i][j] = _mm512_setzero_ps();
    for (int64_t kk = 0; kk < kc; kk++) {
        const float *b = B + kk * NR;
        const __m512 b0 = _mm512_load_ps(b), b1 = _mm512_load_ps(b + 16), b2 = _mm512_load_ps(b + 32);
        const __m512 b3 = _mm512_load_ps(b + 48);
        for (int i = 0; i < MRV; i++) {
            const __m512 a = _mm512_set1_ps(x[i * ldx + kk]);
            acc[i][0] = _mm512_fmadd_ps(a, b0, acc[i][0]);
            acc[i][1] = _mm512_fmadd_ps(a, b1, acc[i][1]);
            acc[i][2] = _mm512_fmadd_ps(a, b2, acc[i][2]);
            acc[i][3] = _mm512_fmadd_ps(a, b3, acc[i][3]);
        }
    }
    for (int i = 0; i < MRV; i++)
        for (int j = 0; j < 4; j++)
            ck_tile_store16(c + i * ldc + 16 * j, acc[i][j], nm[j], first, bias ? bias + 16 * j : NULL);
}

#define TILE_F32(R)                                                                                                    \
    T512 static void tile_f32_##R(int64_t kc, const float *x, int64_t ldx, const float *B, float *c, int64_t ldc,     \
                                  const __mmask16 nm[4], int first, const float *bias) {                               \
        tile_f32(R, kc, x, ldx, B, c, ldc, nm, first, bias);                                                           \
    }
TILE_F32(1)
TILE_F32(2)
TILE_F32(3)
TILE_F32(4)
TILE_F32(5)
TILE_F32(6)
typedef void (*tile_f32_fn)(int64_t, const float *, int64_t, const float *, float *, int64_t, const __mmask16 *, int,
                            const float *);
static const tile_f32_fn tiles_f32[MR] = {tile_f32_1, tile_f32_2, tile_f32_3, tile_f32_4, tile_f32_5, tile_f32_6};

static void panel_masks(int64_t nr, __mmask16 nm[4]) {
    for (int j = 0; j < 4; j++) {
        const int64_t v = nr - 16 * j;
        nm[j] = v >= 16 ? (__mmask16)0xFFFF : v > 0 ? (__mmask16)((1u << v) - 1) : 0;
    }
}

/* Outputs [n_lo, n_hi) of y for all T rows (one thread's share). scratch: KC·NR floats of B, then NR·KC of rowbuf. */
static void gemm_f32_slice(const float *x, int64_t T, const ck_weight *w, const float *bias, float *y, int64_t n_lo,
                           int64_t n_hi, float *scratch) {
    const int64_t K = w->cols, N = w->rows;
    float *B = scratch, *rowbuf = scratch + KC * NR;
    for (int64_t n0 = n_lo; n0 < n_hi; n0 += NR) {
        const int64_t nr = n_hi - n0 < NR ? n_hi - n0 : NR;
        __mmask16 nm[4];
        panel_masks(nr, nm);
        for (int64_t k0 = 0; k0 < K; k0 += KC) {
            const int64_t kc = K - k0 < KC ? K - k0 : KC;
            panel_source src;
            panel_rows(w, n0, nr, k0, kc, rowbuf, &src);
            pack_f32(&src, kc, B);
            const int first = k0 == 0, last = k0 + kc >= K;
            for (int64_t m0 = 0; m0 < T; m0 += MR) {
                const int64_t mr = T - m0 < MR ? T - m0 : MR;
                tiles_f32[mr - 1](kc, x + m0 * K + k0, K, B, y + m0 * N + n0, N, nm, first,
                                  last && bias ? bias + n0 : NULL);
            }
        }
    }
}

/* ------------------------------------------------------------------ bf16 pairs through vdpbf16ps
 *
 * Numerics: vdpbf16ps multiplies bf16 by bf16 exactly and adds both products to the float32 lane with round-to-nearest
 * (denormals flushed), so the only change against the f32 path is x rounded to bf16 once per call (relative error
 * ≤ 2⁻⁹ per element: NMSE ≈ 3e-6 per linear, the size of BF16 weight storage's own rounding; ggml does the same for
 * BF16 weights). Twice the multiply-adds per instruction of the f32 FMA: 64 per 512-bit vdpbf16ps. */

/* x[T, K] → xb[T, KP] dwords, each the bf16 pair (x[2p], x[2p + 1]) rounded to nearest even (0 past K). */
TBF16 static void round_x_bf16(const float *x, int64_t t0, int64_t t1, int64_t K, int64_t KP, uint32_t *xb) {
    for (int64_t t = t0; t < t1; t++) {
        const float *xr = x + t * K;
        uint32_t *o = xb + t * KP;
        for (int64_t k = 0; k < 2 * KP; k += 32) {
            const int64_t left = K - k;
            const __mmask16 m0 = left >= 16 ? (__mmask16)0xFFFF : left > 0 ? (__mmask16)((1u << left) - 1) : 0;
            const __mmask16 m1 = left >= 32 ? (__mmask16)0xFFFF : left > 16 ? (__mmask16)((1u << (left - 16)) - 1) : 0;
            const __m512 a = _mm512_maskz_loadu_ps(m0, xr + k), b = _mm512_maskz_loadu_ps(m1, xr + k + 16);
            const __mmask16 mo = 2 * KP - k >= 32 ? (__mmask16)0xFFFF : (__mmask16)((1u << ((2 * KP - k) / 2)) - 1);
            _mm512_mask_storeu_epi32(o + k / 2, mo, (__m512i)_mm512_cvtne2ps_pbh(b, a)); /* low half from a */
        }
    }
}

/* B[p][j] = the bf16 pair W[n0 + j][k0 + 2p, k0 + 2p + 1] as a dword, p < kc/2 (kc even; pairs past kc zero). */
T512 static void pack_bf16_pairs(const ck_weight *w, int64_t n0, int64_t nr, int64_t k0, int64_t kc, uint32_t *B) {
    const int64_t pairs = (kc + 1) / 2;
    for (int64_t p = 0; p < pairs; p += 16) {
        const int64_t left = kc - 2 * p; /* bf16 elements left in the slice */
        const __mmask32 m = left >= 32 ? ~(__mmask32)0 : ((__mmask32)1 << left) - 1;
        for (int j0 = 0; j0 < NR; j0 += 16) {
            __m512 r[16];
            for (int i = 0; i < 16; i++)
                r[i] = j0 + i < nr ? _mm512_castsi512_ps(_mm512_maskz_loadu_epi16(
                                         m, ck_row_ptr(w, n0 + j0 + i) + 2 * (k0 + 2 * p)))
                                   : _mm512_setzero_ps();
            ck_transpose16(r);
            for (int c = 0; c < 16; c++) _mm512_store_ps((float *)(B + (p + c) * NR + j0), r[c]);
        }
    }
}

TBF16 __attribute__((always_inline)) static inline void tile_bf16(const int MRV, int64_t pairs, const uint32_t *xb,
                                                                 int64_t ldx, const uint32_t *B, float *c, int64_t ldc,
                                                                 const __mmask16 nm[4], int first, const float *bias) {
    __m512 acc[MR][4];
    for (int i = 0; i < MRV; i++)
        for (int j = 0; j < 4; j++) acc[i][j] = _mm512_setzero_ps();
    for (int64_t p = 0; p < pairs; p++) {
        const uint32_t *b = B + p * NR;
        const __m512bh b0 = (__m512bh)_mm512_load_si512(b), b1 = (__m512bh)_mm512_load_si512(b + 16);
        const __m512bh b2 = (__m512bh)_mm512_load_si512(b + 32), b3 = (__m512bh)_mm512_load_si512(b + 48);
        for (int i = 0; i < MRV; i++) {
            const __m512bh a = (__m512bh)_mm512_set1_epi32((int)xb[i * ldx + p]);
            acc[i][0] = _mm512_dpbf16_ps(acc[i][0], a, b0);
            acc[i][1] = _mm512_dpbf16_ps(acc[i][1], a, b1);
            acc[i][2] = _mm512_dpbf16_ps(acc[i][2], a, b2);
            acc[i][3] = _mm512_dpbf16_ps(acc[i][3], a, b3);
        }
    }
    for (int i = 0; i < MRV; i++)
        for (int j = 0; j < 4; j++)
            ck_tile_store16(c + i * ldc + 16 * j, acc[i][j], nm[j], first, bias ? bias + 16 * j : NULL);
}

#define TILE_BF16(R)                                                                                                   \
    TBF16 static void tile_bf16_##R(int64_t pairs, const uint32_t *xb, int64_t ldx, const uint32_t *B, float *c,      \
                                    int64_t ldc, const __mmask16 nm[4], int first, const float *bias) {                \
        tile_bf16(R, pairs, xb, ldx, B, c, ldc, nm, first, bias);                                                      \
    }
TILE_BF16(1)
TILE_BF16(2)
TILE_BF16(3)
TILE_BF16(4)
TILE_BF16(5)
TILE_BF16(6)
typedef void (*tile_bf16_fn)(int64_t, const uint32_t *, int64_t, const uint32_t *, float *, int64_t, const __mmask16 *,
                             int, const float *);
static const tile_bf16_fn tiles_bf16[MR] = {tile_bf16_1, tile_bf16_2, tile_bf16_3,
                                           tile_bf16_4, tile_bf16_5, tile_bf16_6};

static void gemm_bf16_slice(const uint32_t *xb, int64_t KP, int64_t T, const ck_weight *w, const float *bias, float *y,
                            int64_t n_lo, int64_t n_hi, uint32_t *B) {
    const int64_t K = w->cols, N = w->rows;
    for (int64_t n0 = n_lo; n0 < n_hi; n0 += NR) {
        const int64_t nr = n_hi - n0 < NR ? n_hi - n0 : NR;
        __mmask16 nm[4];
        panel_masks(nr, nm);
        for (int64_t k0 = 0; k0 < K; k0 += KC) {
            const int64_t kc = K - k0 < KC ? K - k0 : KC, pairs = (kc + 1) / 2;
            pack_bf16_pairs(w, n0, nr, k0, kc, B);
            const int first = k0 == 0, last = k0 + kc >= K;
            for (int64_t m0 = 0; m0 < T; m0 += MR) {
                const int64_t mr = T - m0 < MR ? T - m0 : MR;
                tiles_bf16[mr - 1](pairs, xb + m0 * KP + k0 / 2, KP, B, y + m0 * N + n0, N, nm, first,
                                   last && bias ? bias + n0 : NULL);
            }
        }
    }
}

/* ------------------------------------------------------------------ driver */

int64_t ck_gemm512_scratch_floats(void) { return KC * NR + NR * KC; }

int ck_gemm512(ck_context *ctx, const float *x, int64_t T, const ck_weight *w, const float *bias, float *y, int team,
               int exact) {
    const int64_t N = w->rows, K = w->cols;
    if (ck_gemm_vnni_takes(w->dtype) && ck_vnni_enabled()) return ck_gemm_vnni(ctx, x, T, w, bias, y, team, exact);
    for (int i = 0; i < team; i++)
        if (!ck_buffer_reserve(&ctx->thread_scratch[i], ck_gemm512_scratch_floats())) return CK_ERR_NOMEM;
    if (w->dtype == CK_BF16 && !exact && ck_bf16_dot_enabled()) {
        const int64_t KP = (K + 1) / 2;
        uint32_t *xb = (uint32_t *)ck_buffer_reserve(&ctx->shared[CK_SHARED_GEMM_X], T * KP);
        if (!xb) return CK_ERR_NOMEM;
        CK_PARALLEL(team, nt, id, {
            int64_t lo, hi;
            ck_split(T, nt, id, 1, &lo, &hi);
            round_x_bf16(x, lo, hi, K, KP, xb);
            CK_BARRIER(nt);
            ck_split(N, nt, id, 16, &lo, &hi);
            if (hi > lo) gemm_bf16_slice(xb, KP, T, w, bias, y, lo, hi, (uint32_t *)ctx->thread_scratch[id].ptr);
        });
        return CK_OK;
    }
    CK_PARALLEL(team, nt, id, {
        int64_t n_lo, n_hi;
        ck_split(N, nt, id, 16, &n_lo, &n_hi);
        if (n_hi > n_lo) gemm_f32_slice(x, T, w, bias, y, n_lo, n_hi, ctx->thread_scratch[id].ptr);
    });
    return CK_OK;
}
