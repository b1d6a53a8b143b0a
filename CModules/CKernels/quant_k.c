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
 * GEMV: as the 32-weight types (quant_legacy.c), against the same 16-bit prepared x, whose 32-blocks line up with the
 * sub-blocks: per sub-block j, Σ y·x = d·sc_j·d_x·(256·Σ u·h + Σ u·l) − dmin·m_j·Σ x; Q6_K's two 16-element
 * sub-blocks of a 32-block take the two halves of the int32 lanes (d·sc·d_x each), with z = 32. Per lane
 * |·| ≤ 4·63·32639 < 2²⁴: exact in int32 and in its conversion to float.
 */
#include "ck_qblock.h"

/* ------------------------------------------------------------------ layouts and decoding */

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

/* ------------------------------------------------------------------ GEMV rows, AVX2 (vpmaddubsw) */

/* One row against NX prepared vectors: per super-block, its 8 chunks of 32 into two accumulators per vector (even /
 * odd chunks); the Q4_K / Q5_K min terms in a scalar sum. */
__attribute__((target(QB_AVX2_TARGET), always_inline)) static inline void
kq_row_avx2(const int32_t DT, const uint8_t *row, int64_t nb, const qb_x *x, const int NX, float *res) {
    __m256 acc[QB_NX_MAX][2];
    float macc[QB_NX_MAX];
    for (int k = 0; k < NX; k++) {
        acc[k][0] = acc[k][1] = _mm256_setzero_ps();
        macc[k] = 0.f;
    }
    const int64_t ns = nb / 8;
    for (int64_t s = 0; s < ns; s++) {
        const uint8_t *b = row + kq_bytes(DT) * s;
        MX_PREFETCH(b);
        MX_PREFETCH(b + 64);
        if (kq_bytes(DT) > 128) MX_PREFETCH(b + 128);
        float f[16], mterm[8];
        __m256i qh[2] = {_mm256_setzero_si256(), _mm256_setzero_si256()};
        if (DT == CK_Q6_K) {
            const float d = _cvtsh_ss(ck_load_u16(b + 208));
            for (int i = 0; i < 16; i++) f[i] = d * (float)(int8_t)b[192 + i];
            qh[0] = _mm256_loadu_si256((const __m256i *)(b + 128));
            qh[1] = _mm256_loadu_si256((const __m256i *)(b + 160));
        } else {
            uint8_t sc[8], m[8];
            kq_scale_mins(b + 4, sc, m);
            const float d = _cvtsh_ss(ck_load_u16(b)), dmin = _cvtsh_ss(ck_load_u16(b + 2));
            for (int j = 0; j < 8; j++) {
                f[j] = d * (float)sc[j];
                mterm[j] = dmin * (float)m[j];
            }
            if (DT == CK_Q5_K) qh[0] = _mm256_loadu_si256((const __m256i *)(b + 16));
        }
        for (int c = 0; c < 8; c++) {
            const __m256i u = kq_levels_avx2(DT, b, c, qh[DT == CK_Q6_K ? c / 4 : 0]);
            const int64_t xb = 8 * s + c;
            for (int k = 0; k < NX; k++) {
                const __m256i P = qb_dot_avx2(u, x[k].xq, xb, DT == CK_Q6_K ? 32 : 0);
                const float dx = x[k].dx[xb];
                const __m256 fac = DT == CK_Q6_K
                                       ? _mm256_set_m128(_mm_set1_ps(f[2 * c + 1] * dx), _mm_set1_ps(f[2 * c] * dx))
                                       : _mm256_set1_ps(f[c] * dx);
                acc[k][c & 1] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(P), fac, acc[k][c & 1]);
                if (DT != CK_Q6_K) macc[k] = fmaf(mterm[c], x[k].sx[xb], macc[k]);
            }
        }
    }
    for (int k = 0; k < NX; k++) res[k] = ck_hsum256(_mm256_add_ps(acc[k][0], acc[k][1])) - macc[k];
}

/* ------------------------------------------------------------------ GEMV rows, AVX512 VNNI (vpdpbusd) */

/* One row: per super-block, its 4 pairs of 32-chunks (x pairs 4s … 4s+3), one 512-bit step each. */
__attribute__((target(QB_VNNI_TARGET), always_inline)) static inline void
kq_row_vnni(const int32_t DT, const uint8_t *row, int64_t nb, const qb_x *x, const int NX, float *res) {
    __m512 acc[QB_NX_MAX][2];
    float macc[QB_NX_MAX];
    for (int k = 0; k < NX; k++) {
        acc[k][0] = acc[k][1] = _mm512_setzero_ps();
        macc[k] = 0.f;
    }
    const __m512i m4 = _mm512_set1_epi8(0x0F);
    const int64_t ns = nb / 8;
    for (int64_t s = 0; s < ns; s++) {
        const uint8_t *b = row + kq_bytes(DT) * s;
        MX_PREFETCH(b);
        MX_PREFETCH(b + 64);
        if (kq_bytes(DT) > 128) MX_PREFETCH(b + 128);
        if (DT == CK_Q6_K) {
            const float d = _cvtsh_ss(ck_load_u16(b + 208));
            /* the 16 scales as floats, d·sc; chunk pair i takes sub-blocks 4i … 4i+3 (4 lanes each) */
            const __m128i sc8 = _mm_loadu_si128((const __m128i *)(b + 192));
            const __m512 sc = _mm512_mul_ps(_mm512_set1_ps(d), _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(sc8)));
            for (int h = 0; h < 2; h++) {
                const __m512i v = _mm512_loadu_si512(b + 64 * h); /* chunks 4h, 4h+1 (low nibbles), 4h+2, 4h+3 (high) */
                const __m512i qh = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)(b + 128 + 32 * h)));
                for (int half = 0; half < 2; half++) {
                    const int i = 2 * h + half; /* chunk pair: chunks 2i, 2i+1 */
                    const __m512i lo = _mm512_and_si512(half ? _mm512_srli_epi16(v, 4) : v, m4);
                    const __m512i shift = _mm512_inserti64x4(_mm512_set1_epi16((short)(4 * half)),
                                                             _mm256_set1_epi16((short)(4 * half + 2)), 1);
                    const __m512i hi = _mm512_and_si512(_mm512_slli_epi16(_mm512_srlv_epi16(qh, shift), 4),
                                                        _mm512_set1_epi8(0x30));
                    const __m512i u = _mm512_or_si512(lo, hi);
                    const __m512 scs = _mm512_permutexvar_ps(
                        _mm512_setr_epi32(4 * i, 4 * i, 4 * i, 4 * i, 4 * i + 1, 4 * i + 1, 4 * i + 1, 4 * i + 1,
                                          4 * i + 2, 4 * i + 2, 4 * i + 2, 4 * i + 2, 4 * i + 3, 4 * i + 3, 4 * i + 3,
                                          4 * i + 3),
                        sc);
                    const int64_t xp = 4 * s + i;
                    for (int k = 0; k < NX; k++) {
                        const __m512i P = qb_dot_vnni(u, x[k].xq, xp, 32);
                        const __m512 fac = _mm512_mul_ps(scs, qb_pair_factor(x[k].dx[2 * xp], x[k].dx[2 * xp + 1]));
                        acc[k][half] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(P), fac, acc[k][half]);
                    }
                }
            }
            continue;
        }
        uint8_t sc[8], m[8];
        kq_scale_mins(b + 4, sc, m);
        const float d = _cvtsh_ss(ck_load_u16(b)), dmin = _cvtsh_ss(ck_load_u16(b + 2));
        const __m512i qh = DT == CK_Q5_K ? _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)(b + 16)))
                                         : _mm512_setzero_si512();
        for (int i = 0; i < 4; i++) { /* sub-blocks 2i (low nibbles) and 2i+1 (high) of the same 32 bytes */
            const __m512i v = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)(b + kq_qs(DT) + 32 * i)));
            __m512i u = _mm512_and_si512(_mm512_mask_srli_epi16(v, (__mmask32)0xFFFF0000u, v, 4), m4);
            if (DT == CK_Q5_K) {
                const __m512i shift = _mm512_inserti64x4(_mm512_set1_epi16((short)(2 * i)),
                                                         _mm256_set1_epi16((short)(2 * i + 1)), 1);
                u = _mm512_or_si512(u, _mm512_and_si512(_mm512_slli_epi16(_mm512_srlv_epi16(qh, shift), 4),
                                                        _mm512_set1_epi8(0x10)));
            }
            const int64_t xp = 4 * s + i;
            for (int k = 0; k < NX; k++) {
                const __m512i P = qb_dot_vnni(u, x[k].xq, xp, 0);
                const __m512 fac = qb_pair_factor(d * (float)sc[2 * i] * x[k].dx[2 * xp],
                                                  d * (float)sc[2 * i + 1] * x[k].dx[2 * xp + 1]);
                acc[k][i & 1] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(P), fac, acc[k][i & 1]);
                macc[k] = fmaf(dmin * (float)m[2 * i], x[k].sx[2 * xp], macc[k]);
                macc[k] = fmaf(dmin * (float)m[2 * i + 1], x[k].sx[2 * xp + 1], macc[k]);
            }
        }
    }
    for (int k = 0; k < NX; k++) res[k] = qb_hsum512(_mm512_add_ps(acc[k][0], acc[k][1])) - macc[k];
}

/* ------------------------------------------------------------------ dispatch */

#define KQ_ROWS_PATH(PATH, TARGET, ROW)                                                                                \
    QB_ROWS_DTYPE(kq_##PATH##_q4_K, TARGET, ROW, CK_Q4_K)                                                              \
    QB_ROWS_DTYPE(kq_##PATH##_q5_K, TARGET, ROW, CK_Q5_K)                                                              \
    QB_ROWS_DTYPE(kq_##PATH##_q6_K, TARGET, ROW, CK_Q6_K)
KQ_ROWS_PATH(avx2, QB_AVX2_TARGET, kq_row_avx2)
KQ_ROWS_PATH(vnni, QB_VNNI_TARGET, kq_row_vnni)

void ck_kq_gemv_rows(const ck_weight *w, int64_t row0, int64_t row1, const float *xp, int64_t xs, int nx,
                     const float *bias, float *y, int64_t ys, int level) {
    if (level < CK_LEVEL_AVX2) {
        kq_rows_scalar(w, row0, row1, xp, xs, nx, bias, y, ys);
        return;
    }
    static const qb_rows_fn avx2[3][4] = {QB_TABLE(kq_avx2_q4_K), QB_TABLE(kq_avx2_q5_K), QB_TABLE(kq_avx2_q6_K)};
    static const qb_rows_fn vnni[3][4] = {QB_TABLE(kq_vnni_q4_K), QB_TABLE(kq_vnni_q5_K), QB_TABLE(kq_vnni_q6_K)};
    qb_run_rows((level >= CK_LEVEL_VNNI ? vnni : avx2)[w->dtype - CK_Q4_K], w, row0, row1, xp, xs, nx, bias, y, ys);
}
