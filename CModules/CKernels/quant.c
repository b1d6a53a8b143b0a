/*
 * Weight decoding and GEMV-class dot products for F32/F16/BF16/Q8_0/MXFP4 weights.
 *
 * Two paths with the same results up to float summation order: AVX2+FMA+F16C (decode in registers, stream each weight
 * byte once) and a portable scalar path. The AVX2 path reads activations in a "prepared" layout chosen so that decoding
 * needs no cross-lane shuffles (BF16: evens/odds per 16); MXFP4's GEMV multiplies in integers against 16-bit
 * fixed-point activations (see mxfp4_prepare_x), so its results differ from float by that rounding. Weight bytes are
 * only 1-byte aligned: every load is unaligned.
 */
#include "ck_internal.h"
#include "mx_gemv.h"
#include <immintrin.h>
#include <math.h>

/* ------------------------------------------------------------------ scalar codecs (the definitions) */

static const float fp4_values[16] = {0.f, .5f, 1.f, 1.5f, 2.f, 3.f, 4.f, 6.f,
                                     -0.f, -.5f, -1.f, -1.5f, -2.f, -3.f, -4.f, -6.f};

/* E8M0 → 2^(s−127); s = 0 is 2^−127 (subnormal), s = 255 is 2^128 = +inf (as ldexp in the reference). */
static inline float e8m0_to_float(uint8_t s) {
    uint32_t bits = s == 0 ? 0x00400000u : (uint32_t)s << 23;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

static inline float bf16_to_float(uint16_t h) {
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

static inline float load_f32(const uint8_t *p) { float v; memcpy(&v, p, 4); return v; }

static void decode_row_scalar(const ck_weight *w, int64_t r, float *out) {
    const uint8_t *row = ck_row_ptr(w, r);
    const int64_t n = w->cols;
    switch (w->dtype) {
    case CK_F32:
        memcpy(out, row, (size_t)n * 4);
        break;
    case CK_F16:
        for (int64_t i = 0; i < n; i++) out[i] = ck_f16_to_float(ck_load_u16(row + 2 * i));
        break;
    case CK_BF16:
        for (int64_t i = 0; i < n; i++) out[i] = bf16_to_float(ck_load_u16(row + 2 * i));
        break;
    case CK_Q8_0:
        for (int64_t b = 0; b < n / 32; b++) {
            const uint8_t *blk = row + 34 * b;
            float d = ck_f16_to_float(ck_load_u16(blk));
            for (int k = 0; k < 32; k++) out[32 * b + k] = d * (float)(int8_t)blk[2 + k];
        }
        break;
    case CK_MXFP4: {
        const uint8_t *sc = ck_row_scales(w, r);
        for (int64_t b = 0; b < n / 32; b++) {
            float s = e8m0_to_float(sc[b]);
            for (int j = 0; j < 16; j++) {
                uint8_t v = row[16 * b + j];
                out[32 * b + 2 * j] = fp4_values[v & 15] * s;
                out[32 * b + 2 * j + 1] = fp4_values[v >> 4] * s;
            }
        }
        break;
    }
    }
}

/* ------------------------------------------------------------------ AVX2 building blocks */

/* 2^(s−127) and half of it (exact: a power of two, subnormal for s ≤ 1, inf for s = 255). */
static float e8m0_half_table[256];
static pthread_once_t table_once = PTHREAD_ONCE_INIT;
static void init_tables(void) {
    for (int s = 0; s < 256; s++) e8m0_half_table[s] = e8m0_to_float((uint8_t)s) * 0.5f;
}

__attribute__((target("avx2,fma,f16c"))) static void decode_row_avx2(const ck_weight *w, int64_t r, float *out) {
    const uint8_t *row = ck_row_ptr(w, r);
    const int64_t n = w->cols;
    int64_t i = 0;
    switch (w->dtype) {
    case CK_F32:
        memcpy(out, row, (size_t)n * 4);
        return;
    case CK_F16:
        for (; i + 8 <= n; i += 8)
            _mm256_storeu_ps(out + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(row + 2 * i))));
        for (; i < n; i++) out[i] = _cvtsh_ss(ck_load_u16(row + 2 * i));
        return;
    case CK_BF16:
        for (; i + 8 <= n; i += 8) {
            __m256i h = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(row + 2 * i)));
            _mm256_storeu_ps(out + i, _mm256_castsi256_ps(_mm256_slli_epi32(h, 16)));
        }
        for (; i < n; i++) out[i] = bf16_to_float(ck_load_u16(row + 2 * i));
        return;
    case CK_Q8_0:
        for (int64_t b = 0; b < n / 32; b++) {
            const uint8_t *blk = row + 34 * b;
            __m256 d = _mm256_set1_ps(_cvtsh_ss(ck_load_u16(blk)));
            for (int k = 0; k < 4; k++) {
                __m256i q = _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(blk + 2 + 8 * k)));
                _mm256_storeu_ps(out + 32 * b + 8 * k, _mm256_mul_ps(_mm256_cvtepi32_ps(q), d));
            }
        }
        return;
    case CK_MXFP4: {
        /* Natural order: interleave low/high nibbles, look up 2·value as int8 (exact), scale by 2^(s−127)/2. */
        const __m128i lut2 = _mm_setr_epi8(0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12);
        const __m128i m4 = _mm_set1_epi8(0x0F);
        const uint8_t *sc = ck_row_scales(w, r);
        for (int64_t b = 0; b < n / 32; b++) {
            __m128i v = _mm_loadu_si128((const __m128i *)(row + 16 * b));
            __m128i lo = _mm_and_si128(v, m4), hi = _mm_and_si128(_mm_srli_epi16(v, 4), m4);
            __m128i q0 = _mm_shuffle_epi8(lut2, _mm_unpacklo_epi8(lo, hi)); /* elements 0…15 */
            __m128i q1 = _mm_shuffle_epi8(lut2, _mm_unpackhi_epi8(lo, hi)); /* elements 16…31 */
            __m256 s = _mm256_set1_ps(e8m0_half_table[sc[b]]);
            float *o = out + 32 * b;
            _mm256_storeu_ps(o, _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q0)), s));
            _mm256_storeu_ps(o + 8, _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(q0, 8))), s));
            _mm256_storeu_ps(o + 16, _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q1)), s));
            _mm256_storeu_ps(o + 24, _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(q1, 8))), s));
        }
        return;
    }
    }
}

void ck_decode_row_any(const ck_weight *w, int64_t r, float *out, int avx2) {
    if (ck_is_legacy(w->dtype)) { ck_legacy_decode_row(w, r, out, avx2); return; }
    if (ck_is_kquant(w->dtype)) { ck_kq_decode_row(w, r, out, avx2); return; }
    pthread_once(&table_once, init_tables);
    if (avx2) decode_row_avx2(w, r, out);
    else decode_row_scalar(w, r, out);
}

int ck_decode_rows(const ck_weight *w, int64_t row0, int64_t n, float *out) {
    if (!ck_dtype_valid(w->dtype)) return CK_ERR_DTYPE;
    int avx2 = ck_avx2_enabled();
    for (int64_t r = 0; r < n; r++) ck_decode_row_any(w, row0 + r, out + r * w->cols, avx2);
    return CK_OK;
}

/* ------------------------------------------------------------------ prepared activations */

int ck_needs_prepared_x(const ck_weight *w, int level) {
    return level >= CK_LEVEL_AVX2 && (w->dtype == CK_BF16 || w->dtype == CK_MXFP4 || ck_is_qblock(w->dtype) ||
                                      (w->dtype == CK_Q8_0 && level >= CK_LEVEL_AVX2_INT8));
}

/* ------------------------------------------------------------------ MXFP4 × 16-bit fixed-point activations
 *
 * The AVX2 MXFP4 GEMV multiplies in integers: float decode of E2M1 costs ~1.5 ns per 32-weight block per core (about
 * 10 GB/s, half of DRAM), integer multiply-adds 0.7–1.0 ns. Each 32-element block b of x is rounded once per call to
 * q = round(x / d_b), d_b = max|x_b| / 32639 (16-bit: relative error ≤ 2⁻¹⁶ of the block maximum, NMSE ~1e-10,
 * against ~3e-5 for the 8-bit activations of ggml), and q is split into signed bytes q = 256·h + l, l ∈ [−128, 127],
 * h ∈ [−127, 127]. The weights are looked up as u = 2·value + 12 ∈ [0, 24] (unsigned, exact), and
 *     Σ 2·value·q = 256·Σ u·h + Σ u·l − 12·Σ q
 * where both sums are u8×s8 multiply-adds (vpmaddubsw on 256 bits; or vpdpbusd on 512 bits with AVX512-VNNI, the
 * lookup then a vpermb with VBMI, else a vpshufb) and
 * the last term is a constant of the x block. Every integer partial is below 2²⁴, so the conversion to float is
 * exact; the block's float factor is 2^(s−127) · d_b / 2. Both instruction paths give bit-identical results.
 *
 * Prepared layout of one x vector (ck_prepared_x_floats(w) floats, a 64-byte multiple):
 *   xq   [quads][4][64] bytes: for blocks 4q … 4q+3: l of the even elements, l of the odd elements, h of the even,
 *        h of the odd; each 64 = 16 per block in order (zeros past the last block). The even/odd split matches the
 *        low/high nibbles of the weight bytes, so no shuffle is needed after the lookup. A 512-bit step reads a
 *        whole quad (the 64 weight bytes of 4 blocks), a 256-bit step half of one (a pair of blocks).
 *   dsc  [pad8(nb)] floats: d_b / 2 (NaN when the block holds NaN or ±inf, so the output is NaN like the reference)
 *   corr [pad8(nb)] floats: 12 · Σ q_b
 */
#define MX_QMAX 32639 /* = 127·256 + 127, so that h stays in [−127, 127] */
static inline int64_t q8_pairs(int64_t nb) { return (nb + 1) / 2; }

int64_t ck_prepared_x_floats(const ck_weight *w) {
    const int64_t nb = w->cols / 32;
    int64_t packed = w->cols;
    if (w->dtype == CK_MXFP4) packed = 64 * mx_quads(nb) + 2 * mx_pad8(nb);
    if (w->dtype == CK_Q8_0) packed = 48 * q8_pairs(nb) + mx_pad8(nb);
    if (ck_is_qblock(w->dtype)) packed = ck_qb_prepared_floats(w->cols);
    if (ck_is_kquant(w->dtype) && ck_kq8_prepared_floats(w->cols) > packed) packed = ck_kq8_prepared_floats(w->cols);
    return packed > w->cols ? packed : w->cols; /* also room for the plain copy of the other paths */
}

/* One 32-element block xb in 16-bit fixed point: q = round(x / d), d = max|x_b| / MX_QMAX, split into signed bytes
 * q = 256·h + l, returned as (l, h) byte pairs in element order (hl[0]: elements 0–15, hl[1]: 16–31); *d is NaN when
 * the block holds NaN or ±inf (so the output is NaN like the reference), *sumq = Σ q. */
__attribute__((target("avx2,fma"))) static inline void x16_block(const float *xb, __m256i hl_out[2], float *d,
                                                                  int32_t *sumq) {
    const __m256i qmax = _mm256_set1_epi32(MX_QMAX), qmin = _mm256_set1_epi32(-MX_QMAX);
    const __m256i half = _mm256_set1_epi32(128), lowbyte = _mm256_set1_epi32(255);
    __m256 v[4];
    float pre;
    int bad;
    const float amax = ck_x32_absmax(xb, v, &pre, &bad);
    const float inv = amax > 0.f ? (float)MX_QMAX / amax : 0.f;
    __m256i hl[4], qsum = _mm256_setzero_si256();
    for (int k = 0; k < 4; k++) {
        __m256 t = _mm256_mul_ps(_mm256_mul_ps(v[k], _mm256_set1_ps(pre)), _mm256_set1_ps(inv));
        __m256i q = _mm256_min_epi32(_mm256_max_epi32(_mm256_cvtps_epi32(t), qmin), qmax); /* nearest even */
        qsum = _mm256_add_epi32(qsum, q);
        /* l = ((q + 128) mod 256) − 128, h = (q − l) / 256, stored as the int16 h·256 + (l mod 256) */
        __m256i l = _mm256_sub_epi32(_mm256_and_si256(_mm256_add_epi32(q, half), lowbyte), half);
        __m256i h = _mm256_srai_epi32(_mm256_sub_epi32(q, l), 8);
        hl[k] = _mm256_or_si256(_mm256_slli_epi32(h, 8), _mm256_and_si256(l, lowbyte));
    }
    /* int16 in element order: packs interleaves 128-bit lanes, permute4x64 restores the order (|h·256 + l| ≤
     * 32767 fits, so packs never saturates) */
    hl_out[0] = _mm256_permute4x64_epi64(_mm256_packs_epi32(hl[0], hl[1]), 0xD8);
    hl_out[1] = _mm256_permute4x64_epi64(_mm256_packs_epi32(hl[2], hl[3]), 0xD8);
    __m128i s4 = _mm_add_epi32(_mm256_castsi256_si128(qsum), _mm256_extracti128_si256(qsum, 1));
    s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 0x4E));
    s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 0xB1));
    *d = bad ? NAN : amax / (float)MX_QMAX / pre;
    *sumq = _mm_cvtsi128_si32(s4);
}

__attribute__((target("avx2,fma"))) static void mxfp4_prepare_x(const float *x, int64_t n, float *xp) {
    const int64_t nb = n / 32;
    uint8_t *xq = (uint8_t *)xp;
    float *dsc = xp + 64 * mx_quads(nb), *corr = dsc + mx_pad8(nb);
    /* per 128-bit lane (8 int16 = 16 bytes [l0 h0 l1 h1 …]): l of evens, l of odds, h of evens, h of odds */
    const __m256i split = _mm256_setr_epi8(0, 4, 8, 12, 2, 6, 10, 14, 1, 5, 9, 13, 3, 7, 11, 15,
                                           0, 4, 8, 12, 2, 6, 10, 14, 1, 5, 9, 13, 3, 7, 11, 15);
    for (int64_t b = 0; b < nb; b++) {
        __m256i hl[2];
        float d;
        int32_t sumq;
        x16_block(x + 32 * b, hl, &d, &sumq);
        uint32_t part[16]; /* chunk c (elements 8c…8c+7) → part[4c + kind] */
        _mm256_storeu_si256((__m256i *)part, _mm256_shuffle_epi8(hl[0], split));
        _mm256_storeu_si256((__m256i *)(part + 8), _mm256_shuffle_epi8(hl[1], split));
        uint8_t *dst = xq + 256 * (b / 4) + 16 * (b % 4);
        for (int kind = 0; kind < 4; kind++)
            for (int c = 0; c < 4; c++) memcpy(dst + 64 * kind + 4 * c, &part[4 * c + kind], 4);
        dsc[b] = d * 0.5f;              /* u = 2·value + 12 carries a factor 2 */
        corr[b] = (float)MX_LEVEL_Z * (float)sumq; /* |·| ≤ 12·32·32639 < 2²⁴: exact */
    }
    if (nb % 4) /* the missing blocks of the last quad */
        for (int kind = 0; kind < 4; kind++) memset(xq + 256 * (nb / 4) + 64 * kind + 16 * (nb % 4), 0, 16 * (4 - nb % 4));
    for (int64_t b = nb; b < mx_pad8(nb); b++) dsc[b] = corr[b] = 0.f;
}

/* 16-bit fixed-point activations in pairs of 32-blocks: the block types' AVX2 GEMVs read them (ck_qb_prepare_x
 * rewrites the corrections). Layout of one x vector (a 64-byte multiple):
 *   per pair of blocks (2p, 2p+1), 192 bytes: l of its 64 elements in order, then h, then 16 int32 corrections
 *   −16·Σ q (lanes 0–7 for block 2p, 8–15 for 2p+1: a vpdpbusd lane sums 4 of a block's 32 products, so each lane
 *   takes an eighth of the block's −128·Σ q, and the block's sum stays exact in int32); zeros past the last block.
 *   dsc [pad8(nb)] floats: d_b (NaN when the block holds NaN or ±inf). */
__attribute__((target("avx2,fma"))) void ck_q8_prepare_x(const float *x, int64_t n, float *xp) {
    const int64_t nb = n / 32, pairs = q8_pairs(nb);
    uint8_t *xq = (uint8_t *)xp;
    float *dsc = xp + 48 * pairs;
    /* per 128-bit lane [l0 h0 … l7 h7] → [l0 … l7 h0 … h7], then 64-bit lanes reordered: l0–15 low, h0–15 high */
    const __m256i split = _mm256_setr_epi8(0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15,
                                           0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15);
    for (int64_t b = 0; b < nb; b++) {
        __m256i hl[2];
        float d;
        int32_t sumq;
        x16_block(x + 32 * b, hl, &d, &sumq);
        uint8_t *dst = xq + 192 * (b / 2) + 32 * (b % 2);
        for (int half = 0; half < 2; half++) {
            const __m256i lh = _mm256_permute4x64_epi64(_mm256_shuffle_epi8(hl[half], split), 0xD8);
            _mm_storeu_si128((__m128i *)(dst + 16 * half), _mm256_castsi256_si128(lh));           /* l */
            _mm_storeu_si128((__m128i *)(dst + 64 + 16 * half), _mm256_extracti128_si256(lh, 1)); /* h */
        }
        const int32_t c = -16 * sumq; /* |·| ≤ 16·32·32639 < 2²⁴ */
        int32_t *cq = (int32_t *)(xq + 192 * (b / 2) + 128) + 8 * (b % 2);
        for (int i = 0; i < 8; i++) cq[i] = c;
        dsc[b] = d;
    }
    if (nb % 2) { /* the missing second block of the last pair */
        uint8_t *last = xq + 192 * (nb / 2);
        memset(last + 32, 0, 32);
        memset(last + 96, 0, 32);
        memset(last + 160, 0, 32);
    }
    for (int64_t b = nb; b < mx_pad8(nb); b++) dsc[b] = 0.f;
}

/* Q8_0 × 8-bit activations (the 512-bit VNNI path; the AVX2_INT8 level reads the same layout, quant_q8_avx2.c;
 * the AVX2 level stays in float): x rounded per 32-block to q ∈ [−127, 127], d_b = max|x_b| / 127 (ggml's Q8_0
 * activations, llama.cpp's Q8_0 × Q8_0 dot product; NMSE ≈ 1.5e-5 per dot product, Tolerance.linearInt8). The weights
 * are read as u = w + 128 ∈ [0, 255] (the sign bit flipped) and Σ w·q = Σ u·q − 128·Σ q, one vpdpbusd per pair of
 * blocks whose accumulator starts at the corrections. Callers that need x unrounded (CK_LINEAR_EXACT_X) take the
 * AVX2 float path. Prepared layout of one x vector (a 64-byte multiple, within ck_prepared_x_floats(w)):
 *   per pair of blocks (2p, 2p+1), 128 bytes: q of its 64 elements in order, then 16 int32 corrections −16·Σ q
 *   (lanes 0–7 for block 2p, 8–15 for 2p+1, as above); zeros past the last block.
 *   dsc [pad8(nb)] floats: d_b (NaN when the block holds NaN or ±inf). */
static void q8_prepare_x8(const float *x, int64_t n, float *xp) {
    const int64_t nb = n / 32, pairs = q8_pairs(nb);
    uint8_t *xq = (uint8_t *)xp;
    float *dsc = xp + 32 * pairs;
    for (int64_t b = 0; b < nb; b++) {
        int8_t *q = (int8_t *)(xq + 128 * (b / 2) + 32 * (b % 2));
        float s;
        int32_t sumq;
        ck_x8_blocks(x + 32 * b, 32, q, dsc + b, &s, NULL, &sumq);
        int32_t *cq = (int32_t *)(xq + 128 * (b / 2) + 64) + 8 * (b % 2);
        for (int i = 0; i < 8; i++) cq[i] = -16 * sumq; /* |·| ≤ 16·32·127 */
    }
    if (nb % 2) { /* the missing second block of the last pair */
        uint8_t *last = xq + 128 * (nb / 2);
        memset(last + 32, 0, 32);
        memset(last + 96, 0, 32);
    }
    for (int64_t b = nb; b < mx_pad8(nb); b++) dsc[b] = 0.f;
}

/* x[n] (n a multiple of 32) in the 16-bit fixed point above, for the VNNI GEMM (gemm_vnni.c): q[n] int16 in element
 * order, d[n / 32] the block factors (NaN for a block holding NaN or ±inf), sx[n / 32] the blocks' rounded sums
 * d·Σq. x16_block stores each q as the byte pair
 * (l mod 256, h); q = 256·h + l is that int16 less 256 where l < 0 (bit 7 of the low byte set). */
__attribute__((target("avx2,fma"))) void ck_x16_blocks(const float *x, int64_t n, int16_t *q, float *d,
                                                         float *sx) {
    const __m256i bit7 = _mm256_set1_epi16(0x80);
    for (int64_t b = 0; b < n / 32; b++) {
        __m256i hl[2];
        int32_t sumq;
        x16_block(x + 32 * b, hl, d + b, &sumq);
        sx[b] = d[b] * (float)sumq;
        for (int k = 0; k < 2; k++)
            _mm256_storeu_si256((__m256i *)(q + 32 * b + 16 * k),
                                _mm256_sub_epi16(hl[k], _mm256_slli_epi16(_mm256_and_si256(hl[k], bit7), 1)));
    }
}

void ck_prepare_x(const ck_weight *w, const float *x, float *xp, int level) {
    const int64_t n = w->cols;
    if (!ck_needs_prepared_x(w, level)) {
        memcpy(xp, x, (size_t)n * 4);
        return;
    }
    if (w->dtype == CK_BF16) { /* per 32: the 16 even elements, then the 16 odd ones (a dword = [even | odd << 16]);
                                  the last n % 32 in natural order. The 256- and 512-bit paths share this layout. */
        int64_t i = 0;
        for (; i + 32 <= n; i += 32)
            for (int k = 0; k < 16; k++) { xp[i + k] = x[i + 2 * k]; xp[i + 16 + k] = x[i + 2 * k + 1]; }
        for (; i < n; i++) xp[i] = x[i];
    } else if (ck_is_kquant(w->dtype) && level >= CK_LEVEL_AVX2_INT8) {
        ck_kq8_prepare_x(x, n, xp, w->dtype);
    } else if (ck_is_legacy(w->dtype) && level >= CK_LEVEL_AVX2_INT8) {
        ck_lg8_prepare_x(x, n, xp);
    } else if (ck_is_qblock(w->dtype)) {
        ck_qb_prepare_x(x, n, xp, ck_is_legacy(w->dtype));
    } else if (w->dtype == CK_Q8_0) {
        q8_prepare_x8(x, n, xp);
    } else if (ck_mx8_gemv_active(level)) {
        ck_mx8_prepare_x(x, n, xp);
    } else {
        mxfp4_prepare_x(x, n, xp);
    }
}

/* ------------------------------------------------------------------ GEMV rows, scalar */

static void gemv_rows_scalar(const ck_weight *w, int64_t row0, int64_t row1, const float *xp, int64_t xs, int nx,
                             const float *bias, float *y, int64_t ys) {
    const int64_t n = w->cols;
    for (int64_t r = row0; r < row1; r++) {
        const uint8_t *row = ck_row_ptr(w, r);
        for (int k = 0; k < nx; k++) {
            const float *x = xp + k * xs;
            float acc = 0.f;
            switch (w->dtype) {
            case CK_F32:
                for (int64_t i = 0; i < n; i++) acc += load_f32(row + 4 * i) * x[i];
                break;
            case CK_F16:
                for (int64_t i = 0; i < n; i++) acc += ck_f16_to_float(ck_load_u16(row + 2 * i)) * x[i];
                break;
            case CK_BF16:
                for (int64_t i = 0; i < n; i++) acc += bf16_to_float(ck_load_u16(row + 2 * i)) * x[i];
                break;
            case CK_Q8_0:
                for (int64_t b = 0; b < n / 32; b++) {
                    const uint8_t *blk = row + 34 * b;
                    float s = 0.f;
                    for (int j = 0; j < 32; j++) s += (float)(int8_t)blk[2 + j] * x[32 * b + j];
                    acc += s * ck_f16_to_float(ck_load_u16(blk));
                }
                break;
            case CK_MXFP4: {
                const uint8_t *sc = ck_row_scales(w, r);
                for (int64_t b = 0; b < n / 32; b++) {
                    float s = 0.f;
                    for (int j = 0; j < 16; j++) {
                        uint8_t v = row[16 * b + j];
                        s += fp4_values[v & 15] * x[32 * b + 2 * j] + fp4_values[v >> 4] * x[32 * b + 2 * j + 1];
                    }
                    acc += s * e8m0_to_float(sc[b]);
                }
                break;
            }
            }
            y[k * ys + (r - row0)] = acc + (bias ? bias[r] : 0.f);
        }
    }
}

/* ------------------------------------------------------------------ GEMV rows, AVX2 */


/* 32 weights of a float-type row starting at element i, as four float vectors that match x + i + 0, 8, 16, 24 of the
 * prepared layout (f32/f16: natural order; bf16: a dword holds [even | odd << 16], x is prepared per 32 as the 16
 * even elements, then the 16 odd ones). */
__attribute__((target("avx2,fma,f16c"), always_inline)) static inline void
load32_float_type(int32_t dtype, const uint8_t *row, int64_t i, __m256 wv[4]) {
    if (dtype == CK_F32) {
        for (int c = 0; c < 4; c++) wv[c] = _mm256_loadu_ps((const float *)(row + 4 * i) + 8 * c);
    } else if (dtype == CK_F16) {
        for (int c = 0; c < 4; c++) wv[c] = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(row + 2 * i) + c));
    } else {
        const __m256i v0 = _mm256_loadu_si256((const __m256i *)(row + 2 * i));
        const __m256i v1 = _mm256_loadu_si256((const __m256i *)(row + 2 * i + 32));
        const __m256i odd = _mm256_set1_epi32((int)0xFFFF0000u);
        wv[0] = _mm256_castsi256_ps(_mm256_slli_epi32(v0, 16)); /* evens 0–7 of the 32 */
        wv[1] = _mm256_castsi256_ps(_mm256_slli_epi32(v1, 16)); /* evens 8–15 */
        wv[2] = _mm256_castsi256_ps(_mm256_and_si256(v0, odd)); /* odds 0–7 */
        wv[3] = _mm256_castsi256_ps(_mm256_and_si256(v1, odd)); /* odds 8–15 */
    }
}

static inline float scalar_weight(int32_t dtype, const uint8_t *row, int64_t i) {
    switch (dtype) {
    case CK_F32: return load_f32(row + 4 * i);
    case CK_F16: return ck_f16_to_float(ck_load_u16(row + 2 * i));
    default: return bf16_to_float(ck_load_u16(row + 2 * i));
    }
}

/* One weight row against NX prepared activation vectors. NX is a compile-time constant at every call site, so the
 * compiler specialises each loop. Accumulator indices are compile-time constants (a runtime index such as
 * acc[b & 3] puts the accumulators on the stack), and there are enough independent chains to hide FMA latency:
 * four for NX = 1, two per vector for NX ≥ 2 (16 accumulators would spill). */
#define CK_NX_MAX CK_GEMV_NX_MAX

__attribute__((target("avx2,fma,f16c"), always_inline)) static inline void
row_dot_avx2(const ck_weight *w, int64_t r, const float *xp, int64_t xs, const int NX, float *res) {
    const uint8_t *row = ck_row_ptr(w, r);
    const int64_t n = w->cols;
    __m256 acc[CK_NX_MAX][4];
    for (int k = 0; k < NX; k++)
        for (int c = 0; c < 4; c++) acc[k][c] = _mm256_setzero_ps();
    float tail[CK_NX_MAX] = {0.f, 0.f, 0.f, 0.f};
    switch (w->dtype) {
    case CK_F32:
    case CK_F16:
    case CK_BF16: {
        int64_t i = 0;
        for (; i + 32 <= n; i += 32) {
            __m256 wv[4];
            load32_float_type(w->dtype, row, i, wv);
            for (int k = 0; k < NX; k++) {
                const float *x = xp + k * xs + i;
                for (int c = 0; c < 4; c++) { /* NX = 1: four chains; NX ≥ 2: two per vector */
                    const int a = NX == 1 ? c : c & 1;
                    acc[k][a] = _mm256_fmadd_ps(wv[c], _mm256_loadu_ps(x + 8 * c), acc[k][a]);
                }
            }
        }
        for (; w->dtype != CK_BF16 && i + 8 <= n; i += 8) { /* f32 / f16 rest in natural order */
            const __m256 wv = w->dtype == CK_F32 ? _mm256_loadu_ps((const float *)(row + 4 * i))
                                                 : _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(row + 2 * i)));
            for (int k = 0; k < NX; k++) acc[k][0] = _mm256_fmadd_ps(wv, _mm256_loadu_ps(xp + k * xs + i), acc[k][0]);
        }
        for (; i < n; i++) {
            const float wv = scalar_weight(w->dtype, row, i);
            for (int k = 0; k < NX; k++) tail[k] += wv * xp[k * xs + i];
        }
        break;
    }
    case CK_Q8_0: {
        const int64_t nb = n / 32;
        for (int64_t b = 0; b < nb; b += 2) { /* two blocks per step, one accumulator each */
            for (int h = 0; h < 2 && b + h < nb; h++) {
                const uint8_t *blk = row + 34 * (b + h);
                __m256 d = _mm256_set1_ps(_cvtsh_ss(ck_load_u16(blk)));
                __m256 q0 = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(blk + 2))));
                __m256 q1 = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(blk + 10))));
                __m256 q2 = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(blk + 18))));
                __m256 q3 = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(blk + 26))));
                for (int k = 0; k < NX; k++) {
                    const float *x = xp + k * xs + 32 * (b + h);
                    /* two short chains per block, summed, then one FMA with the block scale */
                    __m256 u = _mm256_mul_ps(q0, _mm256_loadu_ps(x));
                    __m256 t = _mm256_mul_ps(q2, _mm256_loadu_ps(x + 16));
                    u = _mm256_fmadd_ps(q1, _mm256_loadu_ps(x + 8), u);
                    t = _mm256_fmadd_ps(q3, _mm256_loadu_ps(x + 24), t);
                    acc[k][h] = _mm256_fmadd_ps(_mm256_add_ps(u, t), d, acc[k][h]);
                }
            }
        }
        break;
    }
    default: /* MXFP4 runs in mxfp4_rows_* */
        break;
    }
    for (int k = 0; k < NX; k++) {
        __m256 t = _mm256_add_ps(_mm256_add_ps(acc[k][0], acc[k][1]), _mm256_add_ps(acc[k][2], acc[k][3]));
        res[k] = ck_hsum256(t) + tail[k];
    }
}


/* MXFP4 GEMV rows in 16-bit fixed point (see mxfp4_prepare_x). A pass may cover R rows at once, each x slice then
 * loaded once for all R; each row's arithmetic is the same whatever R is. Measured on one core (2880-wide rows, 7 MB
 * per call, interleaved with a streaming read of the same bytes; prefetch then 3 / 12 KiB ahead): the 512-bit path
 * with one vector went from 75–77%
 * of the read at R = 1 to 79–83% at R = 2 and 84–88% at R = 4; with 2 vectors R = 2 and 1 tie, with 4 vectors R = 1 is
 * fastest (R = 4 spills). The AVX2 path (16 registers) gains nothing from R > 1. The codes are looked up as u
 * (MX_LUT_U, ck_internal.h). */



/* ---- AVX2: 256 bits, a pair of blocks per step, vpshufb lookup and vpmaddubsw.
 * Accumulation order (bit-identical to the 512-bit path): pair p of a group (p = 0…3) into acc[j][k][p], lanes 0–3
 * for its first block and 4–7 for its second; the row sum is hsum((acc0 + acc2) + (acc1 + acc3)) − hsum(corrections). */

/* Looks up u for the low nibbles (even elements) and high nibbles (odd elements) of 32 weight bytes. */
__attribute__((target("avx2,fma"), always_inline)) static inline void mx_decode_avx2(__m256i v, __m256i *ul,
                                                                                      __m256i *uh) {
    const __m256i lut = _mm256_setr_epi8(MX_LUT_U, MX_LUT_U), m4 = _mm256_set1_epi8(0x0F);
    *ul = _mm256_shuffle_epi8(lut, _mm256_and_si256(v, m4));
    *uh = _mm256_shuffle_epi8(lut, _mm256_and_si256(_mm256_srli_epi16(v, 4), m4));
}

/* 256·Σ u·h + Σ u·l over one block pair (x: its 32-byte slices, 64 bytes apart): 8 int32 partials. */
__attribute__((target("avx2,fma"), always_inline)) static inline __m256i mx_dot_avx2(__m256i ul, __m256i uh,
                                                                                     const uint8_t *xq) {
    const __m256i *x = (const __m256i *)xq;
    __m256i a = _mm256_add_epi16(_mm256_maddubs_epi16(ul, _mm256_loadu_si256(x)),
                                 _mm256_maddubs_epi16(uh, _mm256_loadu_si256(x + 2))); /* |·| ≤ 4·24·128 */
    __m256i b = _mm256_add_epi16(_mm256_maddubs_epi16(ul, _mm256_loadu_si256(x + 4)),
                                 _mm256_maddubs_epi16(uh, _mm256_loadu_si256(x + 6)));
    return _mm256_add_epi32(_mm256_madd_epi16(b, _mm256_set1_epi16(256)), _mm256_madd_epi16(a, _mm256_set1_epi16(1)));
}

/* Pair p of group g (blocks g+2p, g+2p+1) for R rows and NX vectors; `last` = the pair has only its first block (16
 * bytes are loaded, never reading past the row). */
#define MX_PAIR_STEP(R, p, last)                                                                                       \
    do {                                                                                                               \
        __m256i ul_[R], uh_[R];                                                                                        \
        for (int j = 0; j < R; j++) {                                                                                  \
            const uint8_t *wp_ = rowp[j] + 16 * (g + 2 * (p));                                                         \
            if (((p) & 1) == 0) MX_PREFETCH(wp_);                                                                      \
            mx_decode_avx2((last) ? _mm256_zextsi128_si256(_mm_loadu_si128((const __m128i *)wp_))                      \
                                  : _mm256_loadu_si256((const __m256i *)wp_),                                          \
                           &ul_[j], &uh_[j]);                                                                          \
        }                                                                                                              \
        const __m256i idx_ = _mm256_setr_epi32(2 * (p), 2 * (p), 2 * (p), 2 * (p), 2 * (p) + 1, 2 * (p) + 1,           \
                                               2 * (p) + 1, 2 * (p) + 1);                                              \
        for (int k = 0; k < NX; k++)                                                                                   \
            for (int j = 0; j < R; j++) {                                                                              \
                __m256i P_ = mx_dot_avx2(ul_[j], uh_[j], xq[k] + 256 * (g / 4 + (p) / 2) + 32 * ((p) & 1));            \
                acc[j][k][p] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(P_), _mm256_permutevar8x32_ps(sd[j][k], idx_),       \
                                               acc[j][k][p]);                                                          \
            }                                                                                                          \
    } while (0)

/* The last 1–7 blocks' scales, gathered byte by byte (no read past the row); 127 (2^0) past it, never subnormal. */
#define MX_E8_TAIL_AVX2(j) _mm_cvtsi64_si128((long long)e8_[j])
#define MX_REDUCE_AVX2(a) _mm256_add_ps(_mm256_add_ps((a)[0], (a)[2]), _mm256_add_ps((a)[1], (a)[3]))

#define MX_PASS_AVX2(R)                                                                                                \
    do {                                                                                                               \
        MX_PASS_SETUP(R, __m256, 4, _mm256_setzero_ps())                                                               \
        int64_t g = 0;                                                                                                 \
        for (; g + 8 <= nb; g += 8) {                                                                                  \
            MX_GROUP_SCALES(R, MX_E8_GROUP);                                                                           \
            MX_PAIR_STEP(R, 0, 0);                                                                                     \
            MX_PAIR_STEP(R, 1, 0);                                                                                     \
            MX_PAIR_STEP(R, 2, 0);                                                                                     \
            MX_PAIR_STEP(R, 3, 0);                                                                                     \
        }                                                                                                              \
        if (g < nb) {                                                                                                  \
            const int64_t left = nb - g;                                                                               \
            uint64_t e8_[R];                                                                                           \
            for (int j = 0; j < R; j++) {                                                                              \
                e8_[j] = 0;                                                                                            \
                for (int64_t i = 0; i < left; i++) e8_[j] |= (uint64_t)sc[j][g + i] << (8 * i);                        \
                e8_[j] |= 0x7F7F7F7F7F7F7F7Full << (8 * left); /* 2^0 past the row (MX_E8_TAIL_VNNI) */               \
            }                                                                                                          \
            MX_GROUP_SCALES(R, MX_E8_TAIL_AVX2);                                                                       \
            MX_PAIR_STEP(R, 0, left == 1);                                                                             \
            if (left > 2) MX_PAIR_STEP(R, 1, left == 3);                                                               \
            if (left > 4) MX_PAIR_STEP(R, 2, left == 5);                                                               \
            if (left > 6) MX_PAIR_STEP(R, 3, left == 7);                                                               \
        }                                                                                                              \
        MX_STORE(R, MX_REDUCE_AVX2)                                                                                    \
    } while (0)

MX_ROWS_FUNCTION(mxfp4_rows_avx2_1, "avx2,fma", 1, 64, , MX_PASS_AVX2)
MX_ROWS_FUNCTION(mxfp4_rows_avx2_2, "avx2,fma", 2, 64, , MX_PASS_AVX2)
MX_ROWS_FUNCTION(mxfp4_rows_avx2_3, "avx2,fma", 3, 64, , MX_PASS_AVX2)
MX_ROWS_FUNCTION(mxfp4_rows_avx2_4, "avx2,fma", 4, 64, , MX_PASS_AVX2)

/* ---- AVX512 VNNI (+BW, VL; ck_vnni_enabled() checks them and the OS's ZMM state): 512 bits, a quad of blocks per
 * step, vpdpbusd; half the instructions of two 256-bit steps (one thread: 57–59% → 75–77% of a streaming read at
 * R = 1). The lookup is one vpermb with AVX512 VBMI, else vpshufb after masking the nibble (VNNI CPUs without VBMI,
 * e.g. Cascade Lake). Quad q of a group holds pairs 2q (lanes 0–7) and 2q+1 (lanes 8–15), into acc[j][k][q], so the
 * sums match the AVX2 path bit for bit. */

/* The 16-bit form's part of a quad step (MX_QUAD_STEP, mx_gemv.h): the quad's l and h slices of x for the even and
 * the odd elements, and row j's 256·Σ u·h + Σ u·l in four vpdpbusd. */
#define MX16_XLOAD(k, q)                                                                                               \
    const __m512i *x_ = (const __m512i *)(xq[k] + 256 * (g / 4 + (q)));                                               \
    const __m512i xl0 = _mm512_loadu_si512(x_), xl1 = _mm512_loadu_si512(x_ + 1);                                      \
    const __m512i xh0 = _mm512_loadu_si512(x_ + 2), xh1 = _mm512_loadu_si512(x_ + 3)
#define MX16_XDOT(j)                                                                                                   \
    _mm512_dpbusd_epi32(                                                                                               \
        _mm512_dpbusd_epi32(                                                                                           \
            _mm512_slli_epi32(                                                                                         \
                _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(_mm512_setzero_si512(), ul_[j], xh0), uh_[j], xh1), 8),        \
            ul_[j], xl0),                                                                                              \
        uh_[j], xl1)

#define MX_PASS_VBMI(R) MX_PASS_512(R, MX_DECODE_VBMI, MX16_XLOAD, MX16_XDOT)
#define MX_PASS_BW(R) MX_PASS_512(R, MX_DECODE_BW, MX16_XLOAD, MX16_XDOT)


MX_ROWS_512(mxfp4_rows, 64, MX_PASS_VBMI, MX_PASS_BW)

/* ---- Q8_0 on AVX512 VNNI (+BW, VL): a pair of blocks per 512-bit step (see q8_prepare_x8). Block b of a row is
 * {f16 d; int8 qs[32]} at 34·b. Measured on one core (2880-wide rows, 15 MB per call, interleaved with a streaming
 * read of the same bytes): the float path is compute-bound at ~19 GB/s (63–71% of the read; 18 GB/s in L2), this
 * path on 16-bit x ran at 30–35 GB/s in L2 and 84–90% of the read from DRAM; on 8-bit x (one vpdpbusd per pair
 * instead of two, a shift and an add) it is 1.2–1.4× that at T = 1 on one thread (llama-1b's 2048 × 8192 shapes,
 * L3-resident). One row per pass with the L1 prefetch alone (MX_PREFETCH_ROW): two rows with both prefetches, the
 * earlier choice, streamed 74–86% of the read, four rows 60%. */
#define Q8_PAIR_STEP(R, p, last)                                                                                       \
    do {                                                                                                               \
        __m512i u_[R];                                                                                                 \
        for (int j = 0; j < R; j++) {                                                                                  \
            const uint8_t *bp_ = rowp[j] + 34 * (g + 2 * (p));                                                         \
            MX_PREFETCH_ROW(bp_);                                                                                      \
            const __m256i lo_ = _mm256_loadu_si256((const __m256i *)(bp_ + 2));                                        \
            const __m256i hi_ = (last) ? _mm256_setzero_si256() : _mm256_loadu_si256((const __m256i *)(bp_ + 36));    \
            u_[j] = _mm512_xor_si512(_mm512_inserti64x4(_mm512_castsi256_si512(lo_), hi_, 1), flip);                   \
        }                                                                                                              \
        for (int k = 0; k < NX; k++) {                                                                                 \
            const __m512i *x_ = (const __m512i *)(xq[k] + 128 * (g / 2 + (p)));                                       \
            const __m512i q_ = _mm512_loadu_si512(x_), cq_ = _mm512_loadu_si512(x_ + 1);                               \
            for (int j = 0; j < R; j++) {                                                                              \
                const __m512i P_ = _mm512_dpbusd_epi32(cq_, u_[j], q_);                                                \
                acc[j][k][(p) & 1] = _mm512_fmadd_ps(                                                                  \
                    _mm512_cvtepi32_ps(P_), _mm512_permutexvar_ps(pidx[p], _mm512_castps256_ps512(sd[j][k])),          \
                    acc[j][k][(p) & 1]);                                                                               \
            }                                                                                                          \
        }                                                                                                              \
    } while (0)

/* The 8 block factors d_w·d_x of group g (the first `n` blocks; 0 past them) for each row and vector. */
#define Q8_GROUP_SCALES(R, n)                                                                                          \
    do {                                                                                                               \
        for (int j = 0; j < R; j++) {                                                                                  \
            uint16_t h_[8] = {0};                                                                                      \
            for (int i = 0; i < (n); i++) h_[i] = ck_load_u16(rowp[j] + 34 * (g + i));                                 \
            const __m256 dw_ = _mm256_cvtph_ps(_mm_setr_epi16((short)h_[0], (short)h_[1], (short)h_[2], (short)h_[3], \
                                                              (short)h_[4], (short)h_[5], (short)h_[6], (short)h_[7])); \
            for (int k = 0; k < NX; k++) sd[j][k] = _mm256_mul_ps(dw_, _mm256_loadu_ps(dsc[k] + g));                   \
        }                                                                                                              \
    } while (0)

#define Q8_PASS(R)                                                                                                     \
    do {                                                                                                               \
        const uint8_t *rowp[R];                                                                                        \
        __m512 acc[R][NX][2];                                                                                          \
        __m256 sd[R][NX];                                                                                              \
        for (int j = 0; j < R; j++) {                                                                                  \
            rowp[j] = ck_row_ptr(w, r + j);                                                                            \
            for (int k = 0; k < NX; k++) acc[j][k][0] = acc[j][k][1] = _mm512_setzero_ps();                            \
        }                                                                                                              \
        int64_t g = 0;                                                                                                 \
        for (; g + 8 <= nb; g += 8) {                                                                                  \
            Q8_GROUP_SCALES(R, 8);                                                                                     \
            Q8_PAIR_STEP(R, 0, 0);                                                                                     \
            Q8_PAIR_STEP(R, 1, 0);                                                                                     \
            Q8_PAIR_STEP(R, 2, 0);                                                                                     \
            Q8_PAIR_STEP(R, 3, 0);                                                                                     \
        }                                                                                                              \
        if (g < nb) { /* 1–7 blocks left (a missing second block is neither loaded nor counted: its x is zero) */      \
            const int64_t left = nb - g;                                                                               \
            Q8_GROUP_SCALES(R, left);                                                                                  \
            Q8_PAIR_STEP(R, 0, left == 1);                                                                             \
            if (left > 2) Q8_PAIR_STEP(R, 1, left == 3);                                                               \
            if (left > 4) Q8_PAIR_STEP(R, 2, left == 5);                                                               \
            if (left > 6) Q8_PAIR_STEP(R, 3, left == 7);                                                               \
        }                                                                                                              \
        for (int j = 0; j < R; j++) {                                                                                  \
            const float b_ = bias ? bias[r + j] : 0.f;                                                                 \
            for (int k = 0; k < NX; k++) y[k * ys + (r + j - row0)] = ck_hsum256(MX_REDUCE_VNNI(acc[j][k])) + b_;      \
        }                                                                                                              \
    } while (0)

#define Q8_ROWS_VNNI(NAME, NX_)                                                                                        \
    __attribute__((target(MX_VNNI_TARGET ",f16c"))) static void NAME(const ck_weight *w, int64_t row0, int64_t row1,   \
                                                                     const float *xp, int64_t xs, const float *bias,   \
                                                                     float *y, int64_t ys) {                           \
        enum { NX = NX_ };                                                                                             \
        const int64_t nb = w->cols / 32;                                                                               \
        const uint8_t *xq[NX];                                                                                         \
        const float *dsc[NX];                                                                                          \
        for (int k = 0; k < NX; k++) {                                                                                 \
            xq[k] = (const uint8_t *)(xp + k * xs);                                                                    \
            dsc[k] = xp + k * xs + 32 * q8_pairs(nb);                                                                  \
        }                                                                                                              \
        const __m512i flip = _mm512_set1_epi8((char)0x80);                                                             \
        const __m512i pidx[4] = {                                                                                      \
            _mm512_setr_epi32(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1),                                         \
            _mm512_setr_epi32(2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3),                                         \
            _mm512_setr_epi32(4, 4, 4, 4, 4, 4, 4, 4, 5, 5, 5, 5, 5, 5, 5, 5),                                         \
            _mm512_setr_epi32(6, 6, 6, 6, 6, 6, 6, 6, 7, 7, 7, 7, 7, 7, 7, 7)};                                        \
        MX_ROW_PASSES(Q8_PASS)                                                                                         \
    }
Q8_ROWS_VNNI(q8_rows_vnni_1, 1)
Q8_ROWS_VNNI(q8_rows_vnni_2, 2)
Q8_ROWS_VNNI(q8_rows_vnni_3, 3)
Q8_ROWS_VNNI(q8_rows_vnni_4, 4)

typedef void (*ck_rows_fn)(const ck_weight *, int64_t, int64_t, const float *, int64_t, const float *, float *,
                           int64_t);

#define GEMV_ROWS_AVX2(NX)                                                                                             \
    __attribute__((target("avx2,fma,f16c"))) static void gemv_rows_avx2_##NX(                                          \
        const ck_weight *w, int64_t row0, int64_t row1, const float *xp, int64_t xs, const float *bias, float *y,      \
        int64_t ys) {                                                                                                  \
        for (int64_t r = row0; r < row1; r++) {                                                                        \
            float res[CK_NX_MAX];                                                                                      \
            row_dot_avx2(w, r, xp, xs, NX, res);                                                                       \
            float b = bias ? bias[r] : 0.f;                                                                            \
            for (int k = 0; k < NX; k++) y[k * ys + (r - row0)] = res[k] + b;                                          \
        }                                                                                                              \
    }
GEMV_ROWS_AVX2(1)
GEMV_ROWS_AVX2(2)
GEMV_ROWS_AVX2(3)
GEMV_ROWS_AVX2(4)

void ck_gemv_rows(const ck_weight *w, int64_t row0, int64_t row1, const float *xp, int64_t xp_stride, int nx,
                  const float *bias, float *y, int64_t y_stride, int level) {
    if (ck_is_legacy(w->dtype)) {
        ck_legacy_gemv_rows(w, row0, row1, xp, xp_stride, nx, bias, y, y_stride, level);
        return;
    }
    if (ck_is_kquant(w->dtype)) {
        ck_kq_gemv_rows(w, row0, row1, xp, xp_stride, nx, bias, y, y_stride, level);
        return;
    }
    pthread_once(&table_once, init_tables);
    if (level < CK_LEVEL_AVX2) {
        gemv_rows_scalar(w, row0, row1, xp, xp_stride, nx, bias, y, y_stride);
        return;
    }
    /* float-type weights from two vectors on: register blocks over rows and vectors (gemv_batch.c); one vector too
     * where ck_float_gemv_512_enabled() (CPUs with full-width 512-bit units), else it stays on the AVX2 loop below,
     * which streams 12–15% faster from DRAM on Zen 4 than a 512-bit one (interleaved, one core: bf16 21.2 against
     * 18.8 GB/s, f32 29.5 against 25.1). Without AVX-512, f16/bf16 rows longer than 4096 take the batch kernel too:
     * their x (> 16 KB of floats) no longer stays in L1 beside the streamed row, and its row blocks read each x slice
     * once for four rows (`--simd avx2`, Zen 5, llama_down 8192→2048, f16/bf16: one thread 1.79–1.90 → 1.17–1.32 ms,
     * two 0.92–1.56 → 0.80–0.97 ms; f32 equal; 4096-wide attn_out and 2880-wide qkv 10–25% faster on single rows). */
    if (w->dtype <= CK_BF16 &&
        (nx >= 2 || ck_float_gemv_512_enabled() || (w->dtype != CK_F32 && w->cols > 4096 && !ck_avx512_enabled()))) {
        ck_gemv_rows_batch(w, row0, row1, xp, xp_stride, nx, bias, y, y_stride, ck_avx512_enabled());
        return;
    }
    /* nx > 4 is done four vectors at a time (each pass streams the rows once more). */
    static const ck_rows_fn float_fns[4] = MX_ROWS_TABLE(gemv_rows_avx2);
    static const ck_rows_fn mx_avx2[4] = MX_ROWS_TABLE(mxfp4_rows_avx2);
    static const ck_rows_fn mx_vnni[4] = MX_ROWS_TABLE(mxfp4_rows_vnni);
    static const ck_rows_fn mx_vbmi[4] = MX_ROWS_TABLE(mxfp4_rows_vbmi);
    static const ck_rows_fn q8_vnni[4] = MX_ROWS_TABLE(q8_rows_vnni);
    if (w->dtype == CK_MXFP4 && ck_mx8_gemv_active(level)) {
        ck_mx8_gemv_rows(w, row0, row1, xp, xp_stride, nx, bias, y, y_stride, level);
        return;
    }
    const ck_rows_fn *fns = float_fns;
    if (w->dtype == CK_MXFP4)
        fns = level >= CK_LEVEL_VBMI ? mx_vbmi : level >= CK_LEVEL_VNNI ? mx_vnni : mx_avx2;
    else if (w->dtype == CK_Q8_0 && level >= CK_LEVEL_VNNI)
        fns = q8_vnni;
    else if (w->dtype == CK_Q8_0 && level == CK_LEVEL_AVX2_INT8) {
        ck_q8_gemv_rows_avx2_int8(w, row0, row1, xp, xp_stride, nx, bias, y, y_stride);
        return;
    }
    while (nx > 0) {
        int step = nx > CK_NX_MAX ? CK_NX_MAX : nx;
        fns[step - 1](w, row0, row1, xp, xp_stride, bias, y, y_stride);
        nx -= step;
        xp += step * xp_stride;
        y += step * y_stride;
    }
}
