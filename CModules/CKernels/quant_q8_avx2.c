/*
 * Q8_0's GEMV on AVX2 CPUs without AVX512-VNNI (CK_LEVEL_AVX2_INT8). x is rounded per 32-block to 8 bits as on the
 * VNNI path (quant.c's q8_prepare_x8 layout: per pair of blocks 64 q bytes, then 64 bytes this path does not read;
 * d_x per block from float 32·pairs on). Σ w·q per block is ggml's AVX2 Q8_0 dot product: vpmaddubsw(|w|, sign(q, w))
 * — |w| ≤ 128 read as unsigned, |q| ≤ 127, so a pair stays ≤ 32512 and never saturates int16 (w = −128 gives
 * 128·(−q)) — then vpmaddwd by 1 into 8 int32 lanes, converted and multiplied by d_w·d_x once per block. The integer
 * sums are exact; the rounding of x costs NMSE ≈ 1.5e-5 per dot product (Tolerance.linearInt8), as on VNNI. The AVX2
 * level's float GEMV (quant.c) is bound by its conversions and multiplies at ~11–24 GB/s per core on a Zen 5 (24–59%
 * of a read); exact-x callers (CK_LINEAR_EXACT_X) keep it. With AVX-VNNI (ck_avx_vnni_enabled) one vpdpbusd ymm per
 * block and vector replaces the three: u = w + 128 (the sign bit flipped, once per block) against q, starting from
 * the layout's −16·Σq per lane (−128·Σq over the 8 lanes), as the VNNI path does: the same int32 sums.
 */
#include "ck_qblock.h"

static inline int64_t q8a_pairs(int64_t nb) { return (nb + 1) / 2; }

/* The f16 scales of the first n (≤ 8) blocks of a group at p, as 8 floats (0 past n): four per 64-bit word in
 * general registers (n is a constant at the full groups' call, so the loop unrolls; a stack array indexed at run
 * time cost a store-forwarding stall per group, a third of the row's time). */
__attribute__((target("avx2,fma,f16c"), always_inline)) static inline __m256 q8a_group_scales(const uint8_t *p,
                                                                                            int n) {
    uint64_t w0 = 0, w1 = 0;
    for (int i = 0; i < n && i < 4; i++) w0 |= (uint64_t)ck_load_u16(p + 34 * i) << (16 * i);
    for (int i = 4; i < n; i++) w1 |= (uint64_t)ck_load_u16(p + 34 * i) << (16 * (i - 4));
    return _mm256_cvtph_ps(_mm_set_epi64x((long long)w1, (long long)w0));
}

/* One row (nb blocks of 34 bytes: f16 d, int8 q[32]) against NX prepared vectors: groups of 8 blocks whose 8 weight
 * scales are converted at once and multiplied by the vectors' 8 d_x (the last group may be shorter; d_x is 0 past
 * the row). */
__attribute__((target("avx2,fma,f16c"), always_inline)) static inline void
q8_row_avx2_int8(const int DPBUSD, const uint8_t *row, int64_t nb, const uint8_t *const xq[], const float *const dsc[],
                 const int NX, float *res) {
    __m256 acc[CK_GEMV_NX_MAX][2];
    for (int k = 0; k < NX; k++) acc[k][0] = acc[k][1] = _mm256_setzero_ps();
    __m256 sd[CK_GEMV_NX_MAX];
    /* block i of group g into accumulator i % 2 (constant indices: a runtime one puts acc on the stack) */
#define Q8A_BLOCK(i)                                                                                                   \
    do {                                                                                                               \
        const uint8_t *blk_ = row + 34 * (g + (i));                                                                    \
        MX_PREFETCH_ROW(blk_);                                                                                         \
        const __m256i w_ = _mm256_loadu_si256((const __m256i *)(blk_ + 2));                                            \
        const __m256i aw_ = DPBUSD ? qb_q8_flip(w_) : _mm256_abs_epi8(w_); /* the levels w + 128, or |w| */         \
        for (int k = 0; k < NX; k++) {                                                                                 \
            const uint8_t *xb_ = xq[k] + 128 * ((g + (i)) / 2) + 32 * ((i) % 2);                                       \
            const __m256i q_ = _mm256_loadu_si256((const __m256i *)xb_);                                               \
            const __m256i p_ = DPBUSD ? qb_dpbusd_vex(_mm256_loadu_si256((const __m256i *)(xb_ + 64)), aw_, q_)        \
                                      : qb_q8_dot_avx2(aw_, w_, q_);                                                   \
            acc[k][(i) % 2] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p_),                                                  \
                                              _mm256_permutevar8x32_ps(sd[k], _mm256_set1_epi32(i)), acc[k][(i) % 2]); \
        }                                                                                                              \
    } while (0)
#define Q8A_SCALES(n)                                                                                                  \
    do {                                                                                                               \
        const __m256 dw_ = q8a_group_scales(row + 34 * g, (n));                                                        \
        for (int k = 0; k < NX; k++) sd[k] = _mm256_mul_ps(dw_, _mm256_loadu_ps(dsc[k] + g));                         \
    } while (0)
    int64_t g = 0;
    for (; g + 8 <= nb; g += 8) {
        Q8A_SCALES(8);
        Q8A_BLOCK(0);
        Q8A_BLOCK(1);
        Q8A_BLOCK(2);
        Q8A_BLOCK(3);
        Q8A_BLOCK(4);
        Q8A_BLOCK(5);
        Q8A_BLOCK(6);
        Q8A_BLOCK(7);
    }
    if (g < nb) { /* the last 1–7 blocks */
        const int n = (int)(nb - g);
        Q8A_SCALES(n);
        Q8A_BLOCK(0);
        if (n > 1) Q8A_BLOCK(1);
        if (n > 2) Q8A_BLOCK(2);
        if (n > 3) Q8A_BLOCK(3);
        if (n > 4) Q8A_BLOCK(4);
        if (n > 5) Q8A_BLOCK(5);
        if (n > 6) Q8A_BLOCK(6);
    }
#undef Q8A_SCALES
#undef Q8A_BLOCK
    for (int k = 0; k < NX; k++) res[k] = ck_hsum256(_mm256_add_ps(acc[k][0], acc[k][1]));
}

/* Rows [row0, row1) against NX_ vectors. */
#define Q8A_ROWS_FN(NAME, TARGET, DPBUSD, NX_)                                                                         \
    __attribute__((target(TARGET))) static void NAME(const ck_weight *w, int64_t row0, int64_t row1, const float *xp, \
                                                     int64_t xs, const float *bias, float *y, int64_t ys) {            \
        const int64_t nb = w->cols / 32;                                                                               \
        const uint8_t *xq[NX_];                                                                                        \
        const float *dsc[NX_];                                                                                         \
        for (int k = 0; k < NX_; k++) {                                                                                \
            xq[k] = (const uint8_t *)(xp + k * xs);                                                                    \
            dsc[k] = xp + k * xs + 32 * q8a_pairs(nb);                                                                 \
        }                                                                                                              \
        for (int64_t r = row0; r < row1; r++) {                                                                        \
            float res[NX_];                                                                                            \
            q8_row_avx2_int8(DPBUSD, ck_row_ptr(w, r), nb, xq, dsc, NX_, res);                                         \
            const float b = bias ? bias[r] : 0.f;                                                                      \
            for (int k = 0; k < NX_; k++) y[k * ys + (r - row0)] = res[k] + b;                                         \
        }                                                                                                              \
    }
Q8A_ROWS_FN(q8a_rows_1, QB_AVX2_TARGET, 0, 1)
Q8A_ROWS_FN(q8a_rows_2, QB_AVX2_TARGET, 0, 2)
Q8A_ROWS_FN(q8a_rows_3, QB_AVX2_TARGET, 0, 3)
Q8A_ROWS_FN(q8a_rows_4, QB_AVX2_TARGET, 0, 4)
Q8A_ROWS_FN(q8v_rows_1, QB_AVXVNNI_TARGET, 1, 1)
Q8A_ROWS_FN(q8v_rows_2, QB_AVXVNNI_TARGET, 1, 2)
Q8A_ROWS_FN(q8v_rows_3, QB_AVXVNNI_TARGET, 1, 3)
Q8A_ROWS_FN(q8v_rows_4, QB_AVXVNNI_TARGET, 1, 4)

void ck_q8_gemv_rows_avx2_int8(const ck_weight *w, int64_t row0, int64_t row1, const float *xp, int64_t xs, int nx,
                               const float *bias, float *y, int64_t ys) {
    static const qb_rows_fn fns[CK_GEMV_NX_MAX] = {q8a_rows_1, q8a_rows_2, q8a_rows_3, q8a_rows_4};
    static const qb_rows_fn vnni[CK_GEMV_NX_MAX] = {q8v_rows_1, q8v_rows_2, q8v_rows_3, q8v_rows_4};
    qb_run_rows(ck_avx_vnni_enabled() ? vnni : fns, w, row0, row1, xp, xs, nx, bias, y, ys); /* 4 vectors per pass */
}
