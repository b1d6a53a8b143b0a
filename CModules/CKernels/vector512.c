/*
 * The 512-bit (AVX-512 F/BW/VL/DQ) halves of the float32 row helpers of vector.c: dot, axpy, scale, max, exp-sum,
 * the two gated activations, add, x·s·g (RMSNorm) and one RoPE head. vector.c calls them behind ck_avx512_enabled();
 * each handles any n (the last partial vector through a masked load and store). Results equal the 256-bit path's up
 * to float summation order (dot, exp-sum) and to the order of rounding (the element-wise ops); the conformance suite
 * checks both paths against the float64 reference.
 */
#include "ck_internal.h"

#define T512 __attribute__((target(CK_AVX512_TARGET)))

/* Lanes [0, n) of a 16-lane step, for the last partial vector. */
static inline __mmask16 tail_mask(int64_t n) { return (__mmask16)((1u << n) - 1); }

T512 float ck_dot_f32_512(const float *a, const float *b, int64_t n) {
    __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps(), s2 = _mm512_setzero_ps(), s3 = _mm512_setzero_ps();
    int64_t i = 0;
    for (; i + 64 <= n; i += 64) {
        s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), s0);
        s1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), s1);
        s2 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 32), _mm512_loadu_ps(b + i + 32), s2);
        s3 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 48), _mm512_loadu_ps(b + i + 48), s3);
    }
    for (; i + 16 <= n; i += 16) s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), s0);
    if (i < n) {
        const __mmask16 m = tail_mask(n - i);
        s1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, a + i), _mm512_maskz_loadu_ps(m, b + i), s1);
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3)));
}

T512 void ck_axpy_f32_512(float alpha, const float *x, float *y, int64_t n) {
    const __m512 a = _mm512_set1_ps(alpha);
    int64_t i = 0;
    for (; i + 16 <= n; i += 16)
        _mm512_storeu_ps(y + i, _mm512_fmadd_ps(a, _mm512_loadu_ps(x + i), _mm512_loadu_ps(y + i)));
    if (i < n) {
        const __mmask16 m = tail_mask(n - i);
        const __m512 v = _mm512_fmadd_ps(a, _mm512_maskz_loadu_ps(m, x + i), _mm512_maskz_loadu_ps(m, y + i));
        _mm512_mask_storeu_ps(y + i, m, v);
    }
}

T512 void ck_scale_f32_512(float alpha, float *y, int64_t n) {
    const __m512 a = _mm512_set1_ps(alpha);
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, _mm512_mul_ps(a, _mm512_loadu_ps(y + i)));
    if (i < n) {
        const __mmask16 m = tail_mask(n - i);
        _mm512_mask_storeu_ps(y + i, m, _mm512_mul_ps(a, _mm512_maskz_loadu_ps(m, y + i)));
    }
}

/* max_ps(x, m) returns m when x is NaN, so NaNs are skipped as in `m = x > m ? x : m`. */
T512 float ck_max_f32_512(const float *x, int64_t n) {
    __m512 m0 = _mm512_set1_ps(-INFINITY), m1 = m0;
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        m0 = _mm512_max_ps(_mm512_loadu_ps(x + i), m0);
        m1 = _mm512_max_ps(_mm512_loadu_ps(x + i + 16), m1);
    }
    for (; i + 16 <= n; i += 16) m0 = _mm512_max_ps(_mm512_loadu_ps(x + i), m0);
    if (i < n) m1 = _mm512_mask_max_ps(m1, tail_mask(n - i), _mm512_maskz_loadu_ps(tail_mask(n - i), x + i), m1);
    return _mm512_reduce_max_ps(_mm512_max_ps(m0, m1));
}

T512 float ck_exp_sum_512(const float *x, float shift, float *out, int64_t n) {
    const __m512 s = _mm512_set1_ps(shift);
    __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        const __m512 e0 = ck_exp512(_mm512_sub_ps(_mm512_loadu_ps(x + i), s));
        const __m512 e1 = ck_exp512(_mm512_sub_ps(_mm512_loadu_ps(x + i + 16), s));
        _mm512_storeu_ps(out + i, e0);
        _mm512_storeu_ps(out + i + 16, e1);
        acc0 = _mm512_add_ps(acc0, e0);
        acc1 = _mm512_add_ps(acc1, e1);
    }
    for (; i < n; i += 16) {
        const __mmask16 m = n - i >= 16 ? (__mmask16)0xFFFF : tail_mask(n - i);
        const __m512 e = ck_exp512(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, x + i), s));
        _mm512_mask_storeu_ps(out + i, m, e);
        acc0 = _mm512_mask_add_ps(acc0, m, acc0, e);
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1));
}

/* 16 SwiGLU outputs from 32 interleaved floats (gate even, up odd). */
T512 static inline __m512 swiglu16(__m512 a, __m512 b, __m512 L, __m512 nL, __m512 na) {
    const __m512i evens = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i odds = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    const __m512 one = _mm512_set1_ps(1.0f);
    __m512 g = _mm512_min_ps(_mm512_permutex2var_ps(a, evens, b), L);
    const __m512 u = _mm512_max_ps(_mm512_min_ps(_mm512_permutex2var_ps(a, odds, b), L), nL);
    const __m512 sig = _mm512_div_ps(one, _mm512_add_ps(one, ck_exp512(_mm512_mul_ps(na, g))));
    return _mm512_mul_ps(_mm512_mul_ps(g, sig), _mm512_add_ps(u, one));
}

T512 void ck_swiglu_512(const float *gu, float *out, int64_t n, float limit, float alpha) {
    const __m512 L = _mm512_set1_ps(limit), nL = _mm512_set1_ps(-limit), na = _mm512_set1_ps(-alpha);
    int64_t i = 0;
    for (; i + 16 <= n; i += 16)
        _mm512_storeu_ps(out + i, swiglu16(_mm512_loadu_ps(gu + 2 * i), _mm512_loadu_ps(gu + 2 * i + 16), L, nL, na));
    if (i < n) { /* 2·(n − i) < 32 interleaved floats left */
        const int64_t left = 2 * (n - i);
        const __mmask16 m0 = left >= 16 ? (__mmask16)0xFFFF : tail_mask(left);
        const __mmask16 m1 = left > 16 ? tail_mask(left - 16) : 0;
        const __m512 a = _mm512_maskz_loadu_ps(m0, gu + 2 * i), b = _mm512_maskz_loadu_ps(m1, gu + 2 * i + 16);
        _mm512_mask_storeu_ps(out + i, tail_mask(n - i), swiglu16(a, b, L, nL, na));
    }
}

T512 void ck_silu_mul_512(const float *gate, const float *up, float *out, int64_t n) {
    const __m512 one = _mm512_set1_ps(1.0f), neg = _mm512_set1_ps(-1.0f);
    for (int64_t i = 0; i < n; i += 16) {
        const __mmask16 m = n - i >= 16 ? (__mmask16)0xFFFF : tail_mask(n - i);
        const __m512 g = _mm512_maskz_loadu_ps(m, gate + i);
        const __m512 s = _mm512_div_ps(g, _mm512_add_ps(one, ck_exp512(_mm512_mul_ps(neg, g))));
        _mm512_mask_storeu_ps(out + i, m, _mm512_mul_ps(s, _mm512_maskz_loadu_ps(m, up + i)));
    }
}

T512 void ck_add_512(const float *a, const float *b, float *out, int64_t n) {
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        _mm512_storeu_ps(out + i, _mm512_add_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i)));
        _mm512_storeu_ps(out + i + 16, _mm512_add_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16)));
    }
    for (; i < n; i += 16) {
        const __mmask16 m = n - i >= 16 ? (__mmask16)0xFFFF : tail_mask(n - i);
        const __m512 v = _mm512_add_ps(_mm512_maskz_loadu_ps(m, a + i), _mm512_maskz_loadu_ps(m, b + i));
        _mm512_mask_storeu_ps(out + i, m, v);
    }
}

/* out = (x·s)·g, the order of the scalar RMSNorm. */
T512 void ck_scale_mul_512(const float *x, float s, const float *g, float *out, int64_t n) {
    const __m512 sv = _mm512_set1_ps(s);
    for (int64_t i = 0; i < n; i += 16) {
        const __mmask16 m = n - i >= 16 ? (__mmask16)0xFFFF : tail_mask(n - i);
        const __m512 v = _mm512_mul_ps(_mm512_maskz_loadu_ps(m, x + i), sv);
        _mm512_mask_storeu_ps(out + i, m, _mm512_mul_ps(v, _mm512_maskz_loadu_ps(m, g + i)));
    }
}

/* One head of RoPE in place: pairs (i, i + half) (NeoX) or (2i, 2i + 1) (interleaved), rotated by c[i], s[i]. */
T512 void ck_rope_row_512(float *v, int64_t half, const float *c, const float *s, int style) {
    if (style == CK_ROPE_NEOX) {
        for (int64_t i = 0; i < half; i += 16) {
            const __mmask16 m = half - i >= 16 ? (__mmask16)0xFFFF : tail_mask(half - i);
            const __m512 a = _mm512_maskz_loadu_ps(m, v + i), b = _mm512_maskz_loadu_ps(m, v + i + half);
            const __m512 cv = _mm512_maskz_loadu_ps(m, c + i), sv = _mm512_maskz_loadu_ps(m, s + i);
            _mm512_mask_storeu_ps(v + i, m, _mm512_fmsub_ps(a, cv, _mm512_mul_ps(b, sv)));
            _mm512_mask_storeu_ps(v + i + half, m, _mm512_fmadd_ps(b, cv, _mm512_mul_ps(a, sv)));
        }
        return;
    }
    const __m512i evens = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i odds = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    const __m512i lo = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const __m512i hi = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    for (int64_t i = 0; i < half; i += 16) { /* 16 pairs = 32 floats per step */
        const int64_t left = 2 * (half - i);
        const __mmask16 m0 = left >= 16 ? (__mmask16)0xFFFF : tail_mask(left);
        const __mmask16 m1 = left >= 32 ? (__mmask16)0xFFFF : left > 16 ? tail_mask(left - 16) : 0;
        const __mmask16 mp = half - i >= 16 ? (__mmask16)0xFFFF : tail_mask(half - i);
        const __m512 x0 = _mm512_maskz_loadu_ps(m0, v + 2 * i), x1 = _mm512_maskz_loadu_ps(m1, v + 2 * i + 16);
        const __m512 a = _mm512_permutex2var_ps(x0, evens, x1), b = _mm512_permutex2var_ps(x0, odds, x1);
        const __m512 cv = _mm512_maskz_loadu_ps(mp, c + i), sv = _mm512_maskz_loadu_ps(mp, s + i);
        const __m512 ra = _mm512_fmsub_ps(a, cv, _mm512_mul_ps(b, sv));
        const __m512 rb = _mm512_fmadd_ps(b, cv, _mm512_mul_ps(a, sv));
        _mm512_mask_storeu_ps(v + 2 * i, m0, _mm512_permutex2var_ps(ra, lo, rb));
        _mm512_mask_storeu_ps(v + 2 * i + 16, m1, _mm512_permutex2var_ps(ra, hi, rb));
    }
}
