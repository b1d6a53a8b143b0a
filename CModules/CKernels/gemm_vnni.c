/*
 * VNNI GEMM tiles for the integer-decodable weight dtypes (MXFP4, Q8_0, and GGUF's block types Q4_0 … Q5_1, Q4_K,
 * Q5_K, Q6_K): y[T, N] = x[T, K]·W[N, K]ᵀ + bias with the weights as int16 levels and x in the integer GEMVs' 16-bit
 * fixed point (ck_x16_blocks: q = round(x / d_b) per 32-block), multiplied with vpdpwssd (int16 × int16 pairs summed
 * into int32 lanes, exact) and scaled once per block in float:
 *     y[t][n] += float(Σ_{k ∈ b} w[n][k]·q[t][k]) · (s_w[n][b] · d_x[t][b]) + m_w[n][b] · (d_x[t][b]·Σ_{k ∈ b} q[t][k])
 * per 32-block b of K, with
 *     MXFP4  w = 2·value ∈ [−12, 12], s_w = 2^(e−127)/2          Q8_0  w ∈ [−128, 127], s_w = d
 *     Q4_0   w = q − 8, s_w = d                                    Q5_0  w = q − 16, s_w = d
 *     Q4_1   w = q, s_w = d, m_w = m                               Q5_1  the same
 *     Q4_K   w = q, s_w = d·sc_j, m_w = −dmin·m_j (sub-block j = b mod 8 of the super-block)   Q5_K  the same
 *     Q6_K   w = q − 32, s_w = d·scales[2j] for the block's first 16 elements, d·scales[2j + 1] for the last 16
 *            (its sub-blocks are 16 wide: the int32 sums are scaled and restarted at the half)
 * (the offset term m_w·Σx uses the block's rounded x, as the GEMVs do). |w| ≤ 128, so a block's sum is below
 * 32·128·32639 < 2³¹ and the int32 lanes never overflow. The numerics are those of the integer GEMVs (rounding of x ≤
 * 2⁻¹⁶ of each block's maximum: NMSE ~4e-10 per linear); only the float summation order differs.
 *
 * Lanes are output rows: a panel of VR = 48 rows over a KC slice is packed as W[block][pair][48 rows] dwords (the
 * int16 pair of k = 2p, 2p + 1), 24 KB for KC = 256, so it stays in L1 while every group of VT = 4 tokens streams
 * past it; per pair a tile loads 3 weight vectors and broadcasts 4 dwords of q for 12 vpdpwssd. vpdpwssd retires
 * 1.7 per cycle on Zen 4 against one 512-bit FMA (200 G int16 MACs/s per core against 58 G float ones measured here),
 * which is what makes this faster than decoding to float for the f32 microkernel (see README). The block types'
 * levels are decoded once per panel and slice (the GEMVs' decoders, ck_qblock.h), not per token.
 */
#include "ck_qblock.h"

#define TVNNI __attribute__((target(CK_AVX512_TARGET ",avx512vnni")))

enum {
    VR = 48,        /* rows per panel (3 zmm of lanes) */
    VG = VR / 16,   /* zmm per panel row group */
    VT = 4,         /* tokens per tile */
    VKC = 256,      /* K per packed slice */
    VB = VKC / 32,  /* blocks per slice */
};

/* How a dtype's blocks enter y (the table above): one factor per block, two (Q6_K), or one plus an offset term. */
enum { VK_PLAIN, VK_SPLIT, VK_MIN, VK_KINDS };

static int vnni_kind(int32_t dt) {
    switch (dt) {
    case CK_Q4_1:
    case CK_Q5_1:
    case CK_Q4_K:
    case CK_Q5_K: return VK_MIN;
    case CK_Q6_K: return VK_SPLIT;
    default: return VK_PLAIN;
    }
}

/* 32 unsigned levels (bytes) less z, as int16. */
TVNNI __attribute__((always_inline)) static inline __m512i levels16(__m256i u, int z) {
    return _mm512_sub_epi16(_mm512_cvtepu8_epi16(u), _mm512_set1_epi16((short)z));
}

/* Row r's block b as 32 int16 weights (natural order) and its factors: f[0] = s_w (Q6_K: of elements 0–15), f[1] =
 * Q6_K's s_w of elements 16–31, f[2] = m_w (0 where unused). */
TVNNI __attribute__((always_inline)) static inline __m512i row_block(const ck_weight *w, int64_t r, int64_t b,
                                                                    float f[3]) {
    const uint8_t *row = ck_row_ptr(w, r);
    f[1] = f[2] = 0.f;
    switch (w->dtype) {
    case CK_Q8_0: {
        const uint8_t *blk = row + 34 * b;
        f[0] = _cvtsh_ss(ck_load_u16(blk));
        return _mm512_cvtepi8_epi16(_mm256_loadu_si256((const __m256i *)(blk + 2)));
    }
    case CK_Q4_0:
    case CK_Q4_1:
    case CK_Q5_0:
    case CK_Q5_1: {
        const lg_layout L = lg_layout_of(w->dtype);
        const uint8_t *blk = row + L.bytes * b;
        f[0] = _cvtsh_ss(ck_load_u16(blk));
        if (L.m >= 0) f[2] = _cvtsh_ss(ck_load_u16(blk + L.m));
        return levels16(lg_levels_avx2(L, blk), L.z);
    }
    case CK_Q4_K:
    case CK_Q5_K: {
        const uint8_t *sb = row + kq_bytes(w->dtype) * (b / 8);
        const int c = (int)(b % 8);
        uint8_t sc[8], m[8];
        kq_scale_mins(sb + 4, sc, m);
        f[0] = _cvtsh_ss(ck_load_u16(sb)) * (float)sc[c];
        f[2] = -(_cvtsh_ss(ck_load_u16(sb + 2)) * (float)m[c]);
        const __m256i qh = w->dtype == CK_Q5_K ? _mm256_loadu_si256((const __m256i *)(sb + 16)) : _mm256_setzero_si256();
        return levels16(kq_levels_avx2(w->dtype, sb, c, qh), 0);
    }
    case CK_Q6_K: {
        const uint8_t *sb = row + kq_bytes(CK_Q6_K) * (b / 8);
        const int c = (int)(b % 8);
        const float d = _cvtsh_ss(ck_load_u16(sb + 208));
        f[0] = d * (float)(int8_t)sb[192 + 2 * c];
        f[1] = d * (float)(int8_t)sb[193 + 2 * c];
        const __m256i qh = _mm256_loadu_si256((const __m256i *)(sb + 128 + 32 * (c / 4)));
        return levels16(kq_levels_avx2(CK_Q6_K, sb, c, qh), 32);
    }
    default: break; /* MXFP4 */
    }
    const uint8_t e = ck_row_scales(w, r)[b];
    const uint32_t bits = e ? (uint32_t)e << 23 : 0x00400000u; /* 2^(e−127); e = 0 is 2^−127 */
    float s;
    memcpy(&s, &bits, 4);
    f[0] = s * 0.5f; /* w = 2·value */
    const __m128i lut2 = _mm_setr_epi8(0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12);
    const __m128i v = _mm_loadu_si128((const __m128i *)(row + 16 * b)), m4 = _mm_set1_epi8(0x0F);
    const __m128i lo = _mm_and_si128(v, m4), hi = _mm_and_si128(_mm_srli_epi16(v, 4), m4);
    const __m128i q0 = _mm_shuffle_epi8(lut2, _mm_unpacklo_epi8(lo, hi));
    const __m128i q1 = _mm_shuffle_epi8(lut2, _mm_unpackhi_epi8(lo, hi));
    return _mm512_cvtepi8_epi16(_mm256_set_m128i(q1, q0));
}

/* Panel of rows [n0, n0 + nr) × blocks [b0, b0 + nbk): P[b][p][VR] dwords, F[b][3][VR] the factors of row_block
 * (zeros past nr). */
TVNNI static void pack_panel(const ck_weight *w, int64_t n0, int64_t nr, int64_t b0, int64_t nbk, int32_t *P,
                             float *F) {
    for (int64_t b = 0; b < nbk; b++) {
        for (int g = 0; g < VG; g++) {
            __m512 r[16]; /* the int16 pairs as 32-bit lanes, transposed bit for bit */
            for (int i = 0; i < 16; i++) {
                const int64_t j = 16 * g + i;
                float f[3] = {0.f, 0.f, 0.f};
                r[i] = _mm512_castsi512_ps(j < nr ? row_block(w, n0 + j, b0 + b, f) : _mm512_setzero_si512());
                for (int k = 0; k < 3; k++) F[(3 * b + k) * VR + j] = f[k];
            }
            ck_transpose16(r);
            for (int p = 0; p < 16; p++) _mm512_store_ps((float *)(P + (b * 16 + p) * VR + 16 * g), r[p]);
        }
    }
}

/* The tokens' side of a tile: int16 x from the slice's first block (row stride ldq), the block factors d_x and the
 * rounded block sums d_x·Σq (VK_MIN only; row stride lddx). */
typedef struct {
    const int16_t *q;
    const float *dx, *sx;
    int64_t ldq, lddx;
} vnni_x;

/* acc[g][t] += float(s[g][t]) · (F[g] · d_x[t]) for block b. */
#define VNNI_FLUSH(Fb)                                                                                                     for (int t = 0; t < RT; t++) {                                                                                             const __m512 d = _mm512_set1_ps(x.dx[t * x.lddx + b]);                                                                 for (int g = 0; g < VG; g++) {                                                                                             const __m512 scale = _mm512_mul_ps(_mm512_load_ps((Fb) + 16 * g), d);                                                  acc[g][t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s[g][t]), scale, acc[g][t]);                                        }                                                                                                                  }

/* y[RT tokens][VR outputs] (+)= over the nbk blocks of the panel, blocks of kind KIND; nm[VG] the valid outputs of
 * each zmm. */
TVNNI __attribute__((always_inline)) static inline void tile(const int RT, const int KIND, int64_t nbk, vnni_x x,
                                                            const int32_t *P, const float *F, float *y, int64_t ldy,
                                                            const __mmask16 nm[VG], int first, const float *bias) {
    __m512 acc[VG][VT];
    for (int g = 0; g < VG; g++)
        for (int t = 0; t < RT; t++) acc[g][t] = _mm512_setzero_ps();
    for (int64_t b = 0; b < nbk; b++) {
        __m512i s[VG][VT];
        for (int g = 0; g < VG; g++)
            for (int t = 0; t < RT; t++) s[g][t] = _mm512_setzero_si512();
        const int32_t *pb = P + b * 16 * VR;
        const float *Fb = F + 3 * b * VR;
        for (int p = 0; p < 16; p++) {
            if (KIND == VK_SPLIT && p == 8) { /* Q6_K: the first 16-element sub-block is complete */
                VNNI_FLUSH(Fb)
                for (int g = 0; g < VG; g++)
                    for (int t = 0; t < RT; t++) s[g][t] = _mm512_setzero_si512();
            }
            const __m512i w0 = _mm512_load_si512(pb + p * VR), w1 = _mm512_load_si512(pb + p * VR + 16);
            const __m512i w2 = _mm512_load_si512(pb + p * VR + 32);
            for (int t = 0; t < RT; t++) {
                int32_t pair;
                memcpy(&pair, x.q + t * x.ldq + 32 * b + 2 * p, 4);
                const __m512i xv = _mm512_set1_epi32(pair);
                s[0][t] = _mm512_dpwssd_epi32(s[0][t], w0, xv);
                s[1][t] = _mm512_dpwssd_epi32(s[1][t], w1, xv);
                s[2][t] = _mm512_dpwssd_epi32(s[2][t], w2, xv);
            }
        }
        VNNI_FLUSH(KIND == VK_SPLIT ? Fb + VR : Fb)
        if (KIND == VK_MIN)
            for (int t = 0; t < RT; t++) {
                const __m512 sum = _mm512_set1_ps(x.sx[t * x.lddx + b]);
                for (int g = 0; g < VG; g++)
                    acc[g][t] = _mm512_fmadd_ps(_mm512_load_ps(Fb + 2 * VR + 16 * g), sum, acc[g][t]);
            }
    }
    for (int t = 0; t < RT; t++)
        for (int g = 0; g < VG; g++)
            ck_tile_store16(y + t * ldy + 16 * g, acc[g][t], nm[g], first, bias ? bias + 16 * g : NULL);
}

typedef void (*tile_fn)(int64_t, vnni_x, const int32_t *, const float *, float *, int64_t, const __mmask16 *, int,
                        const float *);
#define TILE_VNNI(R, KIND)                                                                                                 TVNNI static void tile_##KIND##_##R(int64_t nbk, vnni_x x, const int32_t *P, const float *F, float *y,                                                    int64_t ldy, const __mmask16 nm[VG], int first, const float *bias) {                   tile(R, KIND, nbk, x, P, F, y, ldy, nm, first, bias);                                                              }
#define TILES_VNNI(KIND) TILE_VNNI(1, KIND) TILE_VNNI(2, KIND) TILE_VNNI(3, KIND) TILE_VNNI(4, KIND)
TILES_VNNI(VK_PLAIN)
TILES_VNNI(VK_SPLIT)
TILES_VNNI(VK_MIN)
static const tile_fn tiles[VK_KINDS][VT] = {
    [VK_PLAIN] = {tile_VK_PLAIN_1, tile_VK_PLAIN_2, tile_VK_PLAIN_3, tile_VK_PLAIN_4},
    [VK_SPLIT] = {tile_VK_SPLIT_1, tile_VK_SPLIT_2, tile_VK_SPLIT_3, tile_VK_SPLIT_4},
    [VK_MIN] = {tile_VK_MIN_1, tile_VK_MIN_2, tile_VK_MIN_3, tile_VK_MIN_4},
};

static void vnni_slice(const int16_t *q, const float *dx, const float *sx, int64_t T, const ck_weight *w,
                       const float *bias, float *y, int64_t n_lo, int64_t n_hi, int32_t *P, float *F) {
    const int64_t K = w->cols, N = w->rows, nb = K / 32;
    const tile_fn *kind = tiles[vnni_kind(w->dtype)];
    for (int64_t n0 = n_lo; n0 < n_hi; n0 += VR) {
        const int64_t nr = n_hi - n0 < VR ? n_hi - n0 : VR;
        __mmask16 nm[VG];
        for (int g = 0; g < VG; g++) {
            const int64_t v = nr - 16 * g;
            nm[g] = v >= 16 ? (__mmask16)0xFFFF : v > 0 ? (__mmask16)((1u << v) - 1) : 0;
        }
        for (int64_t b0 = 0; b0 < nb; b0 += VB) {
            const int64_t nbk = nb - b0 < VB ? nb - b0 : VB;
            pack_panel(w, n0, nr, b0, nbk, P, F);
            const int first = b0 == 0, last = b0 + nbk >= nb;
            for (int64_t m0 = 0; m0 < T; m0 += VT) {
                const int64_t mt = T - m0 < VT ? T - m0 : VT;
                const vnni_x x = {q + m0 * K + 32 * b0, dx + m0 * nb + b0, sx ? sx + m0 * nb + b0 : NULL, K, nb};
                kind[mt - 1](nbk, x, P, F, y + m0 * N + n0, N, nm, first, last && bias ? bias + n0 : NULL);
            }
        }
    }
}

int64_t ck_gemm_vnni_scratch_floats(void) { return VB * 16 * VR + 3 * VB * VR; }

int ck_gemm_vnni_takes(int32_t dtype) { return dtype == CK_MXFP4 || dtype == CK_Q8_0 || ck_is_qblock(dtype); }

int ck_gemm_vnni(ck_context *ctx, const float *x, int64_t T, const ck_weight *w, const float *bias, float *y,
                 int team) {
    const int64_t K = w->cols, N = w->rows, nb = K / 32;
    const int sums = vnni_kind(w->dtype) == VK_MIN;
    /* shared: q[T][K] int16 (K / 2 floats per row), then dx[T][nb], then (VK_MIN) sx[T][nb] */
    float *shared = ck_buffer_reserve(&ctx->shared[CK_SHARED_GEMM_X], T * (K / 2 + (sums ? 2 : 1) * nb));
    if (!shared) return CK_ERR_NOMEM;
    int16_t *q = (int16_t *)shared;
    float *dx = shared + T * K / 2, *sx = sums ? dx + T * nb : NULL;
    for (int i = 0; i < team; i++)
        if (!ck_buffer_reserve(&ctx->thread_scratch[i], ck_gemm_vnni_scratch_floats())) return CK_ERR_NOMEM;
    CK_PARALLEL(team, nt, id, {
        int64_t lo, hi;
        ck_split(T, nt, id, 1, &lo, &hi);
        for (int64_t t = lo; t < hi; t++) ck_x16_blocks(x + t * K, K, q + t * K, dx + t * nb, sx ? sx + t * nb : NULL);
        CK_BARRIER(nt);
        ck_split(N, nt, id, 16, &lo, &hi);
        float *scratch = ctx->thread_scratch[id].ptr;
        if (hi > lo) vnni_slice(q, dx, sx, T, w, bias, y, lo, hi, (int32_t *)scratch, scratch + VB * 16 * VR);
    });
    return CK_OK;
}
