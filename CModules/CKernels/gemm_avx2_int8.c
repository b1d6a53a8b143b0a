/*
 * AVX2 8-bit GEMM tiles for MXFP4, Q8_0 and the GGUF block types Q4_0 … Q6_K: the prefill path of CPUs without
 * AVX512-VNNI (GEMV level CK_LEVEL_AVX2_INT8, past the GEMV limits of gemm.c), where decoding float tiles for
 * OpenBLAS's sgemm ran at the FP32 FMA rate. Same arithmetic as gemm_vnni.c's 8-bit tiles, so the same results up to
 * the float summation order: x rounded per 32-block to int8 (ck_x8_blocks, ggml's Q8_0 activations), the weights'
 * unsigned levels u (qb_block_levels; MXFP4 u = 2·value + 12), exact int32 block sums scaled once per block in float,
 * and the offsets c_w·(d_x·Σq) per block (Q4_1, Q5_1, Q4_K, Q5_K), per 16-element half (Q6_K) or −z·Σq in the integers
 * (MXFP4, Q4_0, Q5_0). Products per instruction (one row's 32-block):
 *   vpmaddubsw  u × x pairs into int16 (u ≤ 63, |x| ≤ 127: a pair is ≤ 16002, so two steps' pairs add in int16 to
 *               ≤ 32004 without saturating), then vpmaddwd by ones into int32: 2 + 1 + 1 + 1 instructions per two
 *               steps of 4 products × 8 rows;
 *   vpdpbusd    with AVX-VNNI (Intel client cores since Alder Lake, Zen 5; ck_avx_vnni_enabled): one per step.
 * Q8_0 (w ∈ [−128, 127], s_w = d) is packed for vpdpbusd as levels u = w + 128 ∈ [0, 255] (the sign bit flipped),
 * with −128·Σq as each block's starting sum (OFF_ZINIT, as the VNNI Q8_0 GEMV); on vpmaddubsw those levels would
 * saturate the int16 pairs (2·255·127), so that tile's panels keep the signed bytes w and it multiplies |w| by
 * sign(x, w) (OFF_SIGNED, qb_q8_dot_avx2: a pair ≤ 2·128·127, a vpsignb and a vpmaddwd per step and token, no
 * two-step pairing: ~1.6× the 4-bit tile's instructions; 1.0–1.4× the float tiles + sgemm at T = 512, llama-1b Q8_0
 * pp512 1.13–1.16×).
 * Lanes are output rows: a panel of AR = 32 rows over a 256-wide K slice is packed as P[block][quad][32 rows] dwords
 * (8 KB, stays in L1); a tile covers 8 rows (vpmaddubsw: 4 int32 and 4 float accumulators, 16 ymm in all) or 16 rows
 * (vpdpbusd) × up to 4 tokens, and the tiles of a panel run one after the other on the same 4 tokens' x (1 KB).
 */
#include "ck_qblock.h"

enum {
    AR = 32,       /* rows per panel */
    AG = AR / 8,   /* 8-row groups (ymm) per panel */
    AT = 4,        /* tokens per tile */
    AKC = 256,     /* K per packed slice */
    AB = AKC / 32, /* blocks per slice */
    AF = 4,        /* factors per row and block: s_w of halves 0 and 1, c_w of halves 0 and 1 */
};

/* Offsets a tile adds (see gemm_vnni.c): c_w·(d_x·Σq) per block, per half, or −z·Σq as the int32 sums' start; or
 * none, Q8_0's signed products on vpmaddubsw (see the top). */
enum { OFF_BLOCK, OFF_HALF, OFF_ZINIT, OFF_SIGNED };
enum { A_K8, A_K8_Z, A_K8_SPLIT, A_Q8, A_KINDS };

typedef void (*a_tile_fn)(int64_t, ck_tile_x, const uint32_t *, const float *, float *, int64_t, int, int,
                          const float *);

int ck_gemm_avx2_int8_takes(int32_t dtype) {
    return (ck_is_qblock(dtype) || dtype == CK_MXFP4 || dtype == CK_Q8_0) && ck_int8_gemm_enabled();
}

/* The store of one 8-output vector of a tile: the first nv lanes of p get v (+ p's old value unless `first`, + bias
 * unless NULL). */
__attribute__((target("avx2,fma"), always_inline)) static inline void a_store8(float *p, __m256 v, int nv, int first,
                                                                              const float *bias) {
    if (nv >= 8) {
        if (!first) v = _mm256_add_ps(v, _mm256_loadu_ps(p));
        if (bias) v = _mm256_add_ps(v, _mm256_loadu_ps(bias));
        _mm256_storeu_ps(p, v);
        return;
    }
    float lanes[8];
    _mm256_storeu_ps(lanes, v);
    for (int i = 0; i < nv; i++) p[i] = (first ? 0.f : p[i]) + lanes[i] + (bias ? bias[i] : 0.f);
}

#define TILE_DPBUSD 0
#define TILE_G 1
#define TILE_TARGET "avx2,fma,f16c"
#define TILE_FN(NAME) maddubs_##NAME
#include "gemm_avx2_tile.h"
#undef TILE_DPBUSD
#undef TILE_G
#undef TILE_TARGET
#undef TILE_FN
#define TILE_DPBUSD 1
#define TILE_G 2
#define TILE_TARGET "avx2,fma,f16c,avxvnni"
#define TILE_FN(NAME) avxvnni_##NAME
#include "gemm_avx2_tile.h"
#undef TILE_DPBUSD
#undef TILE_G
#undef TILE_TARGET
#undef TILE_FN

/* ------------------------------------------------------------------ weights */

/* r[i] ← dword i of every row: an 8 × 8 transpose of 32-bit lanes. */
__attribute__((target("avx2"), always_inline)) static inline void a_transpose8(__m256 r[8]) {
    __m256 t[8], u[8];
    for (int i = 0; i < 4; i++) {
        t[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    for (int h = 0; h < 2; h++) { /* rows 4h … 4h + 3 */
        const __m256 *a = t + 4 * h;
        u[4 * h] = _mm256_shuffle_ps(a[0], a[2], 0x44);
        u[4 * h + 1] = _mm256_shuffle_ps(a[0], a[2], 0xEE);
        u[4 * h + 2] = _mm256_shuffle_ps(a[1], a[3], 0x44);
        u[4 * h + 3] = _mm256_shuffle_ps(a[1], a[3], 0xEE);
    }
    for (int i = 0; i < 4; i++) {
        r[i] = _mm256_permute2f128_ps(u[i], u[4 + i], 0x20);
        r[4 + i] = _mm256_permute2f128_ps(u[i], u[4 + i], 0x31);
    }
}

/* MXFP4 block b of a row: its 32 levels u = 2·value + 12 (element order) and s_w = 2^(e−127)/2 in f[0], f[1]. */
__attribute__((target("avx2,fma"), always_inline)) static inline __m256i a_mxfp4_levels(const ck_weight *w, int64_t r,
                                                                                       int64_t b, float f[4]) {
    const uint8_t e = ck_row_scales(w, r)[b];
    const uint32_t bits = e ? (uint32_t)e << 23 : 0x00400000u; /* 2^(e−127); e = 0 is 2^−127 */
    float s;
    memcpy(&s, &bits, 4);
    f[0] = f[1] = s * 0.5f;
    const __m128i lut = _mm_setr_epi8(MX_LUT_U), m4 = _mm_set1_epi8(0x0F);
    const __m128i v = _mm_loadu_si128((const __m128i *)(ck_row_ptr(w, r) + 16 * b));
    const __m128i lo = _mm_and_si128(v, m4), hi = _mm_and_si128(_mm_srli_epi16(v, 4), m4);
    return _mm256_set_m128i(_mm_shuffle_epi8(lut, _mm_unpackhi_epi8(lo, hi)),
                            _mm_shuffle_epi8(lut, _mm_unpacklo_epi8(lo, hi)));
}

/* Q8_0 block b of a row and s_w = d in f[0], f[1]: its 32 levels u = w + 128 (z = 128 in f[3]) for the vpdpbusd
 * tile, or unless `levels` its signed bytes w for the vpmaddubsw one (OFF_SIGNED). */
__attribute__((target("avx2,fma,f16c"), always_inline)) static inline __m256i a_q8_block(const ck_weight *w, int64_t r,
                                                                                         int64_t b, int levels,
                                                                                         float f[4]) {
    const uint8_t *blk = ck_row_ptr(w, r) + 34 * b;
    f[0] = f[1] = _cvtsh_ss(ck_load_u16(blk));
    f[3] = levels ? (float)Q8_LEVEL_Z : 0.f;
    const __m256i v = _mm256_loadu_si256((const __m256i *)(blk + 2));
    return levels ? qb_q8_flip(v) : v;
}

/* Panel of rows [n0, n0 + nr) × blocks [b0, b0 + nbk): P[b][quad][AR] dwords of levels (Q8_0 on vpmaddubsw, `vnni`
 * 0: its signed bytes), F[b][AF][AR] with c_w = m − z·s_w (zeros past nr). */
__attribute__((target(QB_AVX2_TARGET))) static void a_pack_panel(const ck_weight *w, int64_t n0, int64_t nr, int64_t b0,
                                                                int64_t nbk, int vnni, uint32_t *P, float *F) {
    for (int g = 0; g < AG; g++) {
        for (int64_t b = 0; b < nbk; b++) {
            __m256 r[8];
            for (int i = 0; i < 8; i++) {
                const int64_t j = 8 * g + i;
                float f[4] = {0.f, 0.f, 0.f, 0.f};
                __m256i u = _mm256_setzero_si256();
                if (j < nr)
                    u = w->dtype == CK_MXFP4 ? a_mxfp4_levels(w, n0 + j, b0 + b, f)
                        : w->dtype == CK_Q8_0 ? a_q8_block(w, n0 + j, b0 + b, vnni, f)
                                              : qb_block_levels(w->dtype, ck_row_ptr(w, n0 + j), b0 + b, f);
                r[i] = _mm256_castsi256_ps(u);
                float *Fb = F + AF * b * AR + j;
                Fb[0] = f[0];
                Fb[AR] = f[1];
                Fb[2 * AR] = f[2] - f[3] * f[0];
                Fb[3 * AR] = f[2] - f[3] * f[1];
            }
            a_transpose8(r); /* r[p]: dword p of the 8 rows */
            for (int p = 0; p < 8; p++) _mm256_store_ps((float *)(P + (b * 8 + p) * AR + 8 * g), r[p]);
        }
    }
}

/* ------------------------------------------------------------------ driver */

static void avx2_slice(ck_tile_x xs, int64_t T, const ck_weight *w, int int8, const float *bias, float *y,
                       int64_t n_lo, int64_t n_hi, uint32_t *P, float *F) {
    (void)int8; /* always 8-bit */
    const int64_t N = w->rows, nb = w->cols / 32;
    const int kind = w->dtype == CK_Q8_0   ? A_Q8
                     : w->dtype == CK_Q6_K ? A_K8_SPLIT
                     : ck_gemm_zinit_level(w->dtype) ? A_K8_Z
                                                     : A_K8;
    const int vnni = ck_avx_vnni_enabled(), rows = vnni ? 16 : 8; /* rows per tile (its TILE_G groups) */
    const a_tile_fn *tiles = vnni ? avxvnni_tiles[kind] : maddubs_tiles[kind];
    for (int64_t n0 = n_lo; n0 < n_hi; n0 += AR) {
        const int64_t nr = n_hi - n0 < AR ? n_hi - n0 : AR;
        for (int64_t b0 = 0; b0 < nb; b0 += AB) {
            const int64_t nbk = nb - b0 < AB ? nb - b0 : AB;
            a_pack_panel(w, n0, nr, b0, nbk, vnni, P, F);
            ck_gemm_prefetch_next_pack(w, n0, nr, n_hi, AR, b0, AB);
            const int first = b0 == 0, last = b0 + nbk >= nb;
            for (int64_t m0 = 0; m0 < T; m0 += AT) {
                const int64_t mt = T - m0 < AT ? T - m0 : AT;
                const ck_tile_x x = ck_tile_x_at(xs, m0, b0, 1);
                for (int r0 = 0; r0 < nr; r0 += rows) {
                    const int nv = nr - r0 < rows ? (int)(nr - r0) : rows;
                    tiles[mt - 1](nbk, x, P + r0, F + r0, y + m0 * N + n0 + r0, N, nv, first,
                                  last && bias ? bias + n0 + r0 : NULL);
                }
            }
        }
    }
}

int ck_gemm_avx2_int8(ck_context *ctx, const float *x, int64_t T, const ck_weight *w, const float *bias, float *y,
                      int team) {
    return ck_gemm_int_tiles(ctx, x, T, w, bias, y, team, 1, avx2_slice);
}
