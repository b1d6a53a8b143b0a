/*
 * The K-quants' (Q4_K, Q5_K, Q6_K; layouts in quant_k.c) GEMV on the AVX512-VNNI path (and its 256-bit form on AVX2,
 * CK_LEVEL_AVX2_INT8: vpmaddubsw, then vpmaddwd for vpdpwssd), against x rounded to 8 bits
 * per 256-element super-block (ggml's Q8_K): x ≈ d_x·q, d_x = max|x| / 127, q ∈ [−127, 127]. Per super-block of a
 * row the products are summed in int32 with the sub-block scales applied in integers,
 *     Σ_k y_k x_k = d·d_x·Σ_j sc_j·Σ_{k∈j} u_k·q_k − dmin·d_x·Σ_j m_j·Σ_{k∈j} q_k          (Q4_K, Q5_K)
 *     Σ_k y_k x_k = d·d_x·(Σ_j sc_j·Σ_{k∈j} u_k·q_k − 32·Σ_j sc_j·Σ_{k∈j} q_k)              (Q6_K, 16-element j)
 * (u the unsigned level): vpmaddubsw (u8 × s8 → s16 pairs, |·| ≤ 2·63·127, no saturation), then vpdpwssd with each
 * lane's int16 sub-block scale into one int32 vector per super-block (|Σ| ≤ 256·63·127·128 < 2³¹), converted to float
 * and multiplied by d·d_x once per super-block. The Σ q of each sub-block come with x, so the mins (and Q6_K's −32)
 * cost one vpmaddwd per super-block.
 *
 * Numerics: the rounding of x is ggml's Q8_K (NMSE ≈ 1.6e-5 of a dot product on uniform x, see
 * Tests/BackendConformanceTests/Tolerance.swift, `linearInt8`); the integer sums are exact, the float part is one
 * product and one sum per super-block. A super-block of x holding NaN or ±inf has d_x = NaN, so every output that
 * reads it is NaN, as in float arithmetic. Callers that need x unrounded (the MoE router, CK_LINEAR_EXACT_X) run the
 * AVX2 GEMV of quant_k.c, which keeps 16 bits.
 *
 * Prepared layout of one x vector of n elements (ns = n/256 super-blocks, ck_kq8_prepared_floats(n) floats, a 64-byte
 * multiple):
 *   q   [ns][256] int8, each super-block's 32-element groups g = 0…7 in the order the weights' nibbles give them:
 *       Q6_K in element order (a 64-byte ql load holds groups 4h, 4h+1 in its low nibbles, 4h+2, 4h+3 in its high
 *       ones); Q4_K / Q5_K per half h as 4h, 4h+2, 4h+1, 4h+3 (a 64-byte qs load holds 4h, 4h+2 in its low nibbles
 *       and 4h+1, 4h+3 in its high ones)
 *   bs  [pad2(ns)][16] int16: Q6_K the 16 sums Σ q of its 16-element sub-blocks; Q4_K / Q5_K 8 zeros, then the 8 sums
 *       of the 32-element sub-blocks (lined up with the mins in [sc0…sc7, m0…m7], see k8_scale_mins)
 *   d_x [pad16(ns)] floats (NaN for a super-block holding NaN or ±inf)
 * Zeros past the last super-block.
 */
#include "ck_qblock.h"

static inline int64_t k8_pad2(int64_t ns) { return (ns + 1) / 2 * 2; }
static inline int64_t k8_pad16(int64_t ns) { return (ns + 15) / 16 * 16; }

int64_t ck_kq8_prepared_floats(int64_t cols) {
    const int64_t ns = cols / 256;
    return 64 * ns + 8 * k8_pad2(ns) + k8_pad16(ns);
}

/* 256-bit code (both 8-bit levels read it; the same arithmetic per element as a 512-bit pass would be). */
__attribute__((target(QB_AVX2_TARGET))) void ck_kq8_prepare_x(const float *x, int64_t n, float *xp, int32_t dtype) {
    const int64_t ns = n / 256;
    const int q6 = dtype == CK_Q6_K;
    int8_t *q = (int8_t *)xp;
    int16_t *bs = (int16_t *)(xp + 64 * ns);
    float *dx = xp + 64 * ns + 8 * k8_pad2(ns);
    const __m256 sign = _mm256_set1_ps(-0.f), inf = _mm256_set1_ps(INFINITY);
    const __m256i qmax = _mm256_set1_epi32(127), qmin = _mm256_set1_epi32(-127);
    for (int64_t s = 0; s < ns; s++) {
        const float *xs = x + 256 * s;
        __m256 m = _mm256_setzero_ps();
        int bad = 0;
        for (int i = 0; i < 32; i++) {
            const __m256 a = _mm256_andnot_ps(sign, _mm256_loadu_ps(xs + 8 * i));
            bad |= _mm256_movemask_ps(_mm256_cmp_ps(a, inf, _CMP_NLT_UQ)); /* NaN or inf */
            m = _mm256_max_ps(m, a);
        }
        __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
        m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
        m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
        /* super-blocks below 2⁻⁶⁰ are scaled up first, so 127 / max stays finite (the factor is undone in d_x) */
        const float m0 = bad ? 0.f : _mm_cvtss_f32(m4);
        const float pre = m0 < 0x1p-60f ? 0x1p64f : 1.f, amax = m0 * pre;
        const __m256 vpre = _mm256_set1_ps(pre), inv = _mm256_set1_ps(amax > 0.f ? 127.f / amax : 0.f);
        int32_t sum16[16];
        for (int i = 0; i < 16; i++) { /* 16 elements: half i%2 of 32-element group g = i/2 */
            __m256i qi[2];
            for (int h = 0; h < 2; h++) {
                const __m256 t = _mm256_mul_ps(_mm256_mul_ps(_mm256_loadu_ps(xs + 16 * i + 8 * h), vpre), inv);
                /* nearest even; NaN converts to INT_MIN and is clamped (its super-block's d_x is NaN) */
                qi[h] = _mm256_min_epi32(_mm256_max_epi32(_mm256_cvtps_epi32(t), qmin), qmax);
            }
            const __m256i w16 = _mm256_permute4x64_epi64(_mm256_packs_epi32(qi[0], qi[1]), 0xD8); /* in order */
            const __m128i b8 = _mm_packs_epi16(_mm256_castsi256_si128(w16), _mm256_extracti128_si256(w16, 1));
            const int g = i / 2, t4 = g % 4;
            const int slot = q6 ? g : (g & 4) | (t4 & 1) << 1 | t4 >> 1; /* 0, 2, 1, 3 within a half */
            _mm_storeu_si128((__m128i *)(q + 256 * s + 32 * slot + 16 * (i % 2)), b8);
            const __m256i sum = _mm256_add_epi32(qi[0], qi[1]);
            __m128i s4 = _mm_add_epi32(_mm256_castsi256_si128(sum), _mm256_extracti128_si256(sum, 1));
            s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 0x4E));
            s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 0xB1));
            sum16[i] = _mm_cvtsi128_si32(s4);
        }
        int16_t *b = bs + 16 * s;
        for (int j = 0; j < 8; j++) {
            b[q6 ? 2 * j : j] = (int16_t)(q6 ? sum16[2 * j] : 0);
            b[q6 ? 2 * j + 1 : 8 + j] = (int16_t)(q6 ? sum16[2 * j + 1] : sum16[2 * j] + sum16[2 * j + 1]);
        }
        dx[s] = bad ? NAN : amax / 127.f / pre;
    }
    memset(bs + 16 * ns, 0, (size_t)(k8_pad2(ns) - ns) * 32);
    for (int64_t s = ns; s < k8_pad16(ns); s++) dx[s] = 0.f;
}

/* ------------------------------------------------------------------ GEMV rows */

/* One prepared x vector. */
typedef struct {
    const uint8_t *q;
    const int16_t *bs;
    const float *dx;
} k8_x;

static inline k8_x k8_x_at(const float *xp, int64_t ns) {
    k8_x v = {(const uint8_t *)xp, (const int16_t *)(xp + 64 * ns), xp + 64 * ns + 8 * k8_pad2(ns)};
    return v;
}

/* Q4_K / Q5_K: [sc0…sc7, m0…m7] as 16 int16 from the 12 packed bytes at p (kq_scale_mins on dwords w0, w1, w2:
 * sc0–3 = w0 & 63, sc4–7 = (w2 & 15) | (w0 >> 6) << 4, m0–3 = w1 & 63, m4–7 = (w2 >> 4) | (w1 >> 6) << 4 per byte). */
__attribute__((target(QB_AVX2_TARGET), always_inline)) static inline __m256i k8_scale_mins(const uint8_t *p) {
    const __m128i v = _mm_loadu_si128((const __m128i *)p);
    const __m128i a = _mm_shuffle_epi32(v, _MM_SHUFFLE(2, 1, 2, 0)); /* w0 w2 w1 w2 */
    const __m128i lo = _mm_and_si128(_mm_srlv_epi32(a, _mm_setr_epi32(0, 0, 0, 4)),
                                     _mm_setr_epi32(0x3F3F3F3F, 0x0F0F0F0F, 0x3F3F3F3F, 0x0F0F0F0F));
    /* (byte >> 6) << 4 = (dword >> 2) & 0x30 per byte (the bits shifted in from the next byte are masked off) */
    const __m128i c = _mm_shuffle_epi32(v, _MM_SHUFFLE(1, 1, 0, 0)); /* w0 w0 w1 w1 */
    const __m128i hi = _mm_and_si128(_mm_srli_epi32(c, 2), _mm_setr_epi32(0, 0x30303030, 0, 0x30303030));
    return _mm256_cvtepu8_epi16(_mm_or_si128(lo, hi));
}

/* Lane i (0…31) of the int16 scale vector of 64-element chunk c: the sub-block of maddubs lane i (elements 2i, 2i+1
 * of the chunk). Q6_K (element order): 4c + i/8. Q4_K / Q5_K (chunk c = 2h + p holds groups 4h + p, then 4h + 2 + p):
 * 4h + p, + 2 from lane 16 on. */
__attribute__((target(QB_VNNI_TARGET), always_inline)) static inline __m512i k8_scale_index(int32_t dt, int c) {
    int16_t idx[32];
    for (int i = 0; i < 32; i++)
        idx[i] = (int16_t)(dt == CK_Q6_K ? 4 * c + i / 8 : 4 * (c / 2) + c % 2 + (i < 16 ? 0 : 2));
    return _mm512_loadu_si512(idx);
}

/* One row against NX prepared vectors: per super-block the 4 chunks of 64 levels u[c] and their int16 scale vectors
 * S[c] are decoded once, then each vector takes 4 vpmaddubsw + 4 vpdpwssd, one conversion and one FMA. */
__attribute__((target(QB_VNNI_TARGET), always_inline)) static inline void
k8_row(const int32_t DT, const uint8_t *row, int64_t ns, const k8_x *x, const int NX, float *res) {
    __m512 acc[QB_NX_MAX];
    __m256 macc[QB_NX_MAX]; /* Q4_K / Q5_K: the mins' terms (lanes 4–7) */
    for (int k = 0; k < NX; k++) {
        acc[k] = _mm512_setzero_ps();
        macc[k] = _mm256_setzero_ps();
    }
    const __m512i m4 = _mm512_set1_epi8(0x0F), m30 = _mm512_set1_epi8(0x30);
    __m512i sidx[4];
    for (int c = 0; c < 4; c++) sidx[c] = k8_scale_index(DT, c);
    for (int64_t s = 0; s < ns; s++) {
        const uint8_t *b = row + kq_bytes(DT) * s;
        KQ_PREFETCH(MX_PREFETCH_ROW, b);
        __m512i u[4], S[4];
        __m256i sm = _mm256_setzero_si256(); /* Q4_K / Q5_K: [sc, m]; Q6_K: −32·sc */
        float d, dmin = 0.f;
        if (DT == CK_Q6_K) {
            d = _cvtsh_ss(ck_load_u16(b + 208));
            const __m256i sc = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(b + 192)));
            sm = _mm256_mullo_epi16(sc, _mm256_set1_epi16(-32));
            for (int c = 0; c < 4; c++) S[c] = _mm512_permutexvar_epi16(sidx[c], _mm512_castsi256_si512(sc));
            /* high bits of chunk 2h (groups 4h, 4h+1: qh bits 0–1, 2–3) and 2h+1 (bits 4–5, 6–7) → bits 4–5 */
            const __m512i up = _mm512_inserti64x4(_mm512_set1_epi16(4), _mm256_set1_epi16(2), 1);
            const __m512i down = _mm512_inserti64x4(_mm512_setzero_si512(), _mm256_set1_epi16(2), 1);
            for (int h = 0; h < 2; h++) {
                const __m512i v = _mm512_loadu_si512(b + 64 * h);
                const __m512i qh = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)(b + 128 + 32 * h)));
                /* lo | (hi & 0x30) */
                u[2 * h] = _mm512_ternarylogic_epi32(_mm512_and_si512(v, m4), _mm512_sllv_epi16(qh, up), m30, 0xF8);
                u[2 * h + 1] = _mm512_ternarylogic_epi32(_mm512_and_si512(_mm512_srli_epi16(v, 4), m4),
                                                         _mm512_srlv_epi16(qh, down), m30, 0xF8);
            }
        } else {
            d = _cvtsh_ss(ck_load_u16(b));
            dmin = _cvtsh_ss(ck_load_u16(b + 2));
            sm = k8_scale_mins(b + 4);
            for (int c = 0; c < 4; c++) S[c] = _mm512_permutexvar_epi16(sidx[c], _mm512_castsi256_si512(sm));
            for (int h = 0; h < 2; h++) {
                const __m512i v = _mm512_loadu_si512(b + kq_qs(DT) + 64 * h);
                u[2 * h] = _mm512_and_si512(v, m4);
                u[2 * h + 1] = _mm512_and_si512(_mm512_srli_epi16(v, 4), m4);
            }
            if (DT == CK_Q5_K) { /* bit j of qh[l] is bit 4 of element l of sub-block j */
                const __m512i qh = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)(b + 16)));
                for (int c = 0; c < 4; c++) {
                    const int j = 4 * (c / 2) + c % 2;
                    const __m512i bit = _mm512_inserti64x4(_mm512_set1_epi8((char)(1 << j)),
                                                           _mm256_set1_epi8((char)(1 << (j + 2))), 1);
                    u[c] = _mm512_mask_add_epi8(u[c], _mm512_test_epi8_mask(qh, bit), u[c], _mm512_set1_epi8(16));
                }
            }
        }
        for (int k = 0; k < NX; k++) {
            const uint8_t *xq = x[k].q + 256 * s;
            const __m256i bsum = _mm256_loadu_si256((const __m256i *)(x[k].bs + 16 * s));
            /* Q6_K: −32·Σ_j sc_j·Σ q_j in the same int32 sum */
            __m512i sumi = DT == CK_Q6_K ? _mm512_zextsi256_si512(_mm256_madd_epi16(sm, bsum)) : _mm512_setzero_si512();
            for (int c = 0; c < 4; c++) {
                const __m512i p = _mm512_maddubs_epi16(u[c], _mm512_loadu_si512(xq + 64 * c));
                /* sumi += p·S[c] pairwise; as asm, since clang splits a vpdpwssd chain into vpmaddwd + vpaddd (to
                 * shorten it; the super-blocks' chains overlap anyway): 6% fewer cycles per super-block */
                __asm__("vpdpwssd %2, %1, %0" : "+v"(sumi) : "v"(p), "v"(S[c]));
            }
            const float dx = x[k].dx[s];
            acc[k] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sumi), _mm512_set1_ps(d * dx), acc[k]);
            if (DT != CK_Q6_K) /* lanes 0–3 are sc·0 */
                macc[k] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_madd_epi16(sm, bsum)), _mm256_set1_ps(-dmin * dx),
                                          macc[k]);
        }
    }
    for (int k = 0; k < NX; k++) res[k] = qb_hsum512(acc[k]) + (DT == CK_Q6_K ? 0.f : ck_hsum256(macc[k]));
}

/* One row against NX prepared vectors on AVX2 (CK_LEVEL_AVX2_INT8): per 32-element group its 32 levels
 * (kq_levels_avx2), then per vector one vpmaddubsw and one vpmaddwd with the group's int16 scale(s) (Q6_K: one per
 * 16-element half) into the super-block's int32 sum: the same integers as k8_row, 8 lanes instead of 16. With
 * AVX-VNNI (DPWSSD) the vpmaddwd and its vpaddd are one vpdpwssd ymm: the same sums. */
__attribute__((target(QB_AVX2_TARGET), always_inline)) static inline void
k8_row_avx2(const int32_t DT, const int DPWSSD, const uint8_t *row, int64_t ns, const k8_x *x, const int NX,
            float *res) {
    __m256 acc[QB_NX_MAX], macc[QB_NX_MAX]; /* macc: Q4_K / Q5_K's mins (lanes 4–7) */
    for (int k = 0; k < NX; k++) acc[k] = macc[k] = _mm256_setzero_ps();
    for (int64_t s = 0; s < ns; s++) {
        const uint8_t *b = row + kq_bytes(DT) * s;
        KQ_PREFETCH(MX_PREFETCH_ROW, b);
        __m256i S[8], sm, qh[2] = {_mm256_setzero_si256(), _mm256_setzero_si256()};
        float d, dmin = 0.f;
        if (DT == CK_Q6_K) {
            d = _cvtsh_ss(ck_load_u16(b + 208));
            const __m256i sc = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(b + 192)));
            sm = _mm256_mullo_epi16(sc, _mm256_set1_epi16(-32));
            /* sc_2c in the low 128 bits, sc_2c+1 in the high ones: dword c (the pair) everywhere, then its word 0 in
             * the low lane and word 1 in the high one */
            const __m256i pick = _mm256_setr_epi8(0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1,
                                                  2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3);
            for (int c = 0; c < 8; c++)
                S[c] = _mm256_shuffle_epi8(_mm256_permutevar8x32_epi32(sc, _mm256_set1_epi32(c)), pick);
            qh[0] = _mm256_loadu_si256((const __m256i *)(b + 128));
            qh[1] = _mm256_loadu_si256((const __m256i *)(b + 160));
        } else {
            d = _cvtsh_ss(ck_load_u16(b));
            dmin = _cvtsh_ss(ck_load_u16(b + 2));
            sm = k8_scale_mins(b + 4);
            const __m256i lo = _mm256_permute2x128_si256(sm, sm, 0x00); /* sc0…sc7 in both lanes */
            for (int c = 0; c < 8; c++)
                S[c] = _mm256_shuffle_epi8(lo, _mm256_set1_epi16((short)(2 * c | (2 * c + 1) << 8)));
            if (DT == CK_Q5_K) qh[0] = _mm256_loadu_si256((const __m256i *)(b + 16));
        }
        __m256i sumi[QB_NX_MAX];
        for (int k = 0; k < NX; k++) /* Q6_K: −32·Σ_j sc_j·Σ q_j in the same int32 sum */
            sumi[k] = DT == CK_Q6_K ? _mm256_madd_epi16(sm, _mm256_loadu_si256((const __m256i *)(x[k].bs + 16 * s)))
                                    : _mm256_setzero_si256();
        for (int c = 0; c < 8; c++) {
            const __m256i u = kq_levels_avx2(DT, b, c, DT == CK_Q6_K ? qh[c / 4] : qh[0]);
            const int t4 = c % 4, slot = DT == CK_Q6_K ? c : (c & 4) | (t4 & 1) << 1 | t4 >> 1;
            for (int k = 0; k < NX; k++) {
                const __m256i xq = _mm256_loadu_si256((const __m256i *)(x[k].q + 256 * s + 32 * slot));
                const __m256i p = _mm256_maddubs_epi16(u, xq);
                sumi[k] = DPWSSD ? qb_dpwssd_vex(sumi[k], p, S[c])
                                 : _mm256_add_epi32(sumi[k], _mm256_madd_epi16(p, S[c]));
            }
        }
        for (int k = 0; k < NX; k++) {
            const float dx = x[k].dx[s];
            acc[k] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sumi[k]), _mm256_set1_ps(d * dx), acc[k]);
            if (DT != CK_Q6_K) {
                const __m256i bsum = _mm256_loadu_si256((const __m256i *)(x[k].bs + 16 * s));
                macc[k] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_madd_epi16(sm, bsum)), _mm256_set1_ps(-dmin * dx),
                                          macc[k]);
            }
        }
    }
    for (int k = 0; k < NX; k++) res[k] = ck_hsum256(_mm256_add_ps(acc[k], macc[k]));
}

/* Rows [row0, row1) against NX prepared vectors, one function per (path, dtype, NX). */
#define K8_ROWS_FN(NAME, TARGET, ROW, DT, NX_)                                                                         \
    __attribute__((target(TARGET))) static void NAME(const ck_weight *w, int64_t row0, int64_t row1, const float *xp, \
                                                     int64_t xs, const float *bias, float *y, int64_t ys) {            \
        const int64_t ns = w->cols / 256, stride = kq_bytes(DT) * ns;                                                  \
        k8_x x[NX_];                                                                                                   \
        for (int k = 0; k < NX_; k++) x[k] = k8_x_at(xp + k * xs, ns);                                                 \
        const uint8_t *row = (const uint8_t *)w->data + row0 * stride;                                                 \
        for (int64_t r = row0; r < row1; r++, row += stride) {                                                         \
            float res[NX_];                                                                                            \
            ROW(DT, row, ns, x, NX_, res);                                                                             \
            const float b = bias ? bias[r] : 0.f;                                                                      \
            for (int k = 0; k < NX_; k++) y[k * ys + (r - row0)] = res[k] + b;                                         \
        }                                                                                                              \
    }
#define K8_ROWS_DTYPE(PREFIX, TARGET, ROW, DT)                                                                         \
    K8_ROWS_FN(PREFIX##_1, TARGET, ROW, DT, 1)                                                                         \
    K8_ROWS_FN(PREFIX##_2, TARGET, ROW, DT, 2)                                                                         \
    K8_ROWS_FN(PREFIX##_3, TARGET, ROW, DT, 3)                                                                         \
    K8_ROWS_FN(PREFIX##_4, TARGET, ROW, DT, 4)
K8_ROWS_DTYPE(k8_q4_K, QB_VNNI_TARGET, k8_row, CK_Q4_K)
K8_ROWS_DTYPE(k8_q5_K, QB_VNNI_TARGET, k8_row, CK_Q5_K)
K8_ROWS_DTYPE(k8_q6_K, QB_VNNI_TARGET, k8_row, CK_Q6_K)
#define k8_row_maddwd(DT, ...) k8_row_avx2(DT, 0, __VA_ARGS__)
#define k8_row_dpwssd(DT, ...) k8_row_avx2(DT, 1, __VA_ARGS__)
K8_ROWS_DTYPE(k8_avx2_q4_K, QB_AVX2_TARGET, k8_row_maddwd, CK_Q4_K)
K8_ROWS_DTYPE(k8_avx2_q5_K, QB_AVX2_TARGET, k8_row_maddwd, CK_Q5_K)
K8_ROWS_DTYPE(k8_avx2_q6_K, QB_AVX2_TARGET, k8_row_maddwd, CK_Q6_K)
K8_ROWS_DTYPE(k8_avxvnni_q4_K, QB_AVXVNNI_TARGET, k8_row_dpwssd, CK_Q4_K)
K8_ROWS_DTYPE(k8_avxvnni_q5_K, QB_AVXVNNI_TARGET, k8_row_dpwssd, CK_Q5_K)
K8_ROWS_DTYPE(k8_avxvnni_q6_K, QB_AVXVNNI_TARGET, k8_row_dpwssd, CK_Q6_K)

void ck_kq8_gemv_rows(const ck_weight *w, int64_t row0, int64_t row1, const float *xp, int64_t xs, int nx,
                      const float *bias, float *y, int64_t ys, int level) {
    static const qb_rows_fn vnni[3][4] = {QB_TABLE(k8_q4_K), QB_TABLE(k8_q5_K), QB_TABLE(k8_q6_K)};
    static const qb_rows_fn avx2[3][4] = {QB_TABLE(k8_avx2_q4_K), QB_TABLE(k8_avx2_q5_K), QB_TABLE(k8_avx2_q6_K)};
    static const qb_rows_fn avxvnni[3][4] = {QB_TABLE(k8_avxvnni_q4_K), QB_TABLE(k8_avxvnni_q5_K),
                                             QB_TABLE(k8_avxvnni_q6_K)};
    const int i = w->dtype - CK_Q4_K;
    qb_run_rows(level >= CK_LEVEL_VNNI ? vnni[i] : ck_avx_vnni_enabled() ? avxvnni[i] : avx2[i], w, row0, row1, xp, xs,
                nx, bias, y, ys);
}
