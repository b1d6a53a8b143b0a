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
 * float is exact too); u·h and u·l are u8 × s8 multiply-adds (vpmaddubsw on 256 bits, |pair| ≤ 2·31·128).
 * On AVX512-VNNI CPUs x is rounded to 8 bits per 32-block instead (ggml's Q8_0 activations, as llama.cpp's
 * Q4_0 × Q8_0 dot products; NMSE ≈ 1.5e-5 per dot product, Tolerance.linearInt8): Σ u·q_x is one vpdpbusd per pair of
 * blocks, half the multiply-adds and a third of the x bytes of the 16-bit form; AVX2 CPUs without VNNI run the same
 * 8-bit x through vpmaddubsw (CK_LEVEL_AVX2_INT8). Callers that need x unrounded (the MoE router, CK_LINEAR_EXACT_X)
 * take the AVX2 path. The scalar path decodes blocks to float and multiplies by the plain x.
 */
#include "ck_qblock.h"

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
 * (ck_q8_prepare_x: per pair of blocks 192 bytes — l of its 64 elements, h, 16 int32 — then d_x per block, pad8(nb)
 * floats), with the 16 int32 of each pair rewritten as the exact sums Σ q_x over elements 4i…4i+3 (lanes 0–7: the
 * pair's first block, 8–15: its second; a GEMV lane sums the same 4 elements), followed by the sum of the block's
 * rounded x, d_x·Σ q_x, per block (pad8(nb) floats; NaN with d_x when the block holds NaN or ±inf). Zeros past the
 * last block. The offset terms (m·Σ x, −z·d·Σ x, −dmin·m·Σ x) use this rounded sum: the result is then the exact dot
 * product of the weights with the rounded x (up to float rounding), whose error Σ (weight)·(x error) is centred.
 * `half_order` (the 32-weight types): l and h of each pair (blocks a, b) hold a0–15, b0–15, a16–31, b16–31, the
 * order in which a 256-bit load of both blocks' nibble bytes ([qs_a | qs_b]) gives their low nibbles, then their high
 * nibbles, with no shuffle. The int32 sums follow the element order (Q6_K reads them; the 32-weight types do not). */
/* 64 bytes of a pair of blocks (a, b) in element order a0–31, b0–31 → the half order a0–15, b0–15, a16–31, b16–31. */
static inline void lg_half_order(uint8_t *v) {
    uint8_t t[16];
    memcpy(t, v + 16, 16);
    memcpy(v + 16, v + 32, 16);
    memcpy(v + 32, t, 16);
}

int64_t ck_qb_prepared_floats(int64_t cols) {
    const int64_t nb = cols / 32;
    return 48 * qb_pairs(nb) + 2 * qb_pad8(nb);
}

void ck_qb_prepare_x(const float *x, int64_t n, float *xp, int half_order) {
    const int64_t nb = n / 32;
    ck_q8_prepare_x(x, n, xp);
    uint8_t *xq = (uint8_t *)xp;
    float *sx = xp + 48 * qb_pairs(nb) + qb_pad8(nb);
    for (int64_t b = 0; b < nb; b++) {
        const uint8_t *pair = xq + 192 * (b / 2);
        const int8_t *l = (const int8_t *)(pair + 32 * (b % 2)), *h = (const int8_t *)(pair + 64 + 32 * (b % 2));
        int32_t *lanes = (int32_t *)(xq + 192 * (b / 2) + 128) + 8 * (b % 2), total = 0;
        for (int i = 0; i < 8; i++) {
            int32_t s = 0;
            for (int e = 4 * i; e < 4 * i + 4; e++) s += 256 * h[e] + l[e];
            lanes[i] = s;
            total += s;
        }
        sx[b] = xp[48 * qb_pairs(nb) + b] * (float)total; /* d_x · Σ q_x (|Σ q_x| < 2²⁰: exact as a float) */
    }
    for (int64_t b = nb; b < qb_pad8(nb); b++) sx[b] = 0.f;
    if (!half_order) return;
    for (int64_t p = 0; p < qb_pairs(nb); p++) { /* l and h */
        lg_half_order(xq + 192 * p);
        lg_half_order(xq + 192 * p + 64);
    }
}

/* The 8-bit form (AVX512-VNNI path), in 16·pairs(nb) + 2·pad8(nb) ≤ ck_qb_prepared_floats(n) floats:
 *   q  [pairs][64] int8 per pair of blocks (a, b) in the half order a0–15, b0–15, a16–31, b16–31
 *   dx [pad8(nb)] d_x = max|x_b| / 127 per block (NaN when the block holds NaN or ±inf)
 *   sx [pad8(nb)] d_x·Σ q_x per block (the offsets' rounded Σ x, as above)
 * Zeros past the last block. */
static inline qb_x lg8_x_at(const float *xp, int64_t nb) {
    qb_x v = {(const uint8_t *)xp, xp + 16 * qb_pairs(nb), xp + 16 * qb_pairs(nb) + qb_pad8(nb)};
    return v;
}

void ck_lg8_prepare_x(const float *x, int64_t n, float *xp) {
    const int64_t nb = n / 32;
    const qb_x v = lg8_x_at(xp, nb);
    uint8_t *q = (uint8_t *)xp;
    float *dx = (float *)v.dx, *sx = (float *)v.sx;
    ck_x8_blocks(x, n, (int8_t *)q, dx, sx, NULL, NULL); /* blocks in element order, 32 bytes each */
    memset(q + 32 * nb, 0, (size_t)(64 * qb_pairs(nb) - 32 * nb));
    for (int64_t b = nb; b < qb_pad8(nb); b++) dx[b] = sx[b] = 0.f;
    for (int64_t p = 0; p < qb_pairs(nb); p++) lg_half_order(q + 64 * p);
}

/* ------------------------------------------------------------------ GEMV rows, scalar (plain x) */

static inline void lg_decode_block(const ck_weight *w, const uint8_t *row, int64_t b, float *out) {
    const lg_layout L = lg_layout_of(w->dtype);
    lg_block_scalar(L, row + L.bytes * b, out);
}
QB_ROWS_SCALAR(lg_rows_scalar, 32, lg_decode_block)

/* ------------------------------------------------------------------ GEMV rows: groups of 8 blocks
 *
 * Both paths walk a row in groups of 8 blocks (the last group may be shorter) and a pair of blocks per step, whose
 * nibble bytes are loaded as [qs_a | qs_b] (the x layout matches, see ck_qb_prepare_x). Per group, the 8 weight scales
 * are converted in one vcvtph2ps and multiplied by the 8 d_x of each vector (sd); the block offsets — m for Q4_1 /
 * Q5_1, −z·d for Q4_0 / Q5_0, so Σ (q − z)·x = Σ q·x − z·Σ x — multiply the 8 Σ x of the vector into a vector
 * accumulator (macc). A step's lanes 0–3 belong to block a and 4–7 to b (AVX2: both 256-bit halves add into the same
 * lanes; VNNI: lanes 8–15 repeat the pattern), so a lane permute of sd gives their factors. */

/* VNNI weight prefetch (MX_PREFETCH_ROW) once per 64-byte line: pair p of a group covers bytes 2p·B … 2p·B + 2B. */
#ifndef LG_PREFETCH_MODE
#define LG_PREFETCH_MODE 1
#endif
#if LG_PREFETCH_MODE == 0
#define LG_PREFETCH(a, p) ((void)0)
#elif LG_PREFETCH_MODE == 1
#define LG_PREFETCH(a, p) MX_PREFETCH_ROW(a)
#else
#define LG_PREFETCH(a, p)                                                                                              \
    do {                                                                                                               \
        if ((p) < 3) MX_PREFETCH_ROW(gb_ + 64 * (p));                                                                  \
    } while (0)
#endif

/* The f16 fields at offset `field` of the first n (≤ 8) blocks of a group, as 8 floats (0 past n). */
__attribute__((target(QB_AVX2_TARGET), always_inline)) static inline __m256 lg_group_halves(const uint8_t *blk,
                                                                                          int bytes, int field,
                                                                                          int64_t n) {
    /* four scales per 64-bit word in general registers (a vpinsrw chain measured 25% of the GEMV's time) */
    uint64_t w[2] = {0, 0};
    for (int64_t i = 0; i < n; i++) w[i / 4] |= (uint64_t)ck_load_u16(blk + bytes * i + field) << (16 * (i % 4));
    return _mm256_cvtph_ps(_mm_set_epi64x((long long)w[1], (long long)w[0]));
}

/* sd[k] = d_w · d_x for the group's 8 blocks and vector k; the offsets' terms added to macc[k]. */
#define LG_GROUP_SCALES(g, n)                                                                                          \
    const uint8_t *gb_ = row + L.bytes * (g);                                                                          \
    const __m256 dw_ = lg_group_halves(gb_, L.bytes, 0, (n));                                                          \
    const __m256 off_ = L.m >= 0 ? lg_group_halves(gb_, L.bytes, L.m, (n))                                             \
                                 : _mm256_mul_ps(dw_, _mm256_set1_ps(-(float)L.z));                                    \
    __m256 sd[QB_NX_MAX];                                                                                              \
    for (int k = 0; k < NX; k++) {                                                                                     \
        sd[k] = _mm256_mul_ps(dw_, _mm256_loadu_ps(x[k].dx + (g)));                                                    \
        macc[k] = _mm256_fmadd_ps(off_, _mm256_loadu_ps(x[k].sx + (g)), macc[k]);                                      \
    }

/* The row's groups: full ones of 4 pairs, then the last 1–7 blocks (PAIR(g, p, two): pair p of the group at g). */
#define LG_ROW_GROUPS(PAIR)                                                                                            \
    int64_t g = 0;                                                                                                     \
    for (; g + 8 <= nb; g += 8) {                                                                                      \
        LG_GROUP_SCALES(g, 8)                                                                                          \
        PAIR(g, 0, 1);                                                                                                 \
        PAIR(g, 1, 1);                                                                                                 \
        PAIR(g, 2, 1);                                                                                                 \
        PAIR(g, 3, 1);                                                                                                 \
    }                                                                                                                  \
    if (g < nb) {                                                                                                      \
        const int64_t left = nb - g;                                                                                   \
        LG_GROUP_SCALES(g, left)                                                                                       \
        for (int p = 0; 2 * p < left; p++) PAIR(g, p, 2 * p + 1 < left);                                              \
    }

/* [qs_a | qs_b] of the pair at a (b = a + bytes; `two` = 0: only a exists, nothing past the row is read). */
__attribute__((target(QB_AVX2_TARGET), always_inline)) static inline __m256i lg_pair_bytes(const lg_layout L,
                                                                                         const uint8_t *a, int two) {
    const __m128i qa = _mm_loadu_si128((const __m128i *)(a + L.qs));
    if (!two) return _mm256_zextsi128_si256(qa);
    const __m128i qb = _mm_loadu_si128((const __m128i *)(a + L.bytes + L.qs));
    return _mm256_inserti128_si256(_mm256_castsi128_si256(qa), qb, 1);
}

/* The Q5 fifth bits of the pair in the half order: bits a0–15, b0–15, a16–31, b16–31. */
static inline uint64_t lg_pair_fifth_bits(const lg_layout L, const uint8_t *a, int two) {
    const uint64_t ha = lg_load_u32(a + L.qh), hb = two ? lg_load_u32(a + L.bytes + L.qh) : 0;
    return (ha & 0xFFFF) | (hb & 0xFFFF) << 16 | (ha >> 16) << 32 | (hb >> 16) << 48;
}

/* Bit k of `bits` → 0x10 in byte k. */
__attribute__((target(QB_AVX2_TARGET), always_inline)) static inline __m256i lg_bits_to_bytes(uint32_t bits) {
    const __m256i spread = _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1,
                                            2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
    const __m256i bit = _mm256_set1_epi64x(0x8040201008040201LL);
    const __m256i h = _mm256_shuffle_epi8(_mm256_set1_epi32((int)bits), spread);
    return _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(h, bit), bit), _mm256_set1_epi8(0x10));
}

/* The levels of the pair at a: lo = the low nibbles (a0–15 b0–15), hi = the high ones (a16–31 b16–31), with the Q5
 * fifth bits. */
__attribute__((target(QB_AVX2_TARGET), always_inline)) static inline void
lg_pair_levels_avx2(const lg_layout L, const uint8_t *a, int two, __m256i *lo, __m256i *hi) {
    const __m256i m4 = _mm256_set1_epi8(0x0F), v = lg_pair_bytes(L, a, two);
    *lo = _mm256_and_si256(v, m4);
    *hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), m4);
    if (L.qh >= 0) {
        const uint64_t bits = lg_pair_fifth_bits(L, a, two);
        *lo = _mm256_or_si256(*lo, lg_bits_to_bytes((uint32_t)bits));
        *hi = _mm256_or_si256(*hi, lg_bits_to_bytes((uint32_t)(bits >> 32)));
    }
}

/* One row against NX vectors, AVX2: a pair per step as two 256-bit halves (low nibbles: a0–15 b0–15; high: a16–31
 * b16–31) whose vpmaddubsw products add in int16 (|·| ≤ 2·2·31·128 < 2¹⁵) before widening. */
__attribute__((target(QB_AVX2_TARGET), always_inline)) static inline void
lg_row_avx2(const int32_t DT, const uint8_t *row, int64_t nb, const qb_x *x, const int NX, float *res) {
    const lg_layout L = lg_layout_of(DT);
    __m256 acc[QB_NX_MAX][2], macc[QB_NX_MAX];
    for (int k = 0; k < NX; k++) acc[k][0] = acc[k][1] = macc[k] = _mm256_setzero_ps();
    const __m256i one = _mm256_set1_epi16(1), k256 = _mm256_set1_epi16(256);
#define LG_PAIR_AVX2(g, p, two)                                                                                        \
    do {                                                                                                               \
        const uint8_t *a_ = gb_ + L.bytes * 2 * (p);                                                                   \
        MX_PREFETCH(a_);                                                                                               \
        __m256i lo_, hi_;                                                                                              \
        lg_pair_levels_avx2(L, a_, (two), &lo_, &hi_);                                                                 \
        const __m256i idx_ = _mm256_setr_epi32(2 * (p), 2 * (p), 2 * (p), 2 * (p), 2 * (p) + 1, 2 * (p) + 1,          \
                                               2 * (p) + 1, 2 * (p) + 1);                                              \
        for (int k = 0; k < NX; k++) {                                                                                 \
            const __m256i *xv_ = (const __m256i *)(x[k].xq + 192 * ((g) / 2 + (p)));                                   \
            const __m256i l_ = _mm256_add_epi16(_mm256_maddubs_epi16(lo_, _mm256_loadu_si256(xv_)),                    \
                                                _mm256_maddubs_epi16(hi_, _mm256_loadu_si256(xv_ + 1)));               \
            const __m256i h_ = _mm256_add_epi16(_mm256_maddubs_epi16(lo_, _mm256_loadu_si256(xv_ + 2)),                \
                                                _mm256_maddubs_epi16(hi_, _mm256_loadu_si256(xv_ + 3)));               \
            const __m256i P_ = _mm256_add_epi32(_mm256_madd_epi16(h_, k256), _mm256_madd_epi16(l_, one));              \
            acc[k][(p) & 1] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(P_), _mm256_permutevar8x32_ps(sd[k], idx_),           \
                                              acc[k][(p) & 1]);                                                        \
        }                                                                                                              \
    } while (0)
    LG_ROW_GROUPS(LG_PAIR_AVX2)
#undef LG_PAIR_AVX2
    for (int k = 0; k < NX; k++) res[k] = ck_hsum256(_mm256_add_ps(_mm256_add_ps(acc[k][0], acc[k][1]), macc[k]));
}

/* Σ lo·x0 + hi·x1 per dword lane: two vpdpbusd (AVX-VNNI), or vpmaddubsw ×2, vpaddw, vpmaddwd by ones. */
__attribute__((target(QB_AVX2_TARGET), always_inline)) static inline __m256i
lg_pair_sum_avx2(const int DPBUSD, __m256i lo, __m256i hi, __m256i x0, __m256i x1) {
    if (DPBUSD) return qb_dpbusd_vex(qb_dpbusd_vex(_mm256_setzero_si256(), lo, x0), hi, x1);
    const __m256i s = _mm256_add_epi16(_mm256_maddubs_epi16(lo, x0), _mm256_maddubs_epi16(hi, x1));
    return _mm256_madd_epi16(s, _mm256_set1_epi16(1));
}

/* One row against NX vectors of 8-bit x (lg8_x_at) on AVX2 (CK_LEVEL_AVX2_INT8): a pair per step, low nibbles
 * (a0–15 b0–15) against x bytes 0–31 and high ones (a16–31 b16–31) against 32–63, the two vpmaddubsw sums added in
 * int16 (|·| ≤ 2·2·31·127 < 2¹⁵), then one vpmaddwd: lanes 0–3 block a, 4–7 block b, as lg_row_avx2. With AVX-VNNI
 * (DPBUSD) two vpdpbusd ymm instead of the four: the same int32 sums. */
__attribute__((target(QB_AVX2_TARGET), always_inline)) static inline void
lg_row_avx2_8(const int32_t DT, const int DPBUSD, const uint8_t *row, int64_t nb, const qb_x *x, const int NX,
              float *res) {
    const lg_layout L = lg_layout_of(DT);
    __m256 acc[QB_NX_MAX][2], macc[QB_NX_MAX];
    for (int k = 0; k < NX; k++) acc[k][0] = acc[k][1] = macc[k] = _mm256_setzero_ps();
#define LG_PAIR_AVX2_8(g, p, two)                                                                                      \
    do {                                                                                                               \
        const uint8_t *a_ = gb_ + L.bytes * 2 * (p);                                                                   \
        LG_PREFETCH(a_, p);                                                                                            \
        __m256i lo_, hi_;                                                                                              \
        lg_pair_levels_avx2(L, a_, (two), &lo_, &hi_);                                                                 \
        const __m256i idx_ = _mm256_setr_epi32(2 * (p), 2 * (p), 2 * (p), 2 * (p), 2 * (p) + 1, 2 * (p) + 1,          \
                                               2 * (p) + 1, 2 * (p) + 1);                                              \
        for (int k = 0; k < NX; k++) {                                                                                 \
            const __m256i *xv_ = (const __m256i *)(x[k].xq + 64 * ((g) / 2 + (p)));                                    \
            const __m256i P_ =                                                                                         \
                lg_pair_sum_avx2(DPBUSD, lo_, hi_, _mm256_loadu_si256(xv_), _mm256_loadu_si256(xv_ + 1));              \
            acc[k][(p) & 1] =                                                                                          \
                _mm256_fmadd_ps(_mm256_cvtepi32_ps(P_), _mm256_permutevar8x32_ps(sd[k], idx_), acc[k][(p) & 1]);       \
        }                                                                                                              \
    } while (0)
    LG_ROW_GROUPS(LG_PAIR_AVX2_8)
#undef LG_PAIR_AVX2_8
    for (int k = 0; k < NX; k++) res[k] = ck_hsum256(_mm256_add_ps(_mm256_add_ps(acc[k][0], acc[k][1]), macc[k]));
}

/* One row against NX vectors of 8-bit x (lg8_x_at), AVX512 VNNI: a pair per 512-bit step, [low nibbles | high
 * nibbles] of [qs_a | qs_b] in one vpdpbusd with the pair's 64 x bytes. */
__attribute__((target(QB_VNNI_TARGET), always_inline)) static inline void
lg_row_vnni8(const int32_t DT, const uint8_t *row, int64_t nb, const qb_x *x, const int NX, float *res) {
    const lg_layout L = lg_layout_of(DT);
    /* lanes 0–3 and 8–11 block a (2p), 4–7 and 12–15 block b (2p+1) */
    const __m512i pidx[4] = {_mm512_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1),
                             _mm512_setr_epi32(2, 2, 2, 2, 3, 3, 3, 3, 2, 2, 2, 2, 3, 3, 3, 3),
                             _mm512_setr_epi32(4, 4, 4, 4, 5, 5, 5, 5, 4, 4, 4, 4, 5, 5, 5, 5),
                             _mm512_setr_epi32(6, 6, 6, 6, 7, 7, 7, 7, 6, 6, 6, 6, 7, 7, 7, 7)};
    const __m512i m4 = _mm512_set1_epi8(0x0F), sixteen = _mm512_set1_epi8(0x10);
    __m512 acc[QB_NX_MAX][2];
    __m256 macc[QB_NX_MAX];
    for (int k = 0; k < NX; k++) {
        acc[k][0] = acc[k][1] = _mm512_setzero_ps();
        macc[k] = _mm256_setzero_ps();
    }
#define LG_PAIR_VNNI(g, p, two)                                                                                        \
    do {                                                                                                               \
        const uint8_t *a_ = gb_ + L.bytes * 2 * (p);                                                                   \
        LG_PREFETCH(a_, p);                                                                                            \
        const __m256i v_ = lg_pair_bytes(L, a_, (two));                                                                \
        const __m512i w_ = _mm512_inserti64x4(_mm512_castsi256_si512(v_), _mm256_srli_epi16(v_, 4), 1);              \
        __m512i u_ = _mm512_and_si512(w_, m4);                                                                         \
        if (L.qh >= 0)                                                                                                 \
            u_ = _mm512_or_si512(u_, _mm512_maskz_mov_epi8((__mmask64)lg_pair_fifth_bits(L, a_, (two)), sixteen));     \
        for (int k = 0; k < NX; k++) {                                                                                 \
            const __m512i P_ = _mm512_dpbusd_epi32(_mm512_setzero_si512(), u_,                                         \
                                                   _mm512_loadu_si512(x[k].xq + 64 * ((g) / 2 + (p))));                \
            const __m512 f_ = _mm512_permutexvar_ps(pidx[p], _mm512_castps256_ps512(sd[k]));                           \
            acc[k][(p) & 1] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(P_), f_, acc[k][(p) & 1]);                           \
        }                                                                                                              \
    } while (0)
    LG_ROW_GROUPS(LG_PAIR_VNNI)
#undef LG_PAIR_VNNI
    for (int k = 0; k < NX; k++) res[k] = qb_hsum512(_mm512_add_ps(acc[k][0], acc[k][1])) + ck_hsum256(macc[k]);
}

/* ------------------------------------------------------------------ dispatch */

#define LG_ROWS_PATH(PATH, TARGET, ROW, XAT)                                                                           \
    QB_ROWS_DTYPE(lg_##PATH##_q4_0, TARGET, ROW, CK_Q4_0, XAT)                                                         \
    QB_ROWS_DTYPE(lg_##PATH##_q4_1, TARGET, ROW, CK_Q4_1, XAT)                                                         \
    QB_ROWS_DTYPE(lg_##PATH##_q5_0, TARGET, ROW, CK_Q5_0, XAT)                                                         \
    QB_ROWS_DTYPE(lg_##PATH##_q5_1, TARGET, ROW, CK_Q5_1, XAT)
LG_ROWS_PATH(avx2, QB_AVX2_TARGET, lg_row_avx2, qb_x_at)
LG_ROWS_PATH(vnni, QB_VNNI_TARGET, lg_row_vnni8, lg8_x_at)
#define lg_row_maddubs(DT, ...) lg_row_avx2_8(DT, 0, __VA_ARGS__)
#define lg_row_dpbusd(DT, ...) lg_row_avx2_8(DT, 1, __VA_ARGS__)
LG_ROWS_PATH(avx2_8, QB_AVX2_TARGET, lg_row_maddubs, lg8_x_at)
LG_ROWS_PATH(avxvnni, QB_AVXVNNI_TARGET, lg_row_dpbusd, lg8_x_at)

void ck_legacy_gemv_rows(const ck_weight *w, int64_t row0, int64_t row1, const float *xp, int64_t xs, int nx,
                         const float *bias, float *y, int64_t ys, int level) {
    static const qb_rows_fn avx2[4][4] = {QB_TABLE(lg_avx2_q4_0), QB_TABLE(lg_avx2_q4_1), QB_TABLE(lg_avx2_q5_0),
                                          QB_TABLE(lg_avx2_q5_1)};
    static const qb_rows_fn vnni[4][4] = {QB_TABLE(lg_vnni_q4_0), QB_TABLE(lg_vnni_q4_1), QB_TABLE(lg_vnni_q5_0),
                                          QB_TABLE(lg_vnni_q5_1)};
    static const qb_rows_fn avx2_8[4][4] = {QB_TABLE(lg_avx2_8_q4_0), QB_TABLE(lg_avx2_8_q4_1),
                                            QB_TABLE(lg_avx2_8_q5_0), QB_TABLE(lg_avx2_8_q5_1)};
    static const qb_rows_fn avxvnni[4][4] = {QB_TABLE(lg_avxvnni_q4_0), QB_TABLE(lg_avxvnni_q4_1),
                                             QB_TABLE(lg_avxvnni_q5_0), QB_TABLE(lg_avxvnni_q5_1)};
    const int i = w->dtype - CK_Q4_0;
    const qb_rows_fn *int8 = ck_avx_vnni_enabled() ? avxvnni[i] : avx2_8[i];
    qb_gemv_rows(lg_rows_scalar, level == CK_LEVEL_AVX2_INT8 ? int8 : avx2[i], vnni[i], w, row0, row1, xp, xs, nx, bias,
                 y, ys, level);
}
