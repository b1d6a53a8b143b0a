/*
 * GGUF's K-quants Q4_K, Q5_K, Q6_K (256-weight super-blocks): row decoding and GEMV rows.
 *
 * Layouts (ggml's; the definitions are the scalar decoders below, matching Swift's KQuant):
 *   Q4_K {f16 d, dmin; u8 scales[12]; u8 qs[128]}, Q5_K adds u8 qh[32] before qs: 8 sub-blocks of 32 with 6-bit
 *   (sc_j, m_j); element k of sub-block j = k/32 has nibble qs[32·(k/64) + k%32] (low if k%64 < 32), Q5_K bit 4 =
 *   bit j of qh[k%32]; y = (d·sc_j)·q − (dmin·m_j).
 *   Q6_K {u8 ql[128], qh[64]; i8 scales[16]; f16 d}: 16 sub-blocks of 16; element k: h = k/128, t = (k%128)/32,
 *   l = k%32, low 4 bits from ql[64h + 32(t&1) + l] (high nibble when t ≥ 2), high 2 bits (qh[32h + l] >> 2t) & 3;
 *   y = (d·scales[k/16])·(q − 32).
 *
 * GEMV on the AVX2 path (and wherever x must stay unrounded, CK_LINEAR_EXACT_X; the AVX512-VNNI path rounds x to 8
 * bits, quant_k8.c): as the 32-weight types (quant_legacy.c), against the same 16-bit prepared x, whose 32-blocks line
 * up with the sub-blocks: per sub-block j, Σ y·x = d·sc_j·d_x·(256·Σ u·h + Σ u·l) − dmin·m_j·Σ x_rounded; Q6_K's two 16-element
 * sub-blocks of a 32-block take the two halves of the int32 lanes (d·sc·d_x each), with z = 32. Per lane
 * |·| ≤ 4·63·32639 < 2²⁴: exact in int32 and in its conversion to float.
 */
#include "ck_qblock.h"

/* ------------------------------------------------------------------ layouts and decoding */

/* Unsigned level of element k (0…255) of a super-block. */
static inline int kq_level(int32_t dt, const uint8_t *b, int k) {
    if (dt == CK_Q6_K) {
        const int h = k / 128, t = (k % 128) / 32, l = k % 32;
        const uint8_t lo = b[64 * h + 32 * (t & 1) + l];
        return (t < 2 ? lo & 15 : lo >> 4) | ((b[128 + 32 * h + l] >> (2 * t)) & 3) << 4;
    }
    const uint8_t byte = b[kq_qs(dt) + 32 * (k / 64) + k % 32];
    int q = k % 64 < 32 ? byte & 15 : byte >> 4;
    if (dt == CK_Q5_K) q |= ((b[16 + k % 32] >> (k / 32)) & 1) << 4;
    return q;
}

static void kq_block_scalar(int32_t dt, const uint8_t *b, float *out) {
    if (dt == CK_Q6_K) {
        const float d = ck_f16_to_float(ck_load_u16(b + 208));
        for (int k = 0; k < 256; k++) out[k] = d * (float)(int8_t)b[192 + k / 16] * (float)(kq_level(dt, b, k) - 32);
        return;
    }
    const float d = ck_f16_to_float(ck_load_u16(b)), dmin = ck_f16_to_float(ck_load_u16(b + 2));
    uint8_t sc[8], m[8];
    kq_scale_mins(b + 4, sc, m);
    for (int k = 0; k < 256; k++) out[k] = d * (float)sc[k / 32] * (float)kq_level(dt, b, k) - dmin * (float)m[k / 32];
}

__attribute__((target("avx2,fma,f16c"))) static void kq_decode_row_avx2(int32_t dt, const uint8_t *row, int64_t ns,
                                                                        float *out) {
    for (int64_t s = 0; s < ns; s++) {
        const uint8_t *b = row + kq_bytes(dt) * s;
        float *o = out + 256 * s;
        for (int c = 0; c < 8; c++) {
            __m256 f[2], off = _mm256_setzero_ps();
            __m256i z = _mm256_setzero_si256(), qh = _mm256_setzero_si256();
            if (dt == CK_Q6_K) {
                const float d = _cvtsh_ss(ck_load_u16(b + 208));
                f[0] = _mm256_set1_ps(d * (float)(int8_t)b[192 + 2 * c]);
                f[1] = _mm256_set1_ps(d * (float)(int8_t)b[193 + 2 * c]);
                z = _mm256_set1_epi32(32);
                qh = _mm256_loadu_si256((const __m256i *)(b + 128 + 32 * (c / 4)));
            } else {
                uint8_t sc[8], m[8];
                kq_scale_mins(b + 4, sc, m);
                f[0] = f[1] = _mm256_set1_ps(_cvtsh_ss(ck_load_u16(b)) * (float)sc[c]);
                off = _mm256_set1_ps(_cvtsh_ss(ck_load_u16(b + 2)) * (float)m[c]);
                if (dt == CK_Q5_K) qh = _mm256_loadu_si256((const __m256i *)(b + 16));
            }
            const __m256i u = kq_levels_avx2(dt, b, c, qh);
            const __m128i lo = _mm256_castsi256_si128(u), hi = _mm256_extracti128_si256(u, 1);
            const __m128i parts[4] = {lo, _mm_srli_si128(lo, 8), hi, _mm_srli_si128(hi, 8)};
            for (int i = 0; i < 4; i++) {
                const __m256 q = _mm256_cvtepi32_ps(_mm256_sub_epi32(_mm256_cvtepu8_epi32(parts[i]), z));
                /* (d·sc)·q − dmin·m as the scalar definition */
                _mm256_storeu_ps(o + 32 * c + 8 * i, _mm256_sub_ps(_mm256_mul_ps(f[i / 2], q), off));
            }
        }
    }
}

void ck_kq_decode_row(const ck_weight *w, int64_t r, float *out, int avx2) {
    const uint8_t *row = ck_row_ptr(w, r);
    const int64_t ns = w->cols / 256;
    if (avx2) {
        kq_decode_row_avx2(w->dtype, row, ns, out);
        return;
    }
    for (int64_t s = 0; s < ns; s++) kq_block_scalar(w->dtype, row + kq_bytes(w->dtype) * s, out + 256 * s);
}

/* ------------------------------------------------------------------ GEMV rows, scalar (plain x) */

static inline void kq_decode_block(const ck_weight *w, const uint8_t *row, int64_t s, float *out) {
    kq_block_scalar(w->dtype, row + kq_bytes(w->dtype) * s, out);
}
QB_ROWS_SCALAR(kq_rows_scalar, 256, kq_decode_block)

/* ------------------------------------------------------------------ GEMV rows
 *
 * Per super-block (x blocks 8s … 8s+7), the 8 sub-block factors are one vector: Q4_K / Q5_K d·sc_j·d_x (scales
 * unpacked with 32-bit masks, converted in one step), their offsets −dmin·m_j times the rounded Σ x of each 32-block
 * accumulate as a vector (macc); Q6_K's 16 d·scales are two 256-bit vectors. A
 * 32-chunk then takes its factor by a lane permute. Q6_K subtracts 32·Σ q_x per lane in integers (its two sub-blocks of a
 * chunk have their own scales, so the offset cannot be one term per 32-block). */

/* The 6-bit scales (bytes 0–7) and mins (bytes 0–7) of the 8 sub-blocks, from the 12 packed bytes. */
static inline void kq_unpack(const uint8_t *b, uint64_t *sc, uint64_t *m) {
    uint32_t w[3];
    memcpy(w, b, 12);
    const uint32_t lo6 = 0x3F3F3F3F, lo4 = 0x0F0F0F0F, lo2 = 0x03030303;
    *sc = (w[0] & lo6) | (uint64_t)((w[2] & lo4) | ((w[0] >> 6) & lo2) << 4) << 32;
    *m = (w[1] & lo6) | (uint64_t)(((w[2] >> 4) & lo4) | ((w[1] >> 6) & lo2) << 4) << 32;
}

/* 8 unsigned bytes → 8 floats. */
__attribute__((target(QB_AVX2_TARGET), always_inline)) static inline __m256 kq_u8x8(uint64_t v) {
    return _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_cvtsi64_si128((long long)v)));
}

/* sd[k] (factors of the 8 sub-blocks or, for Q6_K, nothing) and macc[k] += offsets·Σx for super-block s. */
#define KQ45_SCALES(s, b)                                                                                              \
    __m256 sd[QB_NX_MAX];                                                                                              \
    do {                                                                                                               \
        uint64_t sc8_, m8_;                                                                                            \
        kq_unpack((b) + 4, &sc8_, &m8_);                                                                               \
        const __m256 d_ = _mm256_mul_ps(_mm256_set1_ps(_cvtsh_ss(ck_load_u16(b))), kq_u8x8(sc8_));                     \
        const __m256 o_ = _mm256_mul_ps(_mm256_set1_ps(-_cvtsh_ss(ck_load_u16((b) + 2))), kq_u8x8(m8_));               \
        for (int k = 0; k < NX; k++) {                                                                                 \
            sd[k] = _mm256_mul_ps(d_, _mm256_loadu_ps(x[k].dx + 8 * (s)));                                             \
            macc[k] = _mm256_fmadd_ps(o_, _mm256_loadu_ps(x[k].sx + 8 * (s)), macc[k]);                                \
        }                                                                                                              \
    } while (0)

/* One row against NX prepared vectors, AVX2: a 32-chunk per 256-bit step, two accumulators per vector. */
__attribute__((target(QB_AVX2_TARGET), always_inline)) static inline void
kq_row_avx2(const int32_t DT, const uint8_t *row, int64_t nb, const qb_x *x, const int NX, float *res) {
    __m256 acc[QB_NX_MAX][2], macc[QB_NX_MAX];
    for (int k = 0; k < NX; k++) acc[k][0] = acc[k][1] = macc[k] = _mm256_setzero_ps();
    const int64_t ns = nb / 8;
    for (int64_t s = 0; s < ns; s++) {
        const uint8_t *b = row + kq_bytes(DT) * s;
        KQ_PREFETCH(MX_PREFETCH, b);
        if (DT == CK_Q6_K) {
            const __m256 d = _mm256_set1_ps(_cvtsh_ss(ck_load_u16(b + 208)));
            const __m128i sc8 = _mm_loadu_si128((const __m128i *)(b + 192));
            const __m256 scs[2] = {_mm256_mul_ps(d, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(sc8))),
                                   _mm256_mul_ps(d, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(sc8, 8))))};
            const __m256i qh[2] = {_mm256_loadu_si256((const __m256i *)(b + 128)),
                                   _mm256_loadu_si256((const __m256i *)(b + 160))};
            for (int c = 0; c < 8; c++) { /* sub-blocks 2c (lanes 0–3) and 2c+1 (4–7) */
                const __m256i u = kq_levels_avx2(DT, b, c, qh[c / 4]);
                const __m256i idx = _mm256_setr_epi32(2 * (c % 4), 2 * (c % 4), 2 * (c % 4), 2 * (c % 4),
                                                      2 * (c % 4) + 1, 2 * (c % 4) + 1, 2 * (c % 4) + 1,
                                                      2 * (c % 4) + 1);
                const __m256 f = _mm256_permutevar8x32_ps(scs[c / 4], idx);
                for (int k = 0; k < NX; k++) {
                    const __m256i P = qb_dot_avx2(u, x[k].xq, 8 * s + c, 32);
                    const __m256 fac = _mm256_mul_ps(f, _mm256_set1_ps(x[k].dx[8 * s + c]));
                    acc[k][c & 1] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(P), fac, acc[k][c & 1]);
                }
            }
            continue;
        }
        KQ45_SCALES(s, b);
        const __m256i qh = DT == CK_Q5_K ? _mm256_loadu_si256((const __m256i *)(b + 16)) : _mm256_setzero_si256();
        for (int c = 0; c < 8; c++) {
            const __m256i u = kq_levels_avx2(DT, b, c, qh);
            for (int k = 0; k < NX; k++) {
                const __m256i P = qb_dot_avx2(u, x[k].xq, 8 * s + c, 0);
                const __m256 f = _mm256_permutevar8x32_ps(sd[k], _mm256_set1_epi32(c));
                acc[k][c & 1] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(P), f, acc[k][c & 1]);
            }
        }
    }
    for (int k = 0; k < NX; k++) res[k] = ck_hsum256(_mm256_add_ps(_mm256_add_ps(acc[k][0], acc[k][1]), macc[k]));
}

/* ------------------------------------------------------------------ dispatch */

#define KQ_ROWS_PATH(PATH, TARGET, ROW)                                                                                \
    QB_ROWS_DTYPE(kq_##PATH##_q4_K, TARGET, ROW, CK_Q4_K, qb_x_at)                                                     \
    QB_ROWS_DTYPE(kq_##PATH##_q5_K, TARGET, ROW, CK_Q5_K, qb_x_at)                                                     \
    QB_ROWS_DTYPE(kq_##PATH##_q6_K, TARGET, ROW, CK_Q6_K, qb_x_at)
KQ_ROWS_PATH(avx2, QB_AVX2_TARGET, kq_row_avx2)

void ck_kq_gemv_rows(const ck_weight *w, int64_t row0, int64_t row1, const float *xp, int64_t xs, int nx,
                     const float *bias, float *y, int64_t ys, int level) {
    if (level >= CK_LEVEL_AVX2_INT8) { /* 8-bit x (quant_k8.c) */
        ck_kq8_gemv_rows(w, row0, row1, xp, xs, nx, bias, y, ys, level);
        return;
    }
    static const qb_rows_fn avx2[3][4] = {QB_TABLE(kq_avx2_q4_K), QB_TABLE(kq_avx2_q5_K), QB_TABLE(kq_avx2_q6_K)};
    const int i = w->dtype - CK_Q4_K;
    qb_gemv_rows(kq_rows_scalar, avx2[i], avx2[i], w, row0, row1, xp, xs, nx, bias, y, ys, level);
}
