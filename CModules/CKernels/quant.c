/*
 * Weight decoding and GEMV-class dot products for F32/F16/BF16/Q8_0/MXFP4 weights.
 *
 * Two paths with the same results up to float summation order: AVX2+FMA+F16C (decode in registers, stream each weight
 * byte once) and a portable scalar path. The AVX2 path reads activations in a "prepared" layout chosen so that decoding
 * needs no cross-lane shuffles (BF16: evens/odds per 16; MXFP4: the order `mxfp4_perm` gives). Weight bytes are only
 * 1-byte aligned: every load is unaligned.
 */
#include "ck_internal.h"
#include <immintrin.h>
#include <math.h>

/* ------------------------------------------------------------------ scalar codecs (the definitions) */

static const float fp4_values[16] = {0.f, .5f, 1.f, 1.5f, 2.f, 3.f, 4.f, 6.f,
                                     -0.f, -.5f, -1.f, -1.5f, -2.f, -3.f, -4.f, -6.f};

/* E8M0 → 2^(s−127); s = 0 is 2^−127 (subnormal), s = 255 is 2^128 = +inf (as ldexp in the reference). */
static inline float e8m0_to_float(uint8_t s) {
    uint32_t bits = s == 0 ? 0x00400000u : (uint32_t)s << 23;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

static inline float bf16_to_float(uint16_t h) {
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

/* IEEE half → float, portable (normals, subnormals, inf, NaN). */
static inline float f16_to_float(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exp = (h >> 10) & 0x1F, man = h & 0x3FF, bits;
    if (exp == 0) {
        if (man == 0) {
            bits = sign;
        } else { /* subnormal: normalise */
            int e = -1;
            do { e++; man <<= 1; } while (!(man & 0x400));
            bits = sign | ((uint32_t)(127 - 15 - e) << 23) | ((man & 0x3FF) << 13);
        }
    } else if (exp == 31) {
        bits = sign | 0x7F800000u | (man << 13);
    } else {
        bits = sign | ((exp + 127 - 15) << 23) | (man << 13);
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

static inline uint16_t load_u16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static inline float load_f32(const uint8_t *p) { float v; memcpy(&v, p, 4); return v; }

static void decode_row_scalar(const ck_weight *w, int64_t r, float *out) {
    const uint8_t *row = ck_row_ptr(w, r);
    const int64_t n = w->cols;
    switch (w->dtype) {
    case CK_F32:
        memcpy(out, row, (size_t)n * 4);
        break;
    case CK_F16:
        for (int64_t i = 0; i < n; i++) out[i] = f16_to_float(load_u16(row + 2 * i));
        break;
    case CK_BF16:
        for (int64_t i = 0; i < n; i++) out[i] = bf16_to_float(load_u16(row + 2 * i));
        break;
    case CK_Q8_0:
        for (int64_t b = 0; b < n / 32; b++) {
            const uint8_t *blk = row + 34 * b;
            float d = f16_to_float(load_u16(blk));
            for (int k = 0; k < 32; k++) out[32 * b + k] = d * (float)(int8_t)blk[2 + k];
        }
        break;
    case CK_MXFP4: {
        const uint8_t *sc = ck_row_scales(w, r);
        for (int64_t b = 0; b < n / 32; b++) {
            float s = e8m0_to_float(sc[b]);
            for (int j = 0; j < 16; j++) {
                uint8_t v = row[16 * b + j];
                out[32 * b + 2 * j] = fp4_values[v & 15] * s;
                out[32 * b + 2 * j + 1] = fp4_values[v >> 4] * s;
            }
        }
        break;
    }
    }
}

/* ------------------------------------------------------------------ AVX2 building blocks */

/* bf16 bytes of the 16 E2M1 values, for pshufb (hi and lo byte of each bf16). Exact, −0 included. */
#define MXFP4_HI 0x00, 0x3F, 0x3F, 0x3F, 0x40, 0x40, 0x40, 0x40, 0x80, 0xBF, 0xBF, 0xBF, 0xC0, 0xC0, 0xC0, 0xC0
#define MXFP4_LO 0x00, 0x00, 0x80, 0xC0, 0x00, 0x40, 0x80, 0xC0, 0x00, 0x00, 0x80, 0xC0, 0x00, 0x40, 0x80, 0xC0

/* Decodes one MXFP4 block (16 bytes) to 32 floats in the prepared order (see mxfp4_perm), without the scale. */
__attribute__((target("avx2,fma"))) static inline void mxfp4_block_avx2(const uint8_t *blk, __m256 *p0, __m256 *p1,
                                                                          __m256 *p2, __m256 *p3) {
    const __m256i hi_lut = _mm256_setr_epi8(MXFP4_HI, MXFP4_HI);
    const __m256i lo_lut = _mm256_setr_epi8(MXFP4_LO, MXFP4_LO);
    const __m256i shifts = _mm256_setr_epi32(0, 0, 0, 0, 4, 4, 4, 4);
    const __m256i m4 = _mm256_set1_epi8(0x0F);
    const __m256i mhi = _mm256_set1_epi32((int)0xFFFF0000u);
    __m256i v = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)blk));
    __m256i nib = _mm256_and_si256(_mm256_srlv_epi32(v, shifts), m4); /* lane0: low nibbles, lane1: high */
    __m256i hb = _mm256_shuffle_epi8(hi_lut, nib);
    __m256i lb = _mm256_shuffle_epi8(lo_lut, nib);
    __m256i w0 = _mm256_unpacklo_epi8(lb, hb); /* bf16 words */
    __m256i w1 = _mm256_unpackhi_epi8(lb, hb);
    *p0 = _mm256_castsi256_ps(_mm256_slli_epi32(w0, 16));
    *p1 = _mm256_castsi256_ps(_mm256_and_si256(w0, mhi));
    *p2 = _mm256_castsi256_ps(_mm256_slli_epi32(w1, 16));
    *p3 = _mm256_castsi256_ps(_mm256_and_si256(w1, mhi));
}

/* Element of the block that lands at position i (0…31) of the prepared order: vector v = i/8, dword d = i%8. */
static inline int mxfp4_perm(int i) {
    int v = i / 8, d = i % 8;
    int k = 2 * (d % 4) + (v % 2) + 8 * (v / 2); /* byte of the block */
    return 2 * k + d / 4;                         /* low nibble (d < 4) = even element */
}

/* 2^(s−127) and half of it (exact: a power of two, subnormal for s ≤ 1, inf for s = 255). */
static float e8m0_table[256], e8m0_half_table[256];
static pthread_once_t table_once = PTHREAD_ONCE_INIT;
static void init_tables(void) {
    for (int s = 0; s < 256; s++) {
        e8m0_table[s] = e8m0_to_float((uint8_t)s);
        e8m0_half_table[s] = e8m0_table[s] * 0.5f;
    }
}

__attribute__((target("avx2,fma,f16c"))) static void decode_row_avx2(const ck_weight *w, int64_t r, float *out) {
    const uint8_t *row = ck_row_ptr(w, r);
    const int64_t n = w->cols;
    int64_t i = 0;
    switch (w->dtype) {
    case CK_F32:
        memcpy(out, row, (size_t)n * 4);
        return;
    case CK_F16:
        for (; i + 8 <= n; i += 8)
            _mm256_storeu_ps(out + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(row + 2 * i))));
        for (; i < n; i++) out[i] = _cvtsh_ss(load_u16(row + 2 * i));
        return;
    case CK_BF16:
        for (; i + 8 <= n; i += 8) {
            __m256i h = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(row + 2 * i)));
            _mm256_storeu_ps(out + i, _mm256_castsi256_ps(_mm256_slli_epi32(h, 16)));
        }
        for (; i < n; i++) out[i] = bf16_to_float(load_u16(row + 2 * i));
        return;
    case CK_Q8_0:
        for (int64_t b = 0; b < n / 32; b++) {
            const uint8_t *blk = row + 34 * b;
            __m256 d = _mm256_set1_ps(_cvtsh_ss(load_u16(blk)));
            for (int k = 0; k < 4; k++) {
                __m256i q = _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(blk + 2 + 8 * k)));
                _mm256_storeu_ps(out + 32 * b + 8 * k, _mm256_mul_ps(_mm256_cvtepi32_ps(q), d));
            }
        }
        return;
    case CK_MXFP4: {
        /* Natural order: interleave low/high nibbles, look up 2·value as int8 (exact), scale by 2^(s−127)/2. */
        const __m128i lut2 = _mm_setr_epi8(0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12);
        const __m128i m4 = _mm_set1_epi8(0x0F);
        const uint8_t *sc = ck_row_scales(w, r);
        for (int64_t b = 0; b < n / 32; b++) {
            __m128i v = _mm_loadu_si128((const __m128i *)(row + 16 * b));
            __m128i lo = _mm_and_si128(v, m4), hi = _mm_and_si128(_mm_srli_epi16(v, 4), m4);
            __m128i q0 = _mm_shuffle_epi8(lut2, _mm_unpacklo_epi8(lo, hi)); /* elements 0…15 */
            __m128i q1 = _mm_shuffle_epi8(lut2, _mm_unpackhi_epi8(lo, hi)); /* elements 16…31 */
            __m256 s = _mm256_set1_ps(e8m0_half_table[sc[b]]);
            float *o = out + 32 * b;
            _mm256_storeu_ps(o, _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q0)), s));
            _mm256_storeu_ps(o + 8, _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(q0, 8))), s));
            _mm256_storeu_ps(o + 16, _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q1)), s));
            _mm256_storeu_ps(o + 24, _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(q1, 8))), s));
        }
        return;
    }
    }
}

void ck_decode_row_any(const ck_weight *w, int64_t r, float *out, int avx2) {
    pthread_once(&table_once, init_tables);
    if (avx2) decode_row_avx2(w, r, out);
    else decode_row_scalar(w, r, out);
}

int ck_decode_rows(const ck_weight *w, int64_t row0, int64_t n, float *out) {
    if (w->dtype < CK_F32 || w->dtype > CK_MXFP4) return CK_ERR_DTYPE;
    int avx2 = ck_avx2_enabled();
    for (int64_t r = 0; r < n; r++) ck_decode_row_any(w, row0 + r, out + r * w->cols, avx2);
    return CK_OK;
}

/* ------------------------------------------------------------------ prepared activations */

int ck_needs_prepared_x(const ck_weight *w) { return w->dtype == CK_BF16 || w->dtype == CK_MXFP4; }

void ck_prepare_x(const ck_weight *w, const float *x, float *xp, int avx2) {
    const int64_t n = w->cols;
    if (!avx2 || !ck_needs_prepared_x(w)) {
        memcpy(xp, x, (size_t)n * 4);
        return;
    }
    if (w->dtype == CK_BF16) { /* per 16: the 8 even elements, then the 8 odd ones (a dword = [even | odd << 16]) */
        int64_t i = 0;
        for (; i + 16 <= n; i += 16)
            for (int k = 0; k < 8; k++) { xp[i + k] = x[i + 2 * k]; xp[i + 8 + k] = x[i + 2 * k + 1]; }
        for (; i < n; i++) xp[i] = x[i];
    } else { /* MXFP4 */
        int perm[32];
        for (int k = 0; k < 32; k++) perm[k] = mxfp4_perm(k);
        for (int64_t b = 0; b < n; b += 32)
            for (int k = 0; k < 32; k++) xp[b + k] = x[b + perm[k]];
    }
}

/* ------------------------------------------------------------------ GEMV rows, scalar */

static void gemv_rows_scalar(const ck_weight *w, int64_t row0, int64_t row1, const float *xp, int64_t xs, int nx,
                             const float *bias, float *y, int64_t ys) {
    const int64_t n = w->cols;
    for (int64_t r = row0; r < row1; r++) {
        const uint8_t *row = ck_row_ptr(w, r);
        for (int k = 0; k < nx; k++) {
            const float *x = xp + k * xs;
            float acc = 0.f;
            switch (w->dtype) {
            case CK_F32:
                for (int64_t i = 0; i < n; i++) acc += load_f32(row + 4 * i) * x[i];
                break;
            case CK_F16:
                for (int64_t i = 0; i < n; i++) acc += f16_to_float(load_u16(row + 2 * i)) * x[i];
                break;
            case CK_BF16:
                for (int64_t i = 0; i < n; i++) acc += bf16_to_float(load_u16(row + 2 * i)) * x[i];
                break;
            case CK_Q8_0:
                for (int64_t b = 0; b < n / 32; b++) {
                    const uint8_t *blk = row + 34 * b;
                    float s = 0.f;
                    for (int j = 0; j < 32; j++) s += (float)(int8_t)blk[2 + j] * x[32 * b + j];
                    acc += s * f16_to_float(load_u16(blk));
                }
                break;
            case CK_MXFP4: {
                const uint8_t *sc = ck_row_scales(w, r);
                for (int64_t b = 0; b < n / 32; b++) {
                    float s = 0.f;
                    for (int j = 0; j < 16; j++) {
                        uint8_t v = row[16 * b + j];
                        s += fp4_values[v & 15] * x[32 * b + 2 * j] + fp4_values[v >> 4] * x[32 * b + 2 * j + 1];
                    }
                    acc += s * e8m0_to_float(sc[b]);
                }
                break;
            }
            }
            y[k * ys + (r - row0)] = acc + (bias ? bias[r] : 0.f);
        }
    }
}

/* ------------------------------------------------------------------ GEMV rows, AVX2 */

__attribute__((target("avx2,fma"))) static inline float hsum256(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* 16 weights of a float-type row starting at element i, as two float vectors (bf16: see the prepared layout). */
__attribute__((target("avx2,fma,f16c"), always_inline)) static inline void
load16_float_type(int32_t dtype, const uint8_t *row, int64_t i, __m256 *a, __m256 *b) {
    if (dtype == CK_F32) {
        *a = _mm256_loadu_ps((const float *)(row + 4 * i));
        *b = _mm256_loadu_ps((const float *)(row + 4 * i + 32));
    } else if (dtype == CK_F16) {
        *a = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(row + 2 * i)));
        *b = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(row + 2 * i + 16)));
    } else { /* BF16: a dword holds [even | odd << 16]; x is prepared as 8 evens then 8 odds per 16 */
        __m256i v = _mm256_loadu_si256((const __m256i *)(row + 2 * i));
        *a = _mm256_castsi256_ps(_mm256_slli_epi32(v, 16));
        *b = _mm256_castsi256_ps(_mm256_and_si256(v, _mm256_set1_epi32((int)0xFFFF0000u)));
    }
}

static inline float scalar_weight(int32_t dtype, const uint8_t *row, int64_t i) {
    switch (dtype) {
    case CK_F32: return load_f32(row + 4 * i);
    case CK_F16: return f16_to_float(load_u16(row + 2 * i));
    default: return bf16_to_float(load_u16(row + 2 * i));
    }
}

/* One weight row against NX prepared activation vectors. NX is a compile-time constant at every call site, so the
 * compiler specialises each loop. Accumulator indices are compile-time constants (a runtime index such as
 * acc[b & 3] puts the accumulators on the stack), and there are enough independent chains to hide FMA latency:
 * four for NX = 1, two per vector for NX ≥ 2 (16 accumulators would spill). */
#define CK_NX_MAX 4

__attribute__((target("avx2,fma,f16c"), always_inline)) static inline void
row_dot_avx2(const ck_weight *w, int64_t r, const float *xp, int64_t xs, const int NX, float *res) {
    const uint8_t *row = ck_row_ptr(w, r);
    const int64_t n = w->cols;
    __m256 acc[CK_NX_MAX][4];
    for (int k = 0; k < NX; k++)
        for (int c = 0; c < 4; c++) acc[k][c] = _mm256_setzero_ps();
    float tail[CK_NX_MAX] = {0.f, 0.f, 0.f, 0.f};
    switch (w->dtype) {
    case CK_F32:
    case CK_F16:
    case CK_BF16: {
        int64_t i = 0;
        if (NX == 1) {
            for (; i + 32 <= n; i += 32) {
                __m256 w0, w1, w2, w3;
                load16_float_type(w->dtype, row, i, &w0, &w1);
                load16_float_type(w->dtype, row, i + 16, &w2, &w3);
                const float *x = xp + i;
                acc[0][0] = _mm256_fmadd_ps(w0, _mm256_loadu_ps(x), acc[0][0]);
                acc[0][1] = _mm256_fmadd_ps(w1, _mm256_loadu_ps(x + 8), acc[0][1]);
                acc[0][2] = _mm256_fmadd_ps(w2, _mm256_loadu_ps(x + 16), acc[0][2]);
                acc[0][3] = _mm256_fmadd_ps(w3, _mm256_loadu_ps(x + 24), acc[0][3]);
            }
        }
        for (; i + 16 <= n; i += 16) {
            __m256 w0, w1;
            load16_float_type(w->dtype, row, i, &w0, &w1);
            for (int k = 0; k < NX; k++) {
                const float *x = xp + k * xs + i;
                acc[k][0] = _mm256_fmadd_ps(w0, _mm256_loadu_ps(x), acc[k][0]);
                acc[k][1] = _mm256_fmadd_ps(w1, _mm256_loadu_ps(x + 8), acc[k][1]);
            }
        }
        for (; i < n; i++) {
            const float wv = scalar_weight(w->dtype, row, i);
            for (int k = 0; k < NX; k++) tail[k] += wv * xp[k * xs + i];
        }
        break;
    }
    case CK_Q8_0: {
        const int64_t nb = n / 32;
        for (int64_t b = 0; b < nb; b += 2) { /* two blocks per step, one accumulator each */
            for (int h = 0; h < 2 && b + h < nb; h++) {
                const uint8_t *blk = row + 34 * (b + h);
                __m256 d = _mm256_set1_ps(_cvtsh_ss(load_u16(blk)));
                __m256 q0 = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(blk + 2))));
                __m256 q1 = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(blk + 10))));
                __m256 q2 = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(blk + 18))));
                __m256 q3 = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(blk + 26))));
                for (int k = 0; k < NX; k++) {
                    const float *x = xp + k * xs + 32 * (b + h);
                    /* two short chains per block, summed, then one FMA with the block scale */
                    __m256 u = _mm256_mul_ps(q0, _mm256_loadu_ps(x));
                    __m256 t = _mm256_mul_ps(q2, _mm256_loadu_ps(x + 16));
                    u = _mm256_fmadd_ps(q1, _mm256_loadu_ps(x + 8), u);
                    t = _mm256_fmadd_ps(q3, _mm256_loadu_ps(x + 24), t);
                    acc[k][h] = _mm256_fmadd_ps(_mm256_add_ps(u, t), d, acc[k][h]);
                }
            }
        }
        break;
    }
    case CK_MXFP4: {
        const uint8_t *sc = ck_row_scales(w, r);
        const int64_t nb = n / 32;
        if (NX == 1) {
            /* Decode (T = 1): two blocks per step, each a 4-term FMA chain (no separate add) scaled into its own
             * accumulator. The same bytes of the next row are prefetched (one row ahead: the decode is compute-bound
             * at ~1.5 ns per block, and without it DRAM stalls add ~12%; two or four rows ahead, or into L2, measured
             * slower). The prefetch past the last row is harmless (prefetches never fault). */
            const uint8_t *next = row + ck_row_bytes(CK_MXFP4, n);
            int64_t b = 0;
            for (; b + 2 <= nb; b += 2) {
                _mm_prefetch((const char *)(next + 16 * b), _MM_HINT_T0);
                __m256 p0, p1, p2, p3, q0, q1, q2, q3;
                mxfp4_block_avx2(row + 16 * b, &p0, &p1, &p2, &p3);
                mxfp4_block_avx2(row + 16 * b + 16, &q0, &q1, &q2, &q3);
                const float *x = xp + 32 * b;
                __m256 u = _mm256_mul_ps(p0, _mm256_loadu_ps(x));
                __m256 t = _mm256_mul_ps(q0, _mm256_loadu_ps(x + 32));
                u = _mm256_fmadd_ps(p1, _mm256_loadu_ps(x + 8), u);
                t = _mm256_fmadd_ps(q1, _mm256_loadu_ps(x + 40), t);
                u = _mm256_fmadd_ps(p2, _mm256_loadu_ps(x + 16), u);
                t = _mm256_fmadd_ps(q2, _mm256_loadu_ps(x + 48), t);
                u = _mm256_fmadd_ps(p3, _mm256_loadu_ps(x + 24), u);
                t = _mm256_fmadd_ps(q3, _mm256_loadu_ps(x + 56), t);
                acc[0][0] = _mm256_fmadd_ps(u, _mm256_set1_ps(e8m0_table[sc[b]]), acc[0][0]);
                acc[0][1] = _mm256_fmadd_ps(t, _mm256_set1_ps(e8m0_table[sc[b + 1]]), acc[0][1]);
            }
            if (b < nb) {
                __m256 p0, p1, p2, p3;
                mxfp4_block_avx2(row + 16 * b, &p0, &p1, &p2, &p3);
                const float *x = xp + 32 * b;
                __m256 u = _mm256_mul_ps(p0, _mm256_loadu_ps(x));
                u = _mm256_fmadd_ps(p1, _mm256_loadu_ps(x + 8), u);
                u = _mm256_fmadd_ps(p2, _mm256_loadu_ps(x + 16), u);
                u = _mm256_fmadd_ps(p3, _mm256_loadu_ps(x + 24), u);
                acc[0][2] = _mm256_fmadd_ps(u, _mm256_set1_ps(e8m0_table[sc[b]]), acc[0][2]);
            }
            break;
        }
        for (int64_t b = 0; b < nb; b += 2) {
            for (int h = 0; h < 2 && b + h < nb; h++) {
                __m256 p0, p1, p2, p3;
                mxfp4_block_avx2(row + 16 * (b + h), &p0, &p1, &p2, &p3);
                __m256 s = _mm256_set1_ps(e8m0_table[sc[b + h]]);
                for (int k = 0; k < NX; k++) {
                    const float *x = xp + k * xs + 32 * (b + h);
                    __m256 u = _mm256_mul_ps(p0, _mm256_loadu_ps(x));
                    __m256 t = _mm256_mul_ps(p2, _mm256_loadu_ps(x + 16));
                    u = _mm256_fmadd_ps(p1, _mm256_loadu_ps(x + 8), u);
                    t = _mm256_fmadd_ps(p3, _mm256_loadu_ps(x + 24), t);
                    acc[k][h] = _mm256_fmadd_ps(_mm256_add_ps(u, t), s, acc[k][h]);
                }
            }
        }
        break;
    }
    }
    for (int k = 0; k < NX; k++) {
        __m256 t = _mm256_add_ps(_mm256_add_ps(acc[k][0], acc[k][1]), _mm256_add_ps(acc[k][2], acc[k][3]));
        res[k] = hsum256(t) + tail[k];
    }
}

#define GEMV_ROWS_AVX2(NX)                                                                                         \
    __attribute__((target("avx2,fma,f16c"))) static void gemv_rows_avx2_##NX(                                      \
        const ck_weight *w, int64_t row0, int64_t row1, const float *xp, int64_t xs, const float *bias, float *y,  \
        int64_t ys) {                                                                                              \
        for (int64_t r = row0; r < row1; r++) {                                                                    \
            float res[CK_NX_MAX];                                                                                  \
            row_dot_avx2(w, r, xp, xs, NX, res);                                                                   \
            float b = bias ? bias[r] : 0.f;                                                                        \
            for (int k = 0; k < NX; k++) y[k * ys + (r - row0)] = res[k] + b;                                      \
        }                                                                                                          \
    }
GEMV_ROWS_AVX2(1)
GEMV_ROWS_AVX2(2)
GEMV_ROWS_AVX2(3)
GEMV_ROWS_AVX2(4)

void ck_gemv_rows(const ck_weight *w, int64_t row0, int64_t row1, const float *xp, int64_t xp_stride, int nx,
                  const float *bias, float *y, int64_t y_stride, int avx2) {
    pthread_once(&table_once, init_tables);
    if (!avx2) {
        gemv_rows_scalar(w, row0, row1, xp, xp_stride, nx, bias, y, y_stride);
        return;
    }
    /* nx > 4 is done four vectors at a time (each pass streams the rows once more). */
    while (nx > 0) {
        int step = nx > CK_NX_MAX ? CK_NX_MAX : nx;
        switch (step) {
        case 1: gemv_rows_avx2_1(w, row0, row1, xp, xp_stride, bias, y, y_stride); break;
        case 2: gemv_rows_avx2_2(w, row0, row1, xp, xp_stride, bias, y, y_stride); break;
        case 3: gemv_rows_avx2_3(w, row0, row1, xp, xp_stride, bias, y, y_stride); break;
        default: gemv_rows_avx2_4(w, row0, row1, xp, xp_stride, bias, y, y_stride); break;
        }
        nx -= step;
        xp += step * xp_stride;
        y += step * y_stride;
    }
}
