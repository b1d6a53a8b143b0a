/*
 * GEMV rows of float-type weights (F32, F16, BF16) on 512-bit AVX-512: the path ck_gemv_rows takes for these dtypes
 * behind ck_avx512_enabled(). Activations stay float32 (x in the prepared layout of quant.c: natural order for f32 and
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

/* One row against NX vectors (NX a compile-time constant at each call site): two accumulators per vector, four for
 * NX = 1. */
T512 __attribute__((always_inline)) static inline void row_dot(const ck_weight *w, int64_t r, const float *xp,
                                                              int64_t xs, const int NX, float *res) {
    const uint8_t *row = ck_row_ptr(w, r);
    const int32_t dtype = w->dtype;
    const int64_t n = w->cols;
    __m512 acc[CK_GEMV_NX_MAX][2], acc2 = _mm512_setzero_ps(), acc3 = _mm512_setzero_ps();
    for (int k = 0; k < NX; k++) acc[k][0] = acc[k][1] = _mm512_setzero_ps();
    int64_t i = 0;
    if (NX == 1) {
        for (; i + 64 <= n; i += 64) {
            __m512 a, b, c, d;
            load32(dtype, row, i, &a, &b);
            load32(dtype, row, i + 32, &c, &d);
            acc[0][0] = _mm512_fmadd_ps(a, _mm512_loadu_ps(xp + i), acc[0][0]);
            acc[0][1] = _mm512_fmadd_ps(b, _mm512_loadu_ps(xp + i + 16), acc[0][1]);
            acc2 = _mm512_fmadd_ps(c, _mm512_loadu_ps(xp + i + 32), acc2);
            acc3 = _mm512_fmadd_ps(d, _mm512_loadu_ps(xp + i + 48), acc3);
        }
    }
    for (; i + 32 <= n; i += 32) {
        __m512 a, b;
        load32(dtype, row, i, &a, &b);
        for (int k = 0; k < NX; k++) {
            acc[k][0] = _mm512_fmadd_ps(a, _mm512_loadu_ps(xp + k * xs + i), acc[k][0]);
            acc[k][1] = _mm512_fmadd_ps(b, _mm512_loadu_ps(xp + k * xs + i + 16), acc[k][1]);
        }
    }
    for (; i < n; i += 16) {
        const __mmask16 m = n - i >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - i)) - 1);
        const __m512 a = load_tail16(dtype, row, i, m);
        for (int k = 0; k < NX; k++) acc[k][0] = _mm512_fmadd_ps(a, _mm512_maskz_loadu_ps(m, xp + k * xs + i), acc[k][0]);
    }
    for (int k = 0; k < NX; k++) {
        __m512 t = _mm512_add_ps(acc[k][0], acc[k][1]);
        if (NX == 1) t = _mm512_add_ps(t, _mm512_add_ps(acc2, acc3));
        res[k] = _mm512_reduce_add_ps(t);
    }
}

#define ROWS_512(NX)                                                                                                   \
    T512 static void rows_512_##NX(const ck_weight *w, int64_t row0, int64_t row1, const float *xp, int64_t xs,        \
                                   const float *bias, float *y, int64_t ys) {                                          \
        for (int64_t r = row0; r < row1; r++) {                                                                        \
            float res[CK_GEMV_NX_MAX];                                                                                 \
            row_dot(w, r, xp, xs, NX, res);                                                                            \
            const float b = bias ? bias[r] : 0.f;                                                                      \
            for (int k = 0; k < NX; k++) y[k * ys + (r - row0)] = res[k] + b;                                          \
        }                                                                                                              \
    }
ROWS_512(1)
ROWS_512(2)
ROWS_512(3)
ROWS_512(4)

void ck_gemv_rows_float512(const ck_weight *w, int64_t row0, int64_t row1, const float *xp, int64_t xs, int nx,
                           const float *bias, float *y, int64_t ys) {
    static void (*const fns[CK_GEMV_NX_MAX])(const ck_weight *, int64_t, int64_t, const float *, int64_t,
                                             const float *, float *, int64_t) = {rows_512_1, rows_512_2, rows_512_3,
                                                                                 rows_512_4};
    while (nx > 0) { /* more than CK_GEMV_NX_MAX vectors: that many per pass over the rows */
        const int step = nx > CK_GEMV_NX_MAX ? CK_GEMV_NX_MAX : nx;
        fns[step - 1](w, row0, row1, xp, xs, bias, y, ys);
        nx -= step;
        xp += step * xs;
        y += step * ys;
    }
}
