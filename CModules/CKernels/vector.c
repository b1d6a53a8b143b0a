/* float32 vector helpers used by the op kernels: AVX-512 (vector512.c), AVX2+FMA or portable scalar, chosen at run
 * time. */
#include "ck_internal.h"
#include <immintrin.h>
#include <math.h>

__attribute__((target("avx2,fma"))) static float dot_avx2(const float *a, const float *b, int64_t n) {
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
        s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
    }
    for (; i + 8 <= n; i += 8) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
    s0 = _mm256_add_ps(s0, s1);
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(s0), _mm256_extractf128_ps(s0, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    float r = _mm_cvtss_f32(s);
    for (; i < n; i++) r += a[i] * b[i];
    return r;
}

static float dot_scalar(const float *a, const float *b, int64_t n) {
    float r = 0.f;
    for (int64_t i = 0; i < n; i++) r += a[i] * b[i];
    return r;
}

float ck_dot_f32(const float *a, const float *b, int64_t n) {
    if (ck_avx512_enabled()) return ck_dot_f32_512(a, b, n);
    return ck_avx2_enabled() ? dot_avx2(a, b, n) : dot_scalar(a, b, n);
}

__attribute__((target("avx2,fma"))) static void axpy_avx2(float alpha, const float *x, float *y, int64_t n) {
    __m256 a = _mm256_set1_ps(alpha);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_fmadd_ps(a, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
    for (; i < n; i++) y[i] += alpha * x[i];
}

static void axpy_scalar(float alpha, const float *x, float *y, int64_t n) {
    for (int64_t i = 0; i < n; i++) y[i] += alpha * x[i];
}

void ck_axpy_f32(float alpha, const float *x, float *y, int64_t n) {
    if (ck_avx512_enabled()) ck_axpy_f32_512(alpha, x, y, n);
    else if (ck_avx2_enabled()) axpy_avx2(alpha, x, y, n);
    else axpy_scalar(alpha, x, y, n);
}

/* The plain loops below serve the AVX2 and the scalar switch alike (the compiler vectorises them at the module's AVX2
 * baseline). */
void ck_scale_f32(float alpha, float *y, int64_t n) {
    if (ck_avx512_enabled()) {
        ck_scale_f32_512(alpha, y, n);
        return;
    }
    for (int64_t i = 0; i < n; i++) y[i] *= alpha;
}

float ck_max_f32(const float *x, int64_t n) {
    if (ck_avx512_enabled()) return ck_max_f32_512(x, n);
    float m = -INFINITY;
    for (int64_t i = 0; i < n; i++) m = x[i] > m ? x[i] : m;
    return m;
}

void ck_add_span(const float *a, const float *b, float *out, int64_t n) {
    if (ck_avx512_enabled()) {
        ck_add_512(a, b, out, n);
        return;
    }
    for (int64_t i = 0; i < n; i++) out[i] = a[i] + b[i];
}

void ck_scale_mul_span(const float *x, float s, const float *g, float *out, int64_t n) {
    if (ck_avx512_enabled()) {
        ck_scale_mul_512(x, s, g, out, n);
        return;
    }
    for (int64_t i = 0; i < n; i++) out[i] = x[i] * s * g[i];
}

void ck_rope_row(float *v, int64_t half, const float *c, const float *s, int style) {
    if (ck_avx512_enabled()) {
        ck_rope_row_512(v, half, c, s, style);
        return;
    }
    if (style == CK_ROPE_NEOX) { /* pairs (i, i + d/2) */
        for (int64_t i = 0; i < half; i++) {
            float a = v[i], b = v[i + half];
            v[i] = a * c[i] - b * s[i];
            v[i + half] = b * c[i] + a * s[i];
        }
    } else { /* pairs (2i, 2i + 1) */
        for (int64_t i = 0; i < half; i++) {
            float a = v[2 * i], b = v[2 * i + 1];
            v[2 * i] = a * c[i] - b * s[i];
            v[2 * i + 1] = b * c[i] + a * s[i];
        }
    }
}

/* ------------------------------------------------------------------ exp and the activations built on it */

__attribute__((target("avx2,fma"))) static float exp_sum_avx2(const float *x, float shift, float *out, int64_t n) {
    const __m256 s = _mm256_set1_ps(shift);
    __m256 acc = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 e = ck_exp256(_mm256_sub_ps(_mm256_loadu_ps(x + i), s));
        _mm256_storeu_ps(out + i, e);
        acc = _mm256_add_ps(acc, e);
    }
    float tmp[8], sum = 0.f;
    _mm256_storeu_ps(tmp, acc);
    for (int k = 0; k < 8; k++) sum += tmp[k];
    for (; i < n; i++) {
        out[i] = expf(x[i] - shift);
        sum += out[i];
    }
    return sum;
}

float ck_exp_sum(const float *x, float shift, float *out, int64_t n) {
    if (ck_avx512_enabled()) return ck_exp_sum_512(x, shift, out, n);
    if (ck_avx2_enabled()) return exp_sum_avx2(x, shift, out, n);
    float sum = 0.f;
    for (int64_t i = 0; i < n; i++) {
        out[i] = expf(x[i] - shift);
        sum += out[i];
    }
    return sum;
}

/* gpt-oss clamped SwiGLU on interleaved pairs: out[i] = min(g, L)·σ(α·min(g, L))·(clamp(u, ±L) + 1). */
__attribute__((target("avx2,fma"))) static void swiglu_avx2(const float *gu, float *out, int64_t n, float limit,
                                                           float alpha) {
    const __m256 L = _mm256_set1_ps(limit), nL = _mm256_set1_ps(-limit), na = _mm256_set1_ps(-alpha);
    const __m256 one = _mm256_set1_ps(1.0f);
    const __m256i evens = _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        /* 16 interleaved floats → 8 gates, 8 ups */
        __m256 a = _mm256_permutevar8x32_ps(_mm256_loadu_ps(gu + 2 * i), evens);     /* g0 g1 g2 g3 u0 u1 u2 u3 */
        __m256 b = _mm256_permutevar8x32_ps(_mm256_loadu_ps(gu + 2 * i + 8), evens); /* g4 … g7 u4 … u7 */
        __m256 g = _mm256_permute2f128_ps(a, b, 0x20), u = _mm256_permute2f128_ps(a, b, 0x31);
        g = _mm256_min_ps(g, L);
        u = _mm256_max_ps(_mm256_min_ps(u, L), nL);
        __m256 sig = _mm256_div_ps(one, _mm256_add_ps(one, ck_exp256(_mm256_mul_ps(na, g))));
        _mm256_storeu_ps(out + i, _mm256_mul_ps(_mm256_mul_ps(g, sig), _mm256_add_ps(u, one)));
    }
    for (; i < n; i++) {
        float g = gu[2 * i], u = gu[2 * i + 1];
        g = g < limit ? g : limit;
        u = u < -limit ? -limit : (u > limit ? limit : u);
        out[i] = g / (1.0f + expf(-alpha * g)) * (u + 1.0f);
    }
}

void ck_swiglu_span(const float *gate_up, float *out, int64_t n, float limit, float alpha) {
    if (ck_avx512_enabled()) {
        ck_swiglu_512(gate_up, out, n, limit, alpha);
        return;
    }
    if (ck_avx2_enabled()) {
        swiglu_avx2(gate_up, out, n, limit, alpha);
        return;
    }
    for (int64_t i = 0; i < n; i++) {
        float g = gate_up[2 * i], u = gate_up[2 * i + 1];
        g = g < limit ? g : limit;                         /* gate: clamped from above only */
        u = u < -limit ? -limit : (u > limit ? limit : u); /* up: both sides */
        out[i] = g / (1.0f + expf(-alpha * g)) * (u + 1.0f);
    }
}

__attribute__((target("avx2,fma"))) static void silu_mul_avx2(const float *gate, const float *up, float *out,
                                                             int64_t n) {
    const __m256 one = _mm256_set1_ps(1.0f), neg = _mm256_set1_ps(-1.0f);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 g = _mm256_loadu_ps(gate + i);
        __m256 s = _mm256_div_ps(g, _mm256_add_ps(one, ck_exp256(_mm256_mul_ps(neg, g))));
        _mm256_storeu_ps(out + i, _mm256_mul_ps(s, _mm256_loadu_ps(up + i)));
    }
    for (; i < n; i++) out[i] = gate[i] / (1.0f + expf(-gate[i])) * up[i];
}

void ck_silu_mul_span(const float *gate, const float *up, float *out, int64_t n) {
    if (ck_avx512_enabled()) {
        ck_silu_mul_512(gate, up, out, n);
        return;
    }
    if (ck_avx2_enabled()) {
        silu_mul_avx2(gate, up, out, n);
        return;
    }
    for (int64_t i = 0; i < n; i++) out[i] = gate[i] / (1.0f + expf(-gate[i])) * up[i];
}
