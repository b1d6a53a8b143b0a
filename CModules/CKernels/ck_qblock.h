/* Shared pieces of the integer kernels of the GGUF block types Q4_0 … Q6_K: their layouts and level decoders (the
 * GEMVs of quant_legacy.c, quant_k.c, quant_k8.c and the VNNI GEMM of gemm_vnni.c), the GEMVs' prepared activations
 * (ck_qb_prepare_x, layout in quant_legacy.c), the integer block dot products, and the per-(dtype, NX) row functions
 * with their dispatch. Internal to CKernels. */
#ifndef CK_QBLOCK_H
#define CK_QBLOCK_H
#include "ck_internal.h"

/* Vectors per pass over the weight rows (as CK_NX_MAX of quant.c). */
enum { QB_NX_MAX = 4 };

#define QB_AVX2_TARGET "avx2,fma,f16c"
#define QB_VNNI_TARGET "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni"
/* Row functions of the AVX2_INT8 GEMVs that use AVX-VNNI (ck_avx_vnni_enabled): the shared row bodies are compiled
 * for QB_AVX2_TARGET and reach vpdpbusd / vpdpwssd ymm through these VEX-encoded asm forms, so one body serves both. */
#define QB_AVXVNNI_TARGET QB_AVX2_TARGET ",avxvnni"

/* Q8_0's signed weight bytes w against signed x, ggml's AVX2 form: |w| (aw, read as unsigned: −128 gives 128) times
 * sign(x, w) through vpmaddubsw (a pair ≤ 2·128·127, never saturating int16), then vpmaddwd by ones: Σ w·x over each
 * dword's 4 bytes. */
__attribute__((target(QB_AVX2_TARGET), always_inline)) static inline __m256i qb_q8_dot_avx2(__m256i aw, __m256i w,
                                                                                           __m256i x) {
    return _mm256_madd_epi16(_mm256_maddubs_epi16(aw, _mm256_sign_epi8(x, w)), _mm256_set1_epi16(1));
}
/* Q8_0's weight bytes as the unsigned levels u = w + 128 (Q8_LEVEL_Z) and back: the sign bit flipped. */
__attribute__((target(QB_AVX2_TARGET), always_inline)) static inline __m256i qb_q8_flip(__m256i v) {
    return _mm256_xor_si256(v, _mm256_set1_epi8((char)0x80));
}

/* acc + Σ u·x over each dword's 4 byte pairs (u unsigned, x signed; no saturation). */
__attribute__((target(QB_AVX2_TARGET), always_inline)) static inline __m256i qb_dpbusd_vex(__m256i acc, __m256i u,
                                                                                          __m256i x) {
    __asm__("%{vex%} vpdpbusd %2, %1, %0" : "+x"(acc) : "x"(u), "x"(x));
    return acc;
}
/* acc + Σ a·b over each dword's 2 int16 pairs (as vpmaddwd + vpaddd, which clang would also split it into). */
__attribute__((target(QB_AVX2_TARGET), always_inline)) static inline __m256i qb_dpwssd_vex(__m256i acc, __m256i a,
                                                                                          __m256i b) {
    __asm__("%{vex%} vpdpwssd %2, %1, %0" : "+x"(acc) : "x"(a), "x"(b));
    return acc;
}

static inline int64_t qb_pairs(int64_t nb) { return (nb + 1) / 2; }
static inline int64_t qb_pad8(int64_t nb) { return (nb + 7) / 8 * 8; }

/* ------------------------------------------------------------------ block layouts and levels (the GEMVs of
 * quant_legacy.c / quant_k.c and the VNNI GEMM tiles of gemm_vnni.c) */

/* Q4_0 … Q5_1 (quant_legacy.c's header has the layouts). */
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

/* Q4_K, Q5_K, Q6_K (quant_k.c's header has the layouts). */
static inline int kq_bytes(int32_t dt) { return dt == CK_Q4_K ? 144 : dt == CK_Q5_K ? 176 : 210; }
static inline int kq_qs(int32_t dt) { return dt == CK_Q5_K ? 48 : 16; }

/* The 6-bit scales and mins of the 8 sub-blocks from the 12 packed bytes. */
static inline void kq_scale_mins(const uint8_t *b, uint8_t sc[8], uint8_t m[8]) {
    for (int j = 0; j < 4; j++) {
        sc[j] = b[j] & 63;
        m[j] = b[j + 4] & 63;
        sc[j + 4] = (uint8_t)((b[j + 8] & 0x0F) | (b[j] >> 6) << 4);
        m[j + 4] = (uint8_t)((b[j + 8] >> 4) | (b[j + 4] >> 6) << 4);
    }
}

/* The 32 unsigned levels of 32-chunk c (0…7) of a super-block, in element order; qh = the super-block's 32 qh bytes
 * (Q5_K) or its 32 qh bytes of half c/4 (Q6_K). */
__attribute__((target("avx2,fma"), always_inline)) static inline __m256i kq_levels_avx2(int32_t dt, const uint8_t *b,
                                                                                       int c, __m256i qh) {
    const __m256i m4 = _mm256_set1_epi8(0x0F);
    if (dt == CK_Q6_K) {
        const int h = c / 4, t = c % 4;
        const __m256i v = _mm256_loadu_si256((const __m256i *)(b + 64 * h + 32 * (t & 1)));
        const __m256i lo = _mm256_and_si256(t < 2 ? v : _mm256_srli_epi16(v, 4), m4);
        /* bits 2t, 2t+1 of each qh byte → bits 4, 5 (16-bit shifts: the mask keeps each byte's own bits) */
        const __m256i hi = _mm256_and_si256(_mm256_slli_epi16(_mm256_srli_epi16(qh, 2 * t), 4), _mm256_set1_epi8(0x30));
        return _mm256_or_si256(lo, hi);
    }
    const __m256i v = _mm256_loadu_si256((const __m256i *)(b + kq_qs(dt) + 32 * (c / 2)));
    __m256i u = _mm256_and_si256(c % 2 ? _mm256_srli_epi16(v, 4) : v, m4);
    if (dt == CK_Q5_K) /* bit c of each qh byte → bit 4 */
        u = _mm256_or_si256(u, _mm256_and_si256(_mm256_slli_epi16(_mm256_srli_epi16(qh, c), 4),
                                                _mm256_set1_epi8(0x10)));
    return u;
}

/* Block b (32 weights) of a row of a block type: its 32 unsigned levels u (element order) and f[4] = {s_0, s_1, m, z}
 * such that weight k = s_h·(u_k − z) + m, h = k / 16 (s_0 = s_1 except for Q6_K, whose sub-blocks are 16 wide). */
__attribute__((target(QB_AVX2_TARGET), always_inline)) static inline __m256i qb_block_levels(int32_t dt,
                                                                                           const uint8_t *row,
                                                                                           int64_t b, float f[4]) {
    if (dt == CK_Q4_K || dt == CK_Q5_K) {
        const uint8_t *sb = row + kq_bytes(dt) * (b / 8);
        const int c = (int)(b % 8);
        uint8_t sc[8], m[8];
        kq_scale_mins(sb + 4, sc, m);
        f[0] = f[1] = _cvtsh_ss(ck_load_u16(sb)) * (float)sc[c];
        f[2] = -(_cvtsh_ss(ck_load_u16(sb + 2)) * (float)m[c]);
        f[3] = 0.f;
        return kq_levels_avx2(dt, sb, c, dt == CK_Q5_K ? _mm256_loadu_si256((const __m256i *)(sb + 16))
                                                       : _mm256_setzero_si256());
    }
    if (dt == CK_Q6_K) {
        const uint8_t *sb = row + kq_bytes(CK_Q6_K) * (b / 8);
        const int c = (int)(b % 8);
        const float d = _cvtsh_ss(ck_load_u16(sb + 208));
        f[0] = d * (float)(int8_t)sb[192 + 2 * c];
        f[1] = d * (float)(int8_t)sb[193 + 2 * c];
        f[2] = 0.f;
        f[3] = 32.f;
        return kq_levels_avx2(CK_Q6_K, sb, c, _mm256_loadu_si256((const __m256i *)(sb + 128 + 32 * (c / 4))));
    }
    const lg_layout L = lg_layout_of(dt); /* Q4_0, Q4_1, Q5_0, Q5_1 */
    const uint8_t *blk = row + L.bytes * b;
    f[0] = f[1] = _cvtsh_ss(ck_load_u16(blk));
    f[2] = L.m >= 0 ? _cvtsh_ss(ck_load_u16(blk + L.m)) : 0.f;
    f[3] = (float)L.z;
    return lg_levels_avx2(L, blk);
}

/* Prefetch of a K-quant super-block's bytes (up to 210) with PF (MX_PREFETCH on AVX2, MX_PREFETCH_ROW on VNNI). */
#define KQ_PREFETCH(PF, b)                                                                                             \
    do {                                                                                                               \
        PF(b);                                                                                                         \
        PF((b) + 64);                                                                                                  \
        PF((b) + 128);                                                                                                 \
    } while (0)

/* One prepared x vector: the byte layout, d_x per block, the sum of the block's rounded x (d_x · Σ q_x). */
typedef struct {
    const uint8_t *xq;
    const float *dx, *sx;
} qb_x;

static inline qb_x qb_x_at(const float *xp, int64_t nb) {
    qb_x v = {(const uint8_t *)xp, xp + 48 * qb_pairs(nb), xp + 48 * qb_pairs(nb) + qb_pad8(nb)};
    return v;
}

/* 256·Σ u·h + Σ u·l − z·Σ q_x over 32-block b of x, as 8 int32 lanes of 4 elements (u: 32 unsigned levels ≤ 63). */
__attribute__((target("avx2,fma"), always_inline)) static inline __m256i qb_dot_avx2(__m256i u, const uint8_t *xq,
                                                                                    int64_t b, int z) {
    const uint8_t *p = xq + 192 * (b / 2) + 32 * (b % 2);
    const __m256i xl = _mm256_loadu_si256((const __m256i *)p), xh = _mm256_loadu_si256((const __m256i *)(p + 64));
    __m256i P = _mm256_add_epi32(_mm256_madd_epi16(_mm256_maddubs_epi16(u, xh), _mm256_set1_epi16(256)),
                                 _mm256_madd_epi16(_mm256_maddubs_epi16(u, xl), _mm256_set1_epi16(1)));
    if (z) {
        const __m256i s = _mm256_loadu_si256((const __m256i *)(p + 128));
        P = _mm256_sub_epi32(P, _mm256_mullo_epi32(s, _mm256_set1_epi32(z)));
    }
    return P;
}

/* The same over the pair of 32-blocks p (16 lanes: 0–7 its first block, 8–15 its second). */
__attribute__((target(QB_VNNI_TARGET), always_inline)) static inline __m512i qb_dot_vnni(__m512i u, const uint8_t *xq,
                                                                                       int64_t p, int z) {
    const __m512i *x = (const __m512i *)(xq + 192 * p);
    __m512i P = _mm512_slli_epi32(_mm512_dpbusd_epi32(_mm512_setzero_si512(), u, _mm512_loadu_si512(x + 1)), 8);
    if (z) P = _mm512_sub_epi32(P, _mm512_mullo_epi32(_mm512_loadu_si512(x + 2), _mm512_set1_epi32(z)));
    return _mm512_dpbusd_epi32(P, u, _mm512_loadu_si512(x));
}

/* Lanes 0–7 = a, 8–15 = b. */
__attribute__((target(QB_VNNI_TARGET), always_inline)) static inline __m512 qb_pair_factor(float a, float b) {
    return _mm512_mask_broadcastss_ps(_mm512_set1_ps(a), (__mmask16)0xFF00, _mm_set_ss(b));
}

/* Sum of 16 lanes. */
__attribute__((target(QB_VNNI_TARGET), always_inline)) static inline float qb_hsum512(__m512 s) {
    return ck_hsum256(_mm256_add_ps(_mm512_castps512_ps256(s),
                                    _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(s), 1))));
}

/* Rows [row0, row1) of w against NX prepared vectors: ROW(DT, row pointer, nb, x, NX, res) computes one row's NX dot
 * products against the vectors XAT(prepared x, nb) gives (qb_x_at: ck_qb_prepare_x's layout); one function per
 * (path, dtype, NX) so that the dtype and NX are constants inside. */
typedef void (*qb_rows_fn)(const ck_weight *, int64_t, int64_t, const float *, int64_t, const float *, float *,
                           int64_t);
#define QB_ROWS_FN(NAME, TARGET, ROW, DT, NX_, XAT)                                                                    \
    __attribute__((target(TARGET))) static void NAME(const ck_weight *w, int64_t row0, int64_t row1, const float *xp, \
                                                     int64_t xs, const float *bias, float *y, int64_t ys) {            \
        const int64_t nb = w->cols / 32;                                                                               \
        qb_x x[NX_];                                                                                                   \
        for (int k = 0; k < NX_; k++) x[k] = XAT(xp + k * xs, nb);                                                     \
        for (int64_t r = row0; r < row1; r++) {                                                                        \
            float res[NX_];                                                                                            \
            ROW(DT, ck_row_ptr(w, r), nb, x, NX_, res);                                                                \
            const float b = bias ? bias[r] : 0.f;                                                                      \
            for (int k = 0; k < NX_; k++) y[k * ys + (r - row0)] = res[k] + b;                                         \
        }                                                                                                              \
    }
/* The four NX functions of a (path, dtype), and their table. */
#define QB_ROWS_DTYPE(PREFIX, TARGET, ROW, DT, XAT)                                                                    \
    QB_ROWS_FN(PREFIX##_1, TARGET, ROW, DT, 1, XAT)                                                                    \
    QB_ROWS_FN(PREFIX##_2, TARGET, ROW, DT, 2, XAT)                                                                    \
    QB_ROWS_FN(PREFIX##_3, TARGET, ROW, DT, 3, XAT)                                                                    \
    QB_ROWS_FN(PREFIX##_4, TARGET, ROW, DT, 4, XAT)
#define QB_TABLE(PREFIX) {PREFIX##_1, PREFIX##_2, PREFIX##_3, PREFIX##_4}

/* Runs `fns` (a QB_TABLE) over nx vectors, four per pass over the rows. */
static inline void qb_run_rows(const qb_rows_fn fns[4], const ck_weight *w, int64_t row0, int64_t row1,
                               const float *xp, int64_t xs, int nx, const float *bias, float *y, int64_t ys) {
    while (nx > 0) {
        const int step = nx > QB_NX_MAX ? QB_NX_MAX : nx;
        fns[step - 1](w, row0, row1, xp, xs, bias, y, ys);
        nx -= step;
        xp += step * xs;
        y += step * ys;
    }
}

/* Scalar rows (plain x) below the AVX2 level, else the (path, dtype) table `avx2` or `vnni` over nx vectors. */
typedef void (*qb_scalar_fn)(const ck_weight *, int64_t, int64_t, const float *, int64_t, int, const float *, float *,
                             int64_t);
static inline void qb_gemv_rows(qb_scalar_fn scalar, const qb_rows_fn avx2[4], const qb_rows_fn vnni[4],
                                const ck_weight *w, int64_t row0, int64_t row1, const float *xp, int64_t xs, int nx,
                                const float *bias, float *y, int64_t ys, int level) {
    if (level < CK_LEVEL_AVX2) {
        scalar(w, row0, row1, xp, xs, nx, bias, y, ys);
        return;
    }
    qb_run_rows(level >= CK_LEVEL_VNNI ? vnni : avx2, w, row0, row1, xp, xs, nx, bias, y, ys);
}

/* Scalar GEMV rows for plain x: each block decoded by DECODE(w, row pointer, block index, float out[BLOCK]). */
#define QB_ROWS_SCALAR(NAME, BLOCK, DECODE)                                                                            \
    static void NAME(const ck_weight *w, int64_t row0, int64_t row1, const float *xp, int64_t xs, int nx,              \
                     const float *bias, float *y, int64_t ys) {                                                        \
        const int64_t nb = w->cols / (BLOCK);                                                                          \
        float blk[BLOCK];                                                                                              \
        for (int64_t r = row0; r < row1; r++) {                                                                        \
            const uint8_t *row = ck_row_ptr(w, r);                                                                     \
            for (int k = 0; k < nx; k++) {                                                                             \
                float acc = 0.f;                                                                                       \
                for (int64_t b = 0; b < nb; b++) {                                                                     \
                    DECODE(w, row, b, blk);                                                                            \
                    const float *x = xp + k * xs + (BLOCK) * b;                                                        \
                    float s = 0.f;                                                                                     \
                    for (int j = 0; j < (BLOCK); j++) s += blk[j] * x[j];                                              \
                    acc += s;                                                                                          \
                }                                                                                                      \
                y[k * ys + (r - row0)] = acc + (bias ? bias[r] : 0.f);                                                 \
            }                                                                                                          \
        }                                                                                                              \
    }
#endif
