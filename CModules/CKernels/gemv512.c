/*
 * GEMV rows of float-type weights (F32, F16, BF16) on 512-bit AVX-512: the path ck_gemv_rows takes for these dtypes
 * behind ck_avx512_enabled() with 2–4 activation vectors (T = 2–4: 1.9–2.1× the AVX2 loop, which keeps T = 1; see
 * quant.c). Activations stay float32 (x in the prepared layout of quant.c: natural order for f32 and
 * f16; per 32 elements the 16 even ones, then the 16 odd ones for bf16, so a bf16 dword [even | odd << 16] widens to
 * two float vectors with one shift and one mask). Each weight byte is read once per call for up to CK_GEMV_NX_MAX
 * vectors, with software prefetch ahead of the stream.
 *
 * vdpbf16ps is not used here: it would round the activations to bf16 (NMSE ~1e-6 per linear instead of ~1e-12), and
 * a GEMV is bound by the weight stream, which float activations already keep up with (see README, "512-bit kernels").
 */
#include "ck_internal.h"

#define T512 __attribute__((target(CK_AVX512_TARGET)))

/* Weight bytes this far ahead are prefetched into L1 and L2 (as the integer GEMVs do: the hardware prefetcher alone
 * leaves a streaming GEMV well short of a plain read on this class of machine). */
enum { PREFETCH_L1 = 6144, PREFETCH_L2 = 24576 };

static inline void prefetch_line(const uint8_t *p) {
    _mm_prefetch((const char *)p + PREFETCH_L1, _MM_HINT_T0);
    _mm_prefetch((const char *)p + PREFETCH_L2, _MM_HINT_T1);
}

/* The 32 weights at element i as two float vectors matching x + i and x + i + 16 of the prepared layout. */
T512 __attribute__((always_inline)) static inline void load32(int32_t dtype, const uint8_t *row, int64_t i, __m512 *a,
                                                             __m512 *b) {
    if (dtype == CK_F32) {
        prefetch_line(row + 4 * i);
        prefetch_line(row + 4 * i + 64);
        *a = _mm512_loadu_ps(row + 4 * i);
        *b = _mm512_loadu_ps(row + 4 * i + 64);
    } else if (dtype == CK_F16) {
        prefetch_line(row + 2 * i);
        *a = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(row + 2 * i)));
        *b = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(row + 2 * i + 32)));
    } else {
        prefetch_line(row + 2 * i);
        const __m512i v = _mm512_loadu_si512(row + 2 * i);
        *a = _mm512_castsi512_ps(_mm512_slli_epi32(v, 16));                                /* the 16 evens */
        *b = _mm512_castsi512_ps(_mm512_and_si512(v, _mm512_set1_epi32((int)0xFFFF0000u))); /* the 16 odds */
    }
}

/* The last n − i < 32 weights (natural order in the prepared layout of every dtype), lanes [i, i + 16) of them. */
T512 __attribute__((always_inline)) static inline __m512 load_tail16(int32_t dtype, const uint8_t *row, int64_t i,
                                                                    __mmask16 m) {
    if (dtype == CK_F32) return _mm512_maskz_loadu_ps(m, row + 4 * i);
    const __m256i h = _mm256_maskz_loadu_epi16(m, row + 2 * i);
    if (dtype == CK_F16) return _mm512_cvtph_ps(h);
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
}

/* R rows (1 or 2) against NX vectors, dtype, R and NX compile-time constants at each call site (every loop is
 * specialised). Two rows share each load of x from 3 vectors on: 4 vectors of x are 46 KB at K = 2880, beyond L1,
 * and one row per pass then waits on L2 for x (bf16 T = 4, one core: 8.8 → 13.7 GB/s; T = 2, where x fits L1, is
 * faster one row at a time: 22.7 against 15.6). Two accumulators per (row, vector); NX = 1 keeps four chains over 64
 * weights per step (ck_gemv_rows runs one vector on the AVX2 loop; this serves the rest of more than 4). */
T512 __attribute__((always_inline)) static inline void row_dots(const ck_weight *w, const int32_t dtype, int64_t r,
                                                               const int R, const float *xp, int64_t xs, const int NX,
                                                               float res[2][CK_GEMV_NX_MAX]) {
    const uint8_t *row[2] = {ck_row_ptr(w, r), R > 1 ? ck_row_ptr(w, r + 1) : NULL};
    const int64_t n = w->cols;
    __m512 acc[2][CK_GEMV_NX_MAX][2], acc2 = _mm512_setzero_ps(), acc3 = _mm512_setzero_ps();
    for (int j = 0; j < R; j++)
        for (int k = 0; k < NX; k++) acc[j][k][0] = acc[j][k][1] = _mm512_setzero_ps();
    int64_t i = 0;
    if (NX == 1 && R == 1) {
        for (; i + 64 <= n; i += 64) {
            __m512 a, b, c, d;
            load32(dtype, row[0], i, &a, &b);
            load32(dtype, row[0], i + 32, &c, &d);
            acc[0][0][0] = _mm512_fmadd_ps(a, _mm512_loadu_ps(xp + i), acc[0][0][0]);
            acc[0][0][1] = _mm512_fmadd_ps(b, _mm512_loadu_ps(xp + i + 16), acc[0][0][1]);
            acc2 = _mm512_fmadd_ps(c, _mm512_loadu_ps(xp + i + 32), acc2);
            acc3 = _mm512_fmadd_ps(d, _mm512_loadu_ps(xp + i + 48), acc3);
        }
    }
    for (; i + 32 <= n; i += 32) {
        __m512 a[2], b[2];
        for (int j = 0; j < R; j++) load32(dtype, row[j], i, &a[j], &b[j]);
        for (int k = 0; k < NX; k++) {
            const __m512 x0 = _mm512_loadu_ps(xp + k * xs + i), x1 = _mm512_loadu_ps(xp + k * xs + i + 16);
            for (int j = 0; j < R; j++) {
                acc[j][k][0] = _mm512_fmadd_ps(a[j], x0, acc[j][k][0]);
                acc[j][k][1] = _mm512_fmadd_ps(b[j], x1, acc[j][k][1]);
            }
        }
    }
    for (; i < n; i += 16) {
        const __mmask16 m = n - i >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - i)) - 1);
        for (int j = 0; j < R; j++) {
            const __m512 a = load_tail16(dtype, row[j], i, m);
            for (int k = 0; k < NX; k++)
                acc[j][k][0] = _mm512_fmadd_ps(a, _mm512_maskz_loadu_ps(m, xp + k * xs + i), acc[j][k][0]);
        }
    }
    for (int j = 0; j < R; j++)
        for (int k = 0; k < NX; k++) {
            __m512 t = _mm512_add_ps(acc[j][k][0], acc[j][k][1]);
            if (NX == 1 && R == 1) t = _mm512_add_ps(t, _mm512_add_ps(acc2, acc3));
            res[j][k] = _mm512_reduce_add_ps(t);
        }
}

/* Rows [row0, row1) against NX vectors: passes of two rows for NX ≥ 3, then one. */
#define ROWS_512(NAME, DTYPE, NX)                                                                                      \
    T512 static void NAME(const ck_weight *w, int64_t row0, int64_t row1, const float *xp, int64_t xs,                 \
                          const float *bias, float *y, int64_t ys) {                                                   \
        float res[2][CK_GEMV_NX_MAX];                                                                                  \
        int64_t r = row0;                                                                                              \
        for (; NX > 2 && r + 2 <= row1; r += 2) {                                                                      \
            row_dots(w, DTYPE, r, 2, xp, xs, NX, res);                                                                 \
            for (int j = 0; j < 2; j++)                                                                                \
                for (int k = 0; k < NX; k++) y[k * ys + (r + j - row0)] = res[j][k] + (bias ? bias[r + j] : 0.f);     \
        }                                                                                                              \
        for (; r < row1; r++) {                                                                                        \
            row_dots(w, DTYPE, r, 1, xp, xs, NX, res);                                                                 \
            for (int k = 0; k < NX; k++) y[k * ys + (r - row0)] = res[0][k] + (bias ? bias[r] : 0.f);                 \
        }                                                                                                              \
    }
#define ROWS_512_NX(D, DTYPE) ROWS_512(rows_##D##_1, DTYPE, 1) ROWS_512(rows_##D##_2, DTYPE, 2) \
    ROWS_512(rows_##D##_3, DTYPE, 3) ROWS_512(rows_##D##_4, DTYPE, 4)
ROWS_512_NX(f32, CK_F32)
ROWS_512_NX(f16, CK_F16)
ROWS_512_NX(bf16, CK_BF16)

typedef void (*rows_fn)(const ck_weight *, int64_t, int64_t, const float *, int64_t, const float *, float *, int64_t);

void ck_gemv_rows_float512(const ck_weight *w, int64_t row0, int64_t row1, const float *xp, int64_t xs, int nx,
                           const float *bias, float *y, int64_t ys) {
    static const rows_fn fns[3][CK_GEMV_NX_MAX] = {{rows_f32_1, rows_f32_2, rows_f32_3, rows_f32_4},
                                                   {rows_f16_1, rows_f16_2, rows_f16_3, rows_f16_4},
                                                   {rows_bf16_1, rows_bf16_2, rows_bf16_3, rows_bf16_4}};
    const rows_fn *f = fns[w->dtype == CK_F32 ? 0 : w->dtype == CK_F16 ? 1 : 2];
    while (nx > 0) { /* more than CK_GEMV_NX_MAX vectors: that many per pass over the rows */
        const int step = nx > CK_GEMV_NX_MAX ? CK_GEMV_NX_MAX : nx;
        f[step - 1](w, row0, row1, xp, xs, bias, y, ys);
        nx -= step;
        xp += step * xs;
        y += step * ys;
    }
}
