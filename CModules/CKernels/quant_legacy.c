/*
 * GGUF's 32-weight block types Q4_0, Q4_1, Q5_0, Q5_1: row decoding and GEMV rows, and the 16-bit fixed-point
 * activations that these and the K-quants' integer GEMVs (quant_k.c) read.
 *
 * Block b of a row (ggml's layouts, see ckernels.h): element k's 4-bit part is the low nibble of qs[k] for k < 16 and
 * the high nibble of qs[k − 16] for k ≥ 16; Q5 adds bit k of qh (LE u32) as bit 4. Q4_0 y = d(q − 8), Q5_0
 * y = d(q − 16), Q4_1 / Q5_1 y = d·q + m.
 *
 * GEMV: the unsigned level u = q ∈ [0, 31] meets x rounded per 32-block to 16-bit fixed point (x ≈ d_x·q_x,
 * q_x = 256·h + l, see quant.c's x16_block; NMSE ≈ 4e-10, the tolerance `linearFixedPoint` of MXFP4 and Q8_0):
 *     Σ_k y_k x_k = d_w·d_x·(256·Σ u·h + Σ u·l − z·Σ q_x) + m·Σ x      (z = 8, 16 or 0; m only for Q4_1 / Q5_1)
 * The integer part is exact in int32 per lane (each lane sums 4 elements: |·| ≤ 4·31·32639 < 2²⁴, so its conversion to
 * float is exact too); u·h and u·l are u8 × s8 multiply-adds (vpmaddubsw on 256 bits, |pair| ≤ 2·31·128; vpdpbusd on
 * 512 bits with AVX512-VNNI). The scalar path decodes blocks to float and multiplies by the plain x.
 */
#include "ck_qblock.h"

/* Field offsets of a block: d at 0, then m (Q4_1, Q5_1), qh (Q5_0, Q5_1), qs; z = the level offset. */
typedef struct {
    int bytes, m, qh, qs, z;
} lg_layout;

static inline lg_layout lg_layout_of(int32_t dt) {
    switch (dt) {
    case CK_Q4_0: return (lg_layout){18, -1, -1, 2, 8};
    case CK_Q4_1: return (lg_layout){20, 2, -1, 4, 0};
    case CK_Q5_0: return (lg_layout){22, -1, 2, 6, 16};
    default: return (lg_layout){24, 2, 4, 8, 0};
    }
}

static inline uint32_t lg_load_u32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }

/* ------------------------------------------------------------------ decoding */

static void lg_block_scalar(const lg_layout L, const uint8_t *b, float *out) {
    const float d = ck_f16_to_float(ck_load_u16(b));
    const uint32_t qh = L.qh >= 0 ? lg_load_u32(b + L.qh) : 0;
    const float m = L.m >= 0 ? ck_f16_to_float(ck_load_u16(b + L.m)) : 0.f;
    for (int k = 0; k < 32; k++) {
        const uint8_t byte = b[L.qs + (k & 15)];
        const int q = (k < 16 ? byte & 15 : byte >> 4) | (int)((qh >> k) & 1) << 4;
        out[k] = L.m >= 0 ? d * (float)q + m : d * (float)(q - L.z);
    }
}

/* The 32 unsigned levels of a block, in element order. */
__attribute__((target("avx2,fma,f16c"), always_inline)) static inline __m256i lg_levels_avx2(const lg_layout L,
                                                                                          const uint8_t *b) {
    const __m128i v = _mm_loadu_si128((const __m128i *)(b + L.qs));
    __m256i u = _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(v, 4), v), _mm256_set1_epi8(0x0F));
    if (L.qh >= 0) { /* byte k ← byte k/8 of qh, then its bit k mod 8 → 0x10 */
        const __m256i spread = _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1,
                                                2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
        const __m256i bit = _mm256_set1_epi64x(0x8040201008040201LL);
        __m256i h = _mm256_shuffle_epi8(_mm256_set1_epi32((int)lg_load_u32(b + L.qh)), spread);
        h = _mm256_cmpeq_epi8(_mm256_and_si256(h, bit), bit);
        u = _mm256_or_si256(u, _mm256_and_si256(h, _mm256_set1_epi8(0x10)));
    }
    return u;
}

__attribute__((target("avx2,fma,f16c"))) static void lg_decode_row_avx2(const lg_layout L, const uint8_t *row,
                                                                        int64_t nb, float *out) {
    for (int64_t b = 0; b < nb; b++) {
        const uint8_t *blk = row + L.bytes * b;
        const __m256i u = lg_levels_avx2(L, blk);
        const __m256 d = _mm256_set1_ps(_cvtsh_ss(ck_load_u16(blk)));
        const __m256 m = L.m >= 0 ? _mm256_set1_ps(_cvtsh_ss(ck_load_u16(blk + L.m))) : _mm256_setzero_ps();
        const __m256i z = _mm256_set1_epi32(L.z);
        const __m128i lo = _mm256_castsi256_si128(u), hi = _mm256_extracti128_si256(u, 1);
        const __m128i parts[4] = {lo, _mm_srli_si128(lo, 8), hi, _mm_srli_si128(hi, 8)};
        for (int c = 0; c < 4; c++) {
            const __m128i part = parts[c];
            const __m256 q = _mm256_cvtepi32_ps(_mm256_sub_epi32(_mm256_cvtepu8_epi32(part), z));
            /* d·q + m as the scalar definition: a product, then a sum (m = 0 for the symmetric types) */
            _mm256_storeu_ps(out + 32 * b + 8 * c, _mm256_add_ps(_mm256_mul_ps(d, q), m));
        }
    }
}

void ck_legacy_decode_row(const ck_weight *w, int64_t r, float *out, int avx2) {
    const lg_layout L = lg_layout_of(w->dtype);
    const uint8_t *row = ck_row_ptr(w, r);
    const int64_t nb = w->cols / 32;
    if (avx2) {
        lg_decode_row_avx2(L, row, nb, out);
        return;
    }
    for (int64_t b = 0; b < nb; b++) lg_block_scalar(L, row + L.bytes * b, out + 32 * b);
}

/* ------------------------------------------------------------------ prepared activations
 *
 * One x vector of n elements (nb = n/32 blocks) in ck_qb_prepared_floats(n) floats: Q8_0's VNNI layout
 * (ck_q8_prepare_x: per pair of blocks 192 bytes — l of its 64 elements in order, h, 16 int32 — then d_x per block,
 * pad8(nb) floats), with the 16 int32 of each pair rewritten as the exact sums Σ q_x over elements 4i…4i+3 (lanes 0–7:
 * the pair's first block, 8–15: its second; a GEMV lane sums the same 4 elements), followed by Σ x per block in float
 * (pad8(nb) floats; NaN when the block holds NaN or ±inf, with d_x). Zeros past the last block. */

int64_t ck_qb_prepared_floats(int64_t cols) {
    const int64_t nb = cols / 32;
    return 48 * qb_pairs(nb) + 2 * qb_pad8(nb);
}

void ck_qb_prepare_x(const float *x, int64_t n, float *xp) {
    const int64_t nb = n / 32;
    ck_q8_prepare_x(x, n, xp);
    uint8_t *xq = (uint8_t *)xp;
    float *sx = xp + 48 * qb_pairs(nb) + qb_pad8(nb);
    for (int64_t b = 0; b < nb; b++) {
        const uint8_t *pair = xq + 192 * (b / 2);
        const int8_t *l = (const int8_t *)(pair + 32 * (b % 2)), *h = (const int8_t *)(pair + 64 + 32 * (b % 2));
        int32_t *lanes = (int32_t *)(xq + 192 * (b / 2) + 128) + 8 * (b % 2);
        for (int i = 0; i < 8; i++) {
            int32_t s = 0;
            for (int e = 4 * i; e < 4 * i + 4; e++) s += 256 * h[e] + l[e];
            lanes[i] = s;
        }
        float s = 0.f;
        for (int k = 0; k < 32; k++) s += x[32 * b + k];
        sx[b] = s;
    }
    for (int64_t b = nb; b < qb_pad8(nb); b++) sx[b] = 0.f;
}

/* ------------------------------------------------------------------ GEMV rows, scalar (plain x) */

static inline void lg_decode_block(const ck_weight *w, const uint8_t *row, int64_t b, float *out) {
    const lg_layout L = lg_layout_of(w->dtype);
    lg_block_scalar(L, row + L.bytes * b, out);
}
QB_ROWS_SCALAR(lg_rows_scalar, 32, lg_decode_block)

/* ------------------------------------------------------------------ GEMV rows, AVX2 (vpmaddubsw) */

/* One row against NX vectors; two accumulators per vector (even / odd blocks). */
__attribute__((target(QB_AVX2_TARGET), always_inline)) static inline void
lg_row_avx2(const int32_t DT, const uint8_t *row, int64_t nb, const qb_x *x, const int NX, float *res) {
    const lg_layout L = lg_layout_of(DT);
    __m256 acc[QB_NX_MAX][2];
    float macc[QB_NX_MAX];
    for (int k = 0; k < NX; k++) {
        acc[k][0] = acc[k][1] = _mm256_setzero_ps();
        macc[k] = 0.f;
    }
#define LG_BLOCK_AVX2(b, slot)                                                                                         \
    do {                                                                                                               \
        const uint8_t *blk_ = row + L.bytes * (b);                                                                     \
        if ((slot) == 0) MX_PREFETCH(blk_);                                                                            \
        const __m256i u_ = lg_levels_avx2(L, blk_);                                                                    \
        const float dw_ = _cvtsh_ss(ck_load_u16(blk_));                                                                \
        const float m_ = L.m >= 0 ? _cvtsh_ss(ck_load_u16(blk_ + L.m)) : 0.f;                                          \
        for (int k = 0; k < NX; k++) {                                                                                 \
            const __m256i P_ = qb_dot_avx2(u_, x[k].xq, (b), L.z);                                                     \
            acc[k][slot] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(P_), _mm256_set1_ps(dw_ * x[k].dx[b]), acc[k][slot]);    \
            if (L.m >= 0) macc[k] = fmaf(m_, x[k].sx[b], macc[k]);                                                     \
        }                                                                                                              \
    } while (0)
    int64_t b = 0;
    for (; b + 2 <= nb; b += 2) {
        LG_BLOCK_AVX2(b, 0);
        LG_BLOCK_AVX2(b + 1, 1);
    }
    if (b < nb) LG_BLOCK_AVX2(b, 0);
#undef LG_BLOCK_AVX2
    for (int k = 0; k < NX; k++) res[k] = ck_hsum256(_mm256_add_ps(acc[k][0], acc[k][1])) + macc[k];
}

/* ------------------------------------------------------------------ GEMV rows, AVX512 VNNI (vpdpbusd) */

__attribute__((target(QB_VNNI_TARGET), always_inline)) static inline void
lg_row_vnni(const int32_t DT, const uint8_t *row, int64_t nb, const qb_x *x, const int NX, float *res) {
    const lg_layout L = lg_layout_of(DT);
    __m512 acc[QB_NX_MAX][2];
    float macc[QB_NX_MAX];
    for (int k = 0; k < NX; k++) {
        acc[k][0] = acc[k][1] = _mm512_setzero_ps();
        macc[k] = 0.f;
    }
    /* Pair p (blocks 2p, 2p+1; `two` = 0 when only the first exists: nothing past the row is read). */
#define LG_PAIR_VNNI(p, slot, two)                                                                                     \
    do {                                                                                                               \
        const uint8_t *a_ = row + L.bytes * 2 * (p), *b_ = a_ + L.bytes;                                               \
        MX_PREFETCH(a_);                                                                                               \
        const __m256i ua_ = lg_levels_avx2(L, a_);                                                                     \
        const __m256i ub_ = (two) ? lg_levels_avx2(L, b_) : _mm256_setzero_si256();                                    \
        const __m512i u_ = _mm512_inserti64x4(_mm512_castsi256_si512(ua_), ub_, 1);                                    \
        const float da_ = _cvtsh_ss(ck_load_u16(a_)), db_ = (two) ? _cvtsh_ss(ck_load_u16(b_)) : 0.f;                  \
        const float ma_ = L.m >= 0 ? _cvtsh_ss(ck_load_u16(a_ + L.m)) : 0.f;                                           \
        const float mb_ = L.m >= 0 && (two) ? _cvtsh_ss(ck_load_u16(b_ + L.m)) : 0.f;                                  \
        for (int k = 0; k < NX; k++) {                                                                                 \
            const __m512i P_ = qb_dot_vnni(u_, x[k].xq, (p), L.z);                                                     \
            const __m512 f_ = qb_pair_factor(da_ * x[k].dx[2 * (p)], (two) ? db_ * x[k].dx[2 * (p) + 1] : 0.f);        \
            acc[k][slot] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(P_), f_, acc[k][slot]);                                  \
            if (L.m >= 0) {                                                                                            \
                macc[k] = fmaf(ma_, x[k].sx[2 * (p)], macc[k]);                                                        \
                if (two) macc[k] = fmaf(mb_, x[k].sx[2 * (p) + 1], macc[k]);                                           \
            }                                                                                                          \
        }                                                                                                              \
    } while (0)
    const int64_t full = nb / 2;
    int64_t p = 0;
    for (; p + 2 <= full; p += 2) {
        LG_PAIR_VNNI(p, 0, 1);
        LG_PAIR_VNNI(p + 1, 1, 1);
    }
    if (p < full) {
        LG_PAIR_VNNI(p, 0, 1);
        p++;
    }
    if (nb % 2) LG_PAIR_VNNI(p, 1, 0);
#undef LG_PAIR_VNNI
    for (int k = 0; k < NX; k++) res[k] = qb_hsum512(_mm512_add_ps(acc[k][0], acc[k][1])) + macc[k];
}

/* ------------------------------------------------------------------ dispatch */

#define LG_ROWS_PATH(PATH, TARGET, ROW)                                                                                \
    QB_ROWS_DTYPE(lg_##PATH##_q4_0, TARGET, ROW, CK_Q4_0)                                                              \
    QB_ROWS_DTYPE(lg_##PATH##_q4_1, TARGET, ROW, CK_Q4_1)                                                              \
    QB_ROWS_DTYPE(lg_##PATH##_q5_0, TARGET, ROW, CK_Q5_0)                                                              \
    QB_ROWS_DTYPE(lg_##PATH##_q5_1, TARGET, ROW, CK_Q5_1)
LG_ROWS_PATH(avx2, QB_AVX2_TARGET, lg_row_avx2)
LG_ROWS_PATH(vnni, QB_VNNI_TARGET, lg_row_vnni)

void ck_legacy_gemv_rows(const ck_weight *w, int64_t row0, int64_t row1, const float *xp, int64_t xs, int nx,
                         const float *bias, float *y, int64_t ys, int level) {
    if (level < CK_LEVEL_AVX2) {
        lg_rows_scalar(w, row0, row1, xp, xs, nx, bias, y, ys);
        return;
    }
    static const qb_rows_fn avx2[4][4] = {QB_TABLE(lg_avx2_q4_0), QB_TABLE(lg_avx2_q4_1), QB_TABLE(lg_avx2_q5_0),
                                          QB_TABLE(lg_avx2_q5_1)};
    static const qb_rows_fn vnni[4][4] = {QB_TABLE(lg_vnni_q4_0), QB_TABLE(lg_vnni_q4_1), QB_TABLE(lg_vnni_q5_0),
                                          QB_TABLE(lg_vnni_q5_1)};
    qb_run_rows((level >= CK_LEVEL_VNNI ? vnni : avx2)[w->dtype - CK_Q4_0], w, row0, row1, xp, xs, nx, bias, y, ys);
}
