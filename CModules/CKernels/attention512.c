/*
 * The 512-bit micro-kernels of attention.c's tile (behind ck_avx512_enabled()): scores for groups of 16 and 32 query
 * lanes, the online-softmax step down 16 lanes at a time, and Σ p·v over 64 value columns per pass. The tile, its
 * scratch layout and the masking stay in attention.c; an 8-lane rest of the query lanes keeps the 256-bit scores
 * kernel there (a half-empty 512-bit vector costs as much as a full one), except decode tiles of 8 lanes, whose
 * scores take two dims per 16-lane FMA (ck_attn_scores8_512), and of at most 4 query vectors, four dims
 * (ck_attn_scores4_512).
 */
#include "ck_internal.h"
#include <float.h>

#define T512 __attribute__((target(CK_AVX512_TARGET)))

/* S[j][r0 + 16L ..] = scale · Σ_d K_j[d]·Qt[d][r0 + 16L ..] for L < LANES (1 or 2 vectors of queries), 8 keys at a
 * time, then one at a time. */
T512 __attribute__((always_inline)) static inline void scores_group(const int LANES, const float *qt, int64_t mp,
                                                                   const float *const *kp, int64_t nb, int64_t D,
                                                                   float scale, float *s) {
    const __m512 sc = _mm512_set1_ps(scale);
    int64_t j = 0;
    for (; j + 8 <= nb; j += 8) {
        __m512 a[8][2];
        for (int u = 0; u < 8; u++)
            for (int L = 0; L < LANES; L++) a[u][L] = _mm512_setzero_ps();
        for (int64_t d = 0; d < D; d++) {
            __m512 qv[2];
            for (int L = 0; L < LANES; L++) qv[L] = _mm512_loadu_ps(qt + d * mp + 16 * L);
            for (int u = 0; u < 8; u++) {
                const __m512 k = _mm512_set1_ps(kp[j + u][d]);
                for (int L = 0; L < LANES; L++) a[u][L] = _mm512_fmadd_ps(k, qv[L], a[u][L]);
            }
        }
        for (int u = 0; u < 8; u++)
            for (int L = 0; L < LANES; L++) _mm512_storeu_ps(s + (j + u) * mp + 16 * L, _mm512_mul_ps(a[u][L], sc));
    }
    for (; j < nb; j++) {
        __m512 a[2] = {_mm512_setzero_ps(), _mm512_setzero_ps()};
        for (int64_t d = 0; d < D; d++) {
            const __m512 k = _mm512_set1_ps(kp[j][d]);
            for (int L = 0; L < LANES; L++) a[L] = _mm512_fmadd_ps(k, _mm512_loadu_ps(qt + d * mp + 16 * L), a[L]);
        }
        for (int L = 0; L < LANES; L++) _mm512_storeu_ps(s + j * mp + 16 * L, _mm512_mul_ps(a[L], sc));
    }
}

/* Pair sums of two vectors: lanes 0–7 a[0]+a[1], a[2]+a[3], … of a, lanes 8–15 those of b. */
T512 __attribute__((always_inline)) static inline __m512 pair_sums(__m512 a, __m512 b) {
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    return _mm512_add_ps(_mm512_permutex2var_ps(a, even, b), _mm512_permutex2var_ps(a, odd, b));
}

/* Q of an 8-lane tile (mp = 8: decode with up to 8 query heads per KV head) for ck_attn_scores8_512: for each pair of
 * dims p, lanes 2r and 2r + 1 hold Qt[2p][r] and Qt[2p + 1][r]. q2 takes 8·D floats (D even). */
void ck_attn_pack_q8(const float *qt, int64_t D, float *q2) {
    for (int64_t p = 0; p < D / 2; p++)
        for (int r = 0; r < 8; r++) {
            q2[16 * p + 2 * r] = qt[(2 * p) * 8 + r];
            q2[16 * p + 2 * r + 1] = qt[(2 * p + 1) * 8 + r];
        }
}

/* S[j][0 ..< 8] = scale · Σ_d K_j[d]·Qt[d][·] for 8 query lanes, 8 keys at a time (returns how many keys it did; the
 * rest, nb % 8, stays with the 8-lane kernel). One 64-bit broadcast puts a key's dims 2p and 2p + 1 into alternate
 * lanes against q2 (ck_attn_pack_q8), so a 16-lane FMA serves two dims of 8 query lanes: half the multiply-adds and
 * loads of broadcasting one element against 8 lanes. The even and odd dims are summed apart, then added. */
T512 int64_t ck_attn_scores8_512(const float *q2, const float *const *kp, int64_t nb, int64_t D, float scale,
                                 float *s) {
    const __m512 sc = _mm512_set1_ps(scale);
    int64_t j = 0;
    for (; j + 8 <= nb; j += 8) {
        __m512 a[8];
        for (int u = 0; u < 8; u++) a[u] = _mm512_setzero_ps();
        for (int64_t p = 0; p < D / 2; p++) {
            const __m512 q = _mm512_loadu_ps(q2 + 16 * p);
            for (int u = 0; u < 8; u++) {
                const __m512 k = _mm512_castpd_ps(_mm512_broadcastsd_pd(_mm_load_sd((const double *)(kp[j + u] + 2 * p))));
                a[u] = _mm512_fmadd_ps(k, q, a[u]);
            }
        }
        for (int u = 0; u < 8; u += 2) _mm512_storeu_ps(s + (j + u) * 8, _mm512_mul_ps(pair_sums(a[u], a[u + 1]), sc));
    }
    return j;
}

/* Q of a tile with at most 4 query vectors (decode with up to 4 query heads per KV head; the tile's lanes are still 8
 * wide, lanes 4–7 empty) for ck_attn_scores4_512: for each quad of dims p, lane 4r + i holds Qt[4p + i][r]. q4 takes
 * 4·D floats (D a multiple of 4). */
void ck_attn_pack_q4(const float *qt, int64_t D, float *q4) {
    for (int64_t p = 0; p < D / 4; p++)
        for (int r = 0; r < 4; r++)
            for (int i = 0; i < 4; i++) q4[16 * p + 4 * r + i] = qt[(4 * p + i) * 8 + r];
}

/* S[j][0 ..< 4] = scale · Σ_d K_j[d]·Qt[d][·] for 4 query lanes of an 8-lane tile (lanes 4–7 of S[j] get 0), 8 keys
 * at a time (returns how many keys it did; the rest, nb % 8, stays with the 8-lane kernel). One 128-bit broadcast
 * puts a key's dims 4p … 4p + 3 into each quad of lanes against q4 (ck_attn_pack_q4), so a 16-lane FMA serves four
 * dims of the 4 query lanes: a quarter of the multiply-adds and loads of broadcasting one element against 8 lanes.
 * Each lane sums its dim over p; the four dims are then added as (d0 + d1) + (d2 + d3). */
T512 int64_t ck_attn_scores4_512(const float *q4, const float *const *kp, int64_t nb, int64_t D, float scale,
                                 float *s) {
    const __m512 sc = _mm512_set1_ps(scale);
    /* 4 keys × 4 lanes → two 8-float S rows per 256 bits, lanes 4–7 of each row zero */
    const __m512i spread = _mm512_setr_epi32(0, 1, 2, 3, 0, 0, 0, 0, 4, 5, 6, 7, 0, 0, 0, 0);
    const __m512i spread_hi = _mm512_add_epi32(spread, _mm512_set1_epi32(8));
    int64_t j = 0;
    for (; j + 8 <= nb; j += 8) {
        __m512 a[8];
        for (int u = 0; u < 8; u++) a[u] = _mm512_setzero_ps();
        for (int64_t p = 0; p < D / 4; p++) {
            const __m512 q = _mm512_loadu_ps(q4 + 16 * p);
            for (int u = 0; u < 8; u++)
                a[u] = _mm512_fmadd_ps(_mm512_broadcast_f32x4(_mm_loadu_ps(kp[j + u] + 4 * p)), q, a[u]);
        }
        for (int u = 0; u < 8; u += 4) {
            /* lanes 4r + i of a[u + k] → x: lanes 8k' + 2r + h (h: dims 2h, 2h + 1) → y: lane 4k + r */
            const __m512 y = _mm512_mul_ps(pair_sums(pair_sums(a[u], a[u + 1]), pair_sums(a[u + 2], a[u + 3])), sc);
            _mm512_storeu_ps(s + (j + u) * 8, _mm512_maskz_permutexvar_ps(0x0F0F, spread, y));
            _mm512_storeu_ps(s + (j + u + 2) * 8, _mm512_maskz_permutexvar_ps(0x0F0F, spread_hi, y));
        }
    }
    return j;
}

T512 int64_t ck_attn_scores_512(const float *qt, int64_t mp, const float *const *kp, int64_t nb, int64_t D, float scale,
                                float *s) {
    int64_t r0 = 0;
    for (; r0 + 32 <= mp; r0 += 32) scores_group(2, qt + r0, mp, kp, nb, D, scale, s + r0);
    for (; r0 + 16 <= mp; r0 += 16) scores_group(1, qt + r0, mp, kp, nb, D, scale, s + r0);
    return r0;
}

/* The online-softmax step of an 8-lane tile (decode): keys j and j + 1 share one 16-lane vector (S rows are 8 floats
 * apart), so max, exp and sum take half the steps of the 8-lane loop; even and odd keys are summed apart, then
 * added. */
T512 static void softmax8(float *s, int64_t nb, float *m, float *l, float *alpha) {
    const __m256 m_old = _mm256_loadu_ps(m);
    const __m512 lowest = _mm512_set1_ps(-FLT_MAX);
    __m512 mx2 = _mm512_castps256_ps512(m_old);
    mx2 = _mm512_shuffle_f32x4(mx2, mx2, 0x44);
    int64_t j = 0;
    for (; j + 2 <= nb; j += 2) mx2 = _mm512_max_ps(mx2, _mm512_loadu_ps(s + j * 8));
    if (j < nb) mx2 = _mm512_max_ps(mx2, _mm512_mask_loadu_ps(lowest, 0x00FF, s + j * 8));
    const __m256 mx = _mm256_max_ps(_mm512_castps512_ps256(mx2),
                                    _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(mx2), 1)));
    mx2 = _mm512_castps256_ps512(mx);
    mx2 = _mm512_shuffle_f32x4(mx2, mx2, 0x44);
    __m512 sum0 = _mm512_setzero_ps(), sum1 = _mm512_setzero_ps();
    for (j = 0; j + 4 <= nb; j += 4) {
        const __m512 e0 = ck_exp512(_mm512_sub_ps(_mm512_loadu_ps(s + j * 8), mx2));
        const __m512 e1 = ck_exp512(_mm512_sub_ps(_mm512_loadu_ps(s + j * 8 + 16), mx2));
        _mm512_storeu_ps(s + j * 8, e0);
        _mm512_storeu_ps(s + j * 8 + 16, e1);
        sum0 = _mm512_add_ps(sum0, e0);
        sum1 = _mm512_add_ps(sum1, e1);
    }
    for (; j < nb; j += 2) { /* the last 1–3 keys */
        const __mmask16 k = nb - j >= 2 ? (__mmask16)0xFFFF : (__mmask16)0x00FF;
        const __m512 e = ck_exp512(_mm512_sub_ps(_mm512_maskz_loadu_ps(k, s + j * 8), mx2));
        _mm512_mask_storeu_ps(s + j * 8, k, e);
        sum0 = _mm512_add_ps(sum0, _mm512_maskz_mov_ps(k, e));
    }
    const __m512 sum2 = _mm512_add_ps(sum0, sum1);
    const __m256 sum = _mm256_add_ps(_mm512_castps512_ps256(sum2),
                                     _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(sum2), 1)));
    const __m256 a = ck_exp256(_mm256_sub_ps(m_old, mx));
    _mm256_storeu_ps(alpha, a);
    _mm256_storeu_ps(l, _mm256_fmadd_ps(_mm256_loadu_ps(l), a, sum));
    _mm256_storeu_ps(m, mx);
}

/* Online softmax of the block's scores S[j][r] for the leading 16-lane groups of mp lanes, or all 8 of an 8-lane tile
 * (returns how many lanes it did): new running max m, P = exp(S − m) in place, alpha = exp(m_old − m),
 * l = alpha·l + Σ_j P. */
T512 int64_t ck_attn_softmax_512(float *s, int64_t mp, int64_t nb, float *m, float *l, float *alpha) {
    if (mp == 8) {
        softmax8(s, nb, m, l, alpha);
        return 8;
    }
    int64_t r = 0;
    for (; r + 16 <= mp; r += 16) {
        const __mmask16 k = (__mmask16)0xFFFF;
        __m512 mx = _mm512_maskz_loadu_ps(k, m + r);
        const __m512 m_old = mx;
        for (int64_t j = 0; j < nb; j++) mx = _mm512_max_ps(mx, _mm512_maskz_loadu_ps(k, s + j * mp + r));
        __m512 sum = _mm512_setzero_ps();
        for (int64_t j = 0; j < nb; j++) {
            const __m512 e = ck_exp512(_mm512_sub_ps(_mm512_maskz_loadu_ps(k, s + j * mp + r), mx));
            _mm512_mask_storeu_ps(s + j * mp + r, k, e);
            sum = _mm512_add_ps(sum, e);
        }
        const __m512 a = ck_exp512(_mm512_sub_ps(m_old, mx));
        _mm512_mask_storeu_ps(alpha + r, k, a);
        _mm512_mask_storeu_ps(l + r, k, _mm512_fmadd_ps(_mm512_maskz_loadu_ps(k, l + r), a, sum));
        _mm512_mask_storeu_ps(m + r, k, mx);
    }
    return r;
}

/* acc[r][c ..< c + 16·CV] = alpha[r]·acc[r][…] + Σ_j P[j][r]·V_j[…] for 4 query vectors, CV ≤ 4 column vectors
 * (cm: the valid columns of the last one). */
T512 __attribute__((always_inline)) static inline void values_4rows(const int CV, const float *pr, int64_t mp,
                                                                   const float *const *vp, int64_t nb, int64_t c,
                                                                   __mmask16 cm, int64_t D, const float *alpha,
                                                                   float *acc) {
    __m512 a[4][4];
    for (int r = 0; r < 4; r++)
        for (int v = 0; v < CV; v++) a[r][v] = _mm512_setzero_ps();
    for (int64_t j = 0; j < nb; j++) {
        __m512 vv[4];
        for (int v = 0; v < CV; v++)
            vv[v] = v == CV - 1 ? _mm512_maskz_loadu_ps(cm, vp[j] + c + 16 * v) : _mm512_loadu_ps(vp[j] + c + 16 * v);
        const float *pj = pr + j * mp;
        for (int r = 0; r < 4; r++) {
            const __m512 w = _mm512_set1_ps(pj[r]);
            for (int v = 0; v < CV; v++) a[r][v] = _mm512_fmadd_ps(w, vv[v], a[r][v]);
        }
    }
    for (int r = 0; r < 4; r++) {
        const __m512 al = _mm512_set1_ps(alpha[r]);
        for (int v = 0; v < CV; v++) {
            float *o = acc + r * D + c + 16 * v;
            const __mmask16 k = v == CV - 1 ? cm : (__mmask16)0xFFFF;
            _mm512_mask_storeu_ps(o, k, _mm512_fmadd_ps(_mm512_maskz_loadu_ps(k, o), al, a[r][v]));
        }
    }
}

/* acc = alpha·acc + P·V for the first `rows` of the mp query vectors (both multiples of 4) and all D columns. */
T512 void ck_attn_values_512(const float *s, int64_t mp, int64_t rows, const float *const *vp, int64_t nb, int64_t D,
                             const float *alpha, float *acc) {
    for (int64_t r = 0; r < rows; r += 4) {
        for (int64_t c = 0; c < D; c += 64) {
            const int64_t cols = D - c < 64 ? D - c : 64, cv = (cols + 15) / 16;
            const __mmask16 cm = cols % 16 ? (__mmask16)((1u << (cols % 16)) - 1) : (__mmask16)0xFFFF;
            switch (cv) {
            case 1: values_4rows(1, s + r, mp, vp, nb, c, cm, D, alpha + r, acc + r * D); break;
            case 2: values_4rows(2, s + r, mp, vp, nb, c, cm, D, alpha + r, acc + r * D); break;
            case 3: values_4rows(3, s + r, mp, vp, nb, c, cm, D, alpha + r, acc + r * D); break;
            default: values_4rows(4, s + r, mp, vp, nb, c, cm, D, alpha + r, acc + r * D); break;
            }
        }
    }
}
