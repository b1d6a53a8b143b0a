/*
 * VNNI GEMM tiles for the integer-decodable weight dtypes (MXFP4, Q8_0): y[T, N] = x[T, K]·W[N, K]ᵀ + bias with the
 * weights as int16 and x in the integer GEMVs' 16-bit fixed point (ck_x16_blocks: q = round(x / d_b) per 32-block),
 * multiplied with vpdpwssd (int16 × int16 pairs summed into int32 lanes, exact) and scaled once per block in float:
 *     y[t][n] += float(Σ_{k ∈ b} w[n][k]·q[t][k]) · (s_w[n][b] · d_x[t][b])
 * (MXFP4: w = 2·value ∈ [−12, 12], s_w = 2^(e−127)/2; Q8_0: w ∈ [−128, 127], s_w = the block's f16 d). A block's sum
 * is below 32·128·32639 < 2³¹, so the int32 lanes never overflow. The numerics are those of the integer GEMVs
 * (rounding of x ≤ 2⁻¹⁶ of each block's maximum: NMSE ~4e-10 per linear); only the float summation order differs.
 *
 * Lanes are output rows: a panel of VR = 48 rows over a KC slice is packed as W[block][pair][48 rows] dwords (the
 * int16 pair of k = 2p, 2p + 1), 24 KB for KC = 256, so it stays in L1 while every group of VT = 4 tokens streams
 * past it; per pair a tile loads 3 weight vectors and broadcasts 4 dwords of q for 12 vpdpwssd. vpdpwssd retires
 * 1.7 per cycle on Zen 4 against one 512-bit FMA (200 G int16 MACs/s per core against 58 G float ones measured here),
 * which is what makes this faster than decoding to float for the f32 microkernel (see README).
 */
#include "ck_internal.h"

#define TVNNI __attribute__((target(CK_AVX512_TARGET ",avx512vnni")))

enum {
    VR = 48,        /* rows per panel (3 zmm of lanes) */
    VG = VR / 16,   /* zmm per panel row group */
    VT = 4,         /* tokens per tile */
    VKC = 256,      /* K per packed slice */
    VB = VKC / 32,  /* blocks per slice */
};

/* Row r's block b as 32 int16 weights (natural order) and its float scale. */
TVNNI __attribute__((always_inline)) static inline __m512i row_block(const ck_weight *w, int64_t r, int64_t b,
                                                                    float *scale) {
    const uint8_t *row = ck_row_ptr(w, r);
    if (w->dtype == CK_Q8_0) {
        const uint8_t *blk = row + 34 * b;
        uint16_t h;
        memcpy(&h, blk, 2);
        *scale = _cvtsh_ss(h);
        return _mm512_cvtepi8_epi16(_mm256_loadu_si256((const __m256i *)(blk + 2)));
    }
    const uint8_t e = ck_row_scales(w, r)[b];
    const uint32_t bits = e ? (uint32_t)e << 23 : 0x00400000u; /* 2^(e−127); e = 0 is 2^−127 */
    float s;
    memcpy(&s, &bits, 4);
    *scale = s * 0.5f; /* w = 2·value */
    const __m128i lut2 = _mm_setr_epi8(0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12);
    const __m128i v = _mm_loadu_si128((const __m128i *)(row + 16 * b)), m4 = _mm_set1_epi8(0x0F);
    const __m128i lo = _mm_and_si128(v, m4), hi = _mm_and_si128(_mm_srli_epi16(v, 4), m4);
    const __m128i q0 = _mm_shuffle_epi8(lut2, _mm_unpacklo_epi8(lo, hi));
    const __m128i q1 = _mm_shuffle_epi8(lut2, _mm_unpackhi_epi8(lo, hi));
    return _mm512_cvtepi8_epi16(_mm256_set_m128i(q1, q0));
}

/* Panel of rows [n0, n0 + nr) × blocks [b0, b0 + nbk): P[b][p][VR] dwords, S[b][VR] scales (zeros past nr). */
TVNNI static void pack_panel(const ck_weight *w, int64_t n0, int64_t nr, int64_t b0, int64_t nbk, int32_t *P,
                             float *S) {
    for (int64_t b = 0; b < nbk; b++) {
        for (int g = 0; g < VG; g++) {
            __m512 r[16]; /* the int16 pairs as 32-bit lanes, transposed bit for bit */
            for (int i = 0; i < 16; i++) {
                const int64_t j = 16 * g + i;
                float sc = 0.f;
                r[i] = _mm512_castsi512_ps(j < nr ? row_block(w, n0 + j, b0 + b, &sc) : _mm512_setzero_si512());
                S[b * VR + j] = sc;
            }
            ck_transpose16(r);
            for (int p = 0; p < 16; p++) _mm512_store_ps((float *)(P + (b * 16 + p) * VR + 16 * g), r[p]);
        }
    }
}

/* y[RT tokens][VR outputs] (+)= over the nbk blocks of the panel; q, dx: the tokens' int16 x at the slice's first
 * block and their block factors; nm[VG] the valid outputs of each zmm. */
TVNNI __attribute__((always_inline)) static inline void tile(const int RT, int64_t nbk, const int16_t *q, int64_t ldq,
                                                            const float *dx, int64_t lddx, const int32_t *P,
                                                            const float *S, float *y, int64_t ldy,
                                                            const __mmask16 nm[VG], int first, const float *bias) {
    __m512 acc[VG][VT];
    for (int g = 0; g < VG; g++)
        for (int t = 0; t < RT; t++) acc[g][t] = _mm512_setzero_ps();
    for (int64_t b = 0; b < nbk; b++) {
        __m512i s[VG][VT];
        for (int g = 0; g < VG; g++)
            for (int t = 0; t < RT; t++) s[g][t] = _mm512_setzero_si512();
        const int32_t *pb = P + b * 16 * VR;
        for (int p = 0; p < 16; p++) {
            const __m512i w0 = _mm512_load_si512(pb + p * VR), w1 = _mm512_load_si512(pb + p * VR + 16);
            const __m512i w2 = _mm512_load_si512(pb + p * VR + 32);
            for (int t = 0; t < RT; t++) {
                int32_t pair;
                memcpy(&pair, q + t * ldq + 32 * b + 2 * p, 4);
                const __m512i x = _mm512_set1_epi32(pair);
                s[0][t] = _mm512_dpwssd_epi32(s[0][t], w0, x);
                s[1][t] = _mm512_dpwssd_epi32(s[1][t], w1, x);
                s[2][t] = _mm512_dpwssd_epi32(s[2][t], w2, x);
            }
        }
        for (int t = 0; t < RT; t++) {
            const __m512 d = _mm512_set1_ps(dx[t * lddx + b]);
            for (int g = 0; g < VG; g++) {
                const __m512 scale = _mm512_mul_ps(_mm512_load_ps(S + b * VR + 16 * g), d);
                acc[g][t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s[g][t]), scale, acc[g][t]);
            }
        }
    }
    for (int t = 0; t < RT; t++)
        for (int g = 0; g < VG; g++)
            ck_tile_store16(y + t * ldy + 16 * g, acc[g][t], nm[g], first, bias ? bias + 16 * g : NULL);
}

#define TILE_VNNI(R)                                                                                                   \
    TVNNI static void tile_##R(int64_t nbk, const int16_t *q, int64_t ldq, const float *dx, int64_t lddx,             \
                               const int32_t *P, const float *S, float *y, int64_t ldy, const __mmask16 nm[VG],        \
                               int first, const float *bias) {                                                         \
        tile(R, nbk, q, ldq, dx, lddx, P, S, y, ldy, nm, first, bias);                                                 \
    }
TILE_VNNI(1)
TILE_VNNI(2)
TILE_VNNI(3)
TILE_VNNI(4)
typedef void (*tile_fn)(int64_t, const int16_t *, int64_t, const float *, int64_t, const int32_t *, const float *,
                        float *, int64_t, const __mmask16 *, int, const float *);
static const tile_fn tiles[VT] = {tile_1, tile_2, tile_3, tile_4};

static void vnni_slice(const int16_t *q, const float *dx, int64_t T, const ck_weight *w, const float *bias, float *y,
                       int64_t n_lo, int64_t n_hi, int32_t *P, float *S) {
    const int64_t K = w->cols, N = w->rows, nb = K / 32;
    for (int64_t n0 = n_lo; n0 < n_hi; n0 += VR) {
        const int64_t nr = n_hi - n0 < VR ? n_hi - n0 : VR;
        __mmask16 nm[VG];
        for (int g = 0; g < VG; g++) {
            const int64_t v = nr - 16 * g;
            nm[g] = v >= 16 ? (__mmask16)0xFFFF : v > 0 ? (__mmask16)((1u << v) - 1) : 0;
        }
        for (int64_t b0 = 0; b0 < nb; b0 += VB) {
            const int64_t nbk = nb - b0 < VB ? nb - b0 : VB;
            pack_panel(w, n0, nr, b0, nbk, P, S);
            const int first = b0 == 0, last = b0 + nbk >= nb;
            for (int64_t m0 = 0; m0 < T; m0 += VT) {
                const int64_t mt = T - m0 < VT ? T - m0 : VT;
                tiles[mt - 1](nbk, q + m0 * K + 32 * b0, K, dx + m0 * nb + b0, nb, P, S, y + m0 * N + n0, N, nm,
                              first, last && bias ? bias + n0 : NULL);
            }
        }
    }
}

int64_t ck_gemm_vnni_scratch_floats(void) { return VB * 16 * VR + VB * VR; }

int ck_gemm_vnni(ck_context *ctx, const float *x, int64_t T, const ck_weight *w, const float *bias, float *y,
                 int team) {
    const int64_t K = w->cols, N = w->rows, nb = K / 32;
    /* shared: q[T][K] int16 (K / 2 floats per row), then dx[T][nb] */
    float *shared = ck_buffer_reserve(&ctx->shared[CK_SHARED_GEMM_X], T * (K / 2 + nb));
    if (!shared) return CK_ERR_NOMEM;
    int16_t *q = (int16_t *)shared;
    float *dx = shared + T * K / 2;
    for (int i = 0; i < team; i++)
        if (!ck_buffer_reserve(&ctx->thread_scratch[i], ck_gemm_vnni_scratch_floats())) return CK_ERR_NOMEM;
    CK_PARALLEL(team, nt, id, {
        int64_t lo, hi;
        ck_split(T, nt, id, 1, &lo, &hi);
        for (int64_t t = lo; t < hi; t++) ck_x16_blocks(x + t * K, K, q + t * K, dx + t * nb);
        CK_BARRIER(nt);
        ck_split(N, nt, id, 16, &lo, &hi);
        float *scratch = ctx->thread_scratch[id].ptr;
        if (hi > lo) vnni_slice(q, dx, T, w, bias, y, lo, hi, (int32_t *)scratch, scratch + VB * 16 * VR);
    });
    return CK_OK;
}
