/*
 * VNNI GEMM tiles for the integer-decodable weight dtypes (MXFP4, Q8_0, and GGUF's block types Q4_0 … Q5_1, Q4_K,
 * Q5_K, Q6_K): y[T, N] = x[T, K]·W[N, K]ᵀ + bias with the weights as integer levels and x rounded per 32-block to
 * integers, multiplied exactly in int32 lanes and scaled once per block in float:
 *     y[t][n] += float(Σ_{k ∈ b} w[n][k]·q[t][k]) · (s_w[n][b] · d_x[t][b]) + c_w[n][b] · (d_x[t][b]·Σ_{k ∈ b} q[t][k])
 * Two activation roundings:
 *   16-bit  the integer GEMVs' fixed point (ck_x16_blocks: |q| ≤ 32639; NMSE ~4e-10 per linear), int16 weights
 *           w = u − z, vpdpwssd (int16 pairs; a block's sum is below 32·128·32639 < 2³¹). Q8_0 always, MXFP4 and the
 *           block types when ck_set_int8_gemm(0).
 *   8-bit   int8 (d_x = max|x_b| / 127, ggml's Q8_0 activations; NMSE ~1.5e-5 per linear), the unsigned levels u as
 *           bytes, vpdpbusd (u8 × s8 quads: 64 multiply-adds per instruction where vpdpwssd does 32, at the same
 *           instruction rate on Zen 4; a block's sum is ≤ 32·63·127). MXFP4 (u = 2·value + 12 ∈ [0, 24]) and the
 *           block types by default.
 * per dtype (u the stored level, z its offset, see ck_qblock.h; the offset moves into c_w on the 8-bit path):
 *     MXFP4  w = 2·value ∈ [−12, 12], s_w = 2^(e−127)/2          Q8_0  w ∈ [−128, 127], s_w = d
 *     Q4_0   s_w = d, z = 8       Q5_0  s_w = d, z = 16          Q4_1 / Q5_1  s_w = d, c_w = m
 *     Q4_K / Q5_K  s_w = d·sc_j, c_w = −dmin·m_j (sub-block j = b mod 8 of the super-block)
 *     Q6_K   z = 32; s_w = d·scales[2j + h] for the block's 16-element half h (its sub-blocks are 16 wide: the int32
 *            sums are scaled and restarted at the half, the 8-bit offsets use the halves' sums)
 *     8-bit: c_w = m − z·s_w (per half for Q6_K); MXFP4 (z = 12), Q4_0 and Q5_0 have no m, and their −z·Σq
 *            starts each block's int32 sums instead (OFF_ZINIT)
 * (the offsets use the block's rounded x, as the GEMVs do). Only the float summation order differs from the GEMVs.
 *
 * Lanes are output rows: a panel of VR = 48 rows over a 256-wide K slice is packed as W[block][step][48 rows] dwords
 * (16-bit: the int16 pair of k = 2p, 2p + 1, 24 KB; 8-bit: the 4 levels of k = 4p … 4p + 3, 12 KB), so it stays in L1
 * while every group of VT = 4 tokens streams past it; per step a tile loads 3 weight vectors and broadcasts 4 dwords
 * of x for 12 multiply-add instructions. The levels are decoded once per panel and slice, not per token; the next
 * panel's weight rows are prefetched while the tiles run (48 row streams are too many for the hardware prefetcher).
 */
#include "ck_qblock.h"

#define TVNNI __attribute__((target(CK_AVX512_TARGET ",avx512vnni")))

enum {
    VR = 48,       /* rows per panel (3 zmm of lanes) */
    VG = VR / 16,  /* zmm per panel row group */
    VT = 4,        /* tokens per tile */
    VKC = 256,     /* K per packed slice */
    VB = VKC / 32, /* blocks per slice */
    VF = 4,        /* factors per row and block: s_w of halves 0 and 1, c_w of halves 0 and 1 */
};

/* Which offsets a tile adds: none, c_w·(d_x·Σq) per block, or per 16-element half (Q6_K on 8 bits); or, for the 8-bit
 * types whose only offset is a constant level z (MXFP4, Q4_0, Q5_0), −z·Σq in the integers: each block's int32 sums
 * start from it, so w = u − z costs no float work. */
enum { OFF_NONE, OFF_BLOCK, OFF_HALF, OFF_ZINIT };

static atomic_int int8_gemm_off = 0;
void ck_set_int8_gemm(int on) { atomic_store(&int8_gemm_off, on ? 0 : 1); }
int ck_int8_gemm_enabled(void) { return !atomic_load_explicit(&int8_gemm_off, memory_order_relaxed); }

int ck_gemm_vnni_takes(int32_t dtype) { return dtype == CK_MXFP4 || dtype == CK_Q8_0 || ck_is_qblock(dtype); }
int ck_gemm_vnni8_takes(int32_t dtype) {
    return (ck_is_qblock(dtype) || dtype == CK_MXFP4) && ck_int8_gemm_enabled();
}

/* ------------------------------------------------------------------ activations */

/* x[K] → q[K] int8 per 32-block, d[K/32] (NaN when the block holds NaN or ±inf), s[K/32] = d·Σq, unless sh is NULL
 * sh[K/16] = d·Σq over each 16-element half, and unless sq is NULL sq[K/32] = Σq. Also the 8-bit GEMV activations of
 * Q8_0 and the 32-weight types (quant.c, quant_legacy.c). */
__attribute__((target("avx2,fma"))) void ck_x8_blocks(const float *x, int64_t K, int8_t *q, float *d, float *s,
                                                      float *sh, int32_t *sq) {
    for (int64_t b = 0; b < K / 32; b++) {
        __m256 v[4];
        float pre;
        int bad;
        const float amax = ck_x32_absmax(x + 32 * b, v, &pre, &bad), inv = amax > 0.f ? 127.f / amax : 0.f;
        __m256i qi[4];
        for (int k = 0; k < 4; k++) {
            const __m256 t = _mm256_mul_ps(_mm256_mul_ps(v[k], _mm256_set1_ps(pre)), _mm256_set1_ps(inv));
            qi[k] = _mm256_min_epi32(_mm256_max_epi32(_mm256_cvtps_epi32(t), _mm256_set1_epi32(-127)),
                                     _mm256_set1_epi32(127)); /* nearest even */
        }
        const float db = bad ? NAN : amax / 127.f / pre;
        float half[2];
        int32_t isum = 0;
        for (int h = 0; h < 2; h++) {
            const __m256i sum = _mm256_add_epi32(qi[2 * h], qi[2 * h + 1]);
            __m128i s4 = _mm_add_epi32(_mm256_castsi256_si128(sum), _mm256_extracti128_si256(sum, 1));
            s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 0x4E));
            s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 0xB1));
            isum += _mm_cvtsi128_si32(s4);
            half[h] = db * (float)_mm_cvtsi128_si32(s4);
            if (sh) sh[2 * b + h] = half[h];
        }
        s[b] = half[0] + half[1];
        if (sq) sq[b] = isum;
        /* int32 → int8 in element order (packs interleave 128-bit lanes; the permute restores the order) */
        const __m256i w16a = _mm256_packs_epi32(qi[0], qi[1]), w16b = _mm256_packs_epi32(qi[2], qi[3]);
        const __m256i b8 = _mm256_permutevar8x32_epi32(_mm256_packs_epi16(w16a, w16b),
                                                        _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
        _mm256_storeu_si256((__m256i *)(q + 32 * b), b8);
        d[b] = db;
    }
}

/* ------------------------------------------------------------------ weights */

/* Row r's block b for the 16-bit tiles: 32 int16 weights (natural order) and f[VF] (c_w = m only). */
TVNNI __attribute__((always_inline)) static inline __m512i row_block16(const ck_weight *w, int64_t r, int64_t b,
                                                                      float f[VF]) {
    const uint8_t *row = ck_row_ptr(w, r);
    f[1] = f[2] = f[3] = 0.f;
    if (ck_is_qblock(w->dtype)) {
        float g[4];
        const __m256i u = qb_block_levels(w->dtype, row, b, g);
        f[0] = g[0];
        f[1] = g[1];
        f[2] = g[2];
        return _mm512_sub_epi16(_mm512_cvtepu8_epi16(u), _mm512_set1_epi16((short)g[3]));
    }
    if (w->dtype == CK_Q8_0) {
        const uint8_t *blk = row + 34 * b;
        f[0] = f[1] = _cvtsh_ss(ck_load_u16(blk));
        return _mm512_cvtepi8_epi16(_mm256_loadu_si256((const __m256i *)(blk + 2)));
    }
    const uint8_t e = ck_row_scales(w, r)[b]; /* MXFP4 */
    const uint32_t bits = e ? (uint32_t)e << 23 : 0x00400000u; /* 2^(e−127); e = 0 is 2^−127 */
    float s;
    memcpy(&s, &bits, 4);
    f[0] = f[1] = s * 0.5f; /* w = 2·value */
    const __m128i lut2 = _mm_setr_epi8(0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12);
    const __m128i v = _mm_loadu_si128((const __m128i *)(row + 16 * b)), m4 = _mm_set1_epi8(0x0F);
    const __m128i lo = _mm_and_si128(v, m4), hi = _mm_and_si128(_mm_srli_epi16(v, 4), m4);
    const __m128i q0 = _mm_shuffle_epi8(lut2, _mm_unpacklo_epi8(lo, hi));
    const __m128i q1 = _mm_shuffle_epi8(lut2, _mm_unpackhi_epi8(lo, hi));
    return _mm512_cvtepi8_epi16(_mm256_set_m128i(q1, q0));
}

/* Panel of rows [n0, n0 + nr) × blocks [b0, b0 + nbk) for the 16-bit tiles: P[b][pair][VR] dwords, F[b][VF][VR]
 * (zeros past nr). */
TVNNI static void pack_panel16(const ck_weight *w, int64_t n0, int64_t nr, int64_t b0, int64_t nbk, uint32_t *P,
                               float *F) {
    for (int64_t b = 0; b < nbk; b++) {
        for (int g = 0; g < VG; g++) {
            __m512 r[16]; /* the int16 pairs as 32-bit lanes, transposed bit for bit */
            for (int i = 0; i < 16; i++) {
                const int64_t j = 16 * g + i;
                float f[VF] = {0.f, 0.f, 0.f, 0.f};
                r[i] = _mm512_castsi512_ps(j < nr ? row_block16(w, n0 + j, b0 + b, f) : _mm512_setzero_si512());
                for (int k = 0; k < VF; k++) F[(VF * b + k) * VR + j] = f[k];
            }
            ck_transpose16(r);
            for (int p = 0; p < 16; p++) _mm512_store_ps((float *)(P + (b * 16 + p) * VR + 16 * g), r[p]);
        }
    }
}

/* The same for the 8-bit tiles (block types; MXFP4 below): P[b][quad][VR] dwords of unsigned levels (qb_block_levels),
 * F with c_w = m − z·s_w. Two blocks of 16 rows per transpose (a row's 8 + 8 dwords of levels are one zmm). */
TVNNI static void pack_panel8(const ck_weight *w, int64_t n0, int64_t nr, int64_t b0, int64_t nbk, uint32_t *P,
                              float *F) {
    const uint8_t *rows[VR];
    for (int64_t j = 0; j < nr; j++) rows[j] = ck_row_ptr(w, n0 + j);
    for (int g = 0; g < VG; g++) {
        for (int64_t b = 0; b < nbk; b += 2) {
            const int pair = b + 1 < nbk; /* a second block in this step */
            __m512 r[16];
            for (int i = 0; i < 16; i++) {
                const int64_t j = 16 * g + i;
                float f[2][4] = {{0.f, 0.f, 0.f, 0.f}, {0.f, 0.f, 0.f, 0.f}};
                __m256i u0 = _mm256_setzero_si256(), u1 = _mm256_setzero_si256();
                if (j < nr) {
                    u0 = qb_block_levels(w->dtype, rows[j], b0 + b, f[0]);
                    if (pair) u1 = qb_block_levels(w->dtype, rows[j], b0 + b + 1, f[1]);
                }
                r[i] = _mm512_castsi512_ps(_mm512_inserti64x4(_mm512_castsi256_si512(u0), u1, 1));
                for (int h = 0; h <= pair; h++) {
                    float *Fb = F + VF * (b + h) * VR + j;
                    Fb[0] = f[h][0];
                    Fb[VR] = f[h][1];
                    Fb[2 * VR] = f[h][2] - f[h][3] * f[h][0];
                    Fb[3 * VR] = f[h][2] - f[h][3] * f[h][1];
                }
            }
            ck_transpose16(r); /* r[p]: dword p of the 16 rows (p < 8: block b, else b + 1) */
            for (int p = 0; p < 8 * (1 + pair); p++) _mm512_store_ps((float *)(P + (b * 8 + p) * VR + 16 * g), r[p]);
        }
    }
}

/* MXFP4's 8-bit panel, pack_panel8's layout with levels u = 2·value + 12 ∈ [0, 24] (z = 12) and F holding s_w =
 * 2^(e−127)/2 only (its K8_Z tiles read nothing else): two blocks of a row are 32 weight bytes, looked up with 256-bit
 * ops; the 16 rows' E8M0 scales are converted in one vector. */
TVNNI static void pack_panel8_mxfp4(const ck_weight *w, int64_t n0, int64_t nr, int64_t b0, int64_t nbk, uint32_t *P,
                                    float *F) {
    const int64_t nb = w->cols / 32, rb = ck_row_bytes(w->dtype, w->cols);
    const __m256i lut = _mm256_setr_epi8(MX_LUT_U, MX_LUT_U);
    const __m256i m4 = _mm256_set1_epi8(0x0F);
    for (int g = 0; g < VG; g++) {
        const int64_t live = nr - 16 * g < 0 ? 0 : nr - 16 * g > 16 ? 16 : nr - 16 * g; /* rows of this zmm */
        const __mmask16 lm = (__mmask16)((1u << live) - 1);
        for (int64_t b = 0; b < nbk; b += 2) {
            const int pair = b + 1 < nbk;
            __m512 r[16];
            uint32_t e[2][16];
            for (int i = 0; i < 16; i++) {
                __m256i v = _mm256_setzero_si256();
                e[0][i] = e[1][i] = 0;
                if (i < live) {
                    const int64_t row = n0 + 16 * g + i;
                    const uint8_t *wp = (const uint8_t *)w->data + row * rb + 16 * (b0 + b);
                    const uint8_t *sp = w->scales + row * nb + b0 + b;
                    v = pair ? _mm256_loadu_si256((const __m256i *)wp)
                             : _mm256_zextsi128_si256(_mm_loadu_si128((const __m128i *)wp));
                    e[0][i] = sp[0];
                    if (pair) e[1][i] = sp[1];
                }
                const __m256i lo = _mm256_and_si256(v, m4), hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), m4);
                /* per 128-bit lane (block b, then b + 1): elements 0–15 from unpacklo, 16–31 from unpackhi */
                const __m256i a = _mm256_shuffle_epi8(lut, _mm256_unpacklo_epi8(lo, hi));
                const __m256i c = _mm256_shuffle_epi8(lut, _mm256_unpackhi_epi8(lo, hi));
                const __m512i z = _mm512_inserti64x4(_mm512_castsi256_si512(a), c, 1);
                r[i] = _mm512_castsi512_ps(_mm512_shuffle_i64x2(z, z, _MM_SHUFFLE(3, 1, 2, 0)));
            }
            ck_transpose16(r); /* r[p]: dword p of the 16 rows (p < 8: block b, else b + 1) */
            for (int p = 0; p < 8 * (1 + pair); p++) _mm512_store_ps((float *)(P + (b * 8 + p) * VR + 16 * g), r[p]);
            for (int h = 0; h <= pair; h++) { /* s_w = 2^(e−127)/2; e = 0 is 2^−127 */
                const __m512i bits = _mm512_max_epu32(_mm512_slli_epi32(_mm512_loadu_si512(e[h]), 23),
                                                      _mm512_set1_epi32(0x00400000));
                _mm512_store_ps(F + VF * (b + h) * VR + 16 * g,
                                _mm512_maskz_mul_ps(lm, _mm512_castsi512_ps(bits), _mm512_set1_ps(0.5f)));
            }
        }
    }
}

/* ------------------------------------------------------------------ tiles */

/* acc[g][t] += float(s[g][t]) · (S[g] · d_x[t]) for block b. */
#define VNNI_FLUSH(S)                                                                                                  \
    for (int t = 0; t < RT; t++) {                                                                                     \
        const __m512 d = _mm512_set1_ps(x.dx[t * x.lddx + b]);                                                         \
        for (int g = 0; g < VG; g++)                                                                                   \
            acc[g][t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s[g][t]), _mm512_mul_ps(_mm512_load_ps((S) + 16 * g), d),   \
                                        acc[g][t]);                                                                    \
    }

/* y[RT tokens][VR outputs] (+)= over the nbk blocks of the panel. BYTES: 2 (int16 pairs, vpdpwssd) or 1 (int8 quads,
 * vpdpbusd); SPLIT: per-half factors (Q6_K); OFF: which offsets (OFF_*). nm[VG]: the valid outputs of each zmm. */
TVNNI __attribute__((always_inline)) static inline void tile(const int RT, const int BYTES, const int SPLIT,
                                                            const int OFF, int64_t nbk, ck_tile_x x, const uint32_t *P,
                                                            const float *F, float *y, int64_t ldy,
                                                            const __mmask16 nm[VG], int first, const float *bias) {
    const int steps = 8 * BYTES; /* dwords per 32-block */
    __m512 acc[VG][VT];
    for (int g = 0; g < VG; g++)
        for (int t = 0; t < RT; t++) acc[g][t] = _mm512_setzero_ps();
    for (int64_t b = 0; b < nbk; b++) {
        __m512i s[VG][VT];
        for (int t = 0; t < RT; t++) {
            const __m512i s0 = OFF == OFF_ZINIT ? _mm512_set1_epi32(x.zq[t * x.lddx + b]) : _mm512_setzero_si512();
            for (int g = 0; g < VG; g++) s[g][t] = s0;
        }
        const uint32_t *pb = P + b * steps * VR;
        const float *Fb = F + VF * b * VR;
        for (int p = 0; p < steps; p++) {
            if (SPLIT && p == steps / 2) { /* Q6_K: the first 16-element sub-block is complete */
                VNNI_FLUSH(Fb)
                for (int g = 0; g < VG; g++)
                    for (int t = 0; t < RT; t++) s[g][t] = _mm512_setzero_si512();
            }
            const __m512i w0 = _mm512_load_si512(pb + p * VR), w1 = _mm512_load_si512(pb + p * VR + 16);
            const __m512i w2 = _mm512_load_si512(pb + p * VR + 32);
            for (int t = 0; t < RT; t++) {
                int32_t dword;
                memcpy(&dword, x.q + t * x.ldq + 32 * BYTES * b + 4 * p, 4);
                const __m512i xv = _mm512_set1_epi32(dword);
                if (BYTES == 2) {
                    s[0][t] = _mm512_dpwssd_epi32(s[0][t], w0, xv);
                    s[1][t] = _mm512_dpwssd_epi32(s[1][t], w1, xv);
                    s[2][t] = _mm512_dpwssd_epi32(s[2][t], w2, xv);
                } else {
                    s[0][t] = _mm512_dpbusd_epi32(s[0][t], w0, xv);
                    s[1][t] = _mm512_dpbusd_epi32(s[1][t], w1, xv);
                    s[2][t] = _mm512_dpbusd_epi32(s[2][t], w2, xv);
                }
            }
        }
        VNNI_FLUSH(SPLIT ? Fb + VR : Fb)
        if (OFF == OFF_BLOCK)
            for (int t = 0; t < RT; t++) {
                const __m512 sum = _mm512_set1_ps(x.s[t * x.lddx + b]);
                for (int g = 0; g < VG; g++)
                    acc[g][t] = _mm512_fmadd_ps(_mm512_load_ps(Fb + 2 * VR + 16 * g), sum, acc[g][t]);
            }
        if (OFF == OFF_HALF)
            for (int t = 0; t < RT; t++) {
                const __m512 lo = _mm512_set1_ps(x.sh[2 * (t * x.lddx + b)]);
                const __m512 hi = _mm512_set1_ps(x.sh[2 * (t * x.lddx + b) + 1]);
                for (int g = 0; g < VG; g++) {
                    acc[g][t] = _mm512_fmadd_ps(_mm512_load_ps(Fb + 2 * VR + 16 * g), lo, acc[g][t]);
                    acc[g][t] = _mm512_fmadd_ps(_mm512_load_ps(Fb + 3 * VR + 16 * g), hi, acc[g][t]);
                }
            }
    }
    for (int t = 0; t < RT; t++)
        for (int g = 0; g < VG; g++)
            ck_tile_store16(y + t * ldy + 16 * g, acc[g][t], nm[g], first, bias ? bias + 16 * g : NULL);
}

/* The tile kinds: (bytes, split, offsets) of each dtype family on each path. */
enum { K16_PLAIN, K16_MIN, K16_SPLIT, K8, K8_Z, K8_SPLIT, KINDS };

typedef void (*tile_fn)(int64_t, ck_tile_x, const uint32_t *, const float *, float *, int64_t, const __mmask16 *, int,
                        const float *);
#define TILE_VNNI(NAME, R, BYTES, SPLIT, OFF)                                                                          \
    TVNNI static void NAME##_##R(int64_t nbk, ck_tile_x x, const uint32_t *P, const float *F, float *y, int64_t ldy,  \
                                 const __mmask16 nm[VG], int first, const float *bias) {                               \
        tile(R, BYTES, SPLIT, OFF, nbk, x, P, F, y, ldy, nm, first, bias);                                             \
    }
#define TILES_VNNI(NAME, BYTES, SPLIT, OFF)                                                                            \
    TILE_VNNI(NAME, 1, BYTES, SPLIT, OFF)                                                                              \
    TILE_VNNI(NAME, 2, BYTES, SPLIT, OFF)                                                                              \
    TILE_VNNI(NAME, 3, BYTES, SPLIT, OFF)                                                                              \
    TILE_VNNI(NAME, 4, BYTES, SPLIT, OFF)
TILES_VNNI(t16_plain, 2, 0, OFF_NONE)
TILES_VNNI(t16_min, 2, 0, OFF_BLOCK)
TILES_VNNI(t16_split, 2, 1, OFF_NONE)
TILES_VNNI(t8, 1, 0, OFF_BLOCK)
TILES_VNNI(t8_z, 1, 0, OFF_ZINIT)
TILES_VNNI(t8_split, 1, 1, OFF_HALF)
#define TILE_ROW(NAME) {NAME##_1, NAME##_2, NAME##_3, NAME##_4}
static const tile_fn tiles[KINDS][VT] = {
    [K16_PLAIN] = TILE_ROW(t16_plain), [K16_MIN] = TILE_ROW(t16_min), [K16_SPLIT] = TILE_ROW(t16_split),
    [K8] = TILE_ROW(t8),               [K8_Z] = TILE_ROW(t8_z),           [K8_SPLIT] = TILE_ROW(t8_split),
};

int ck_gemm_zinit_level(int32_t dt) {
    if (dt == CK_MXFP4) return MX_LEVEL_Z;  /* u = 2·value + 12, see pack_panel8_mxfp4 */
    if (dt == CK_Q8_0) return Q8_LEVEL_Z;   /* u = w + 128: the AVX-VNNI tiles (gemm_avx2_int8.c); 16 bits here */
    return dt == CK_Q4_0 || dt == CK_Q5_0 ? lg_layout_of(dt).z : 0;
}

static int tile_kind(int32_t dt, int int8) {
    if (int8) return dt == CK_Q6_K ? K8_SPLIT : ck_gemm_zinit_level(dt) ? K8_Z : K8;
    if (dt == CK_Q6_K) return K16_SPLIT;
    return dt == CK_Q4_1 || dt == CK_Q5_1 || dt == CK_Q4_K || dt == CK_Q5_K ? K16_MIN : K16_PLAIN;
}

/* ------------------------------------------------------------------ driver */

/* Prefetch into L2 of what packing rows [n0, n0 + nr) × blocks [b0, b0 + nbk) reads (weight bytes, E8M0 scales). */
static void prefetch_panel(const ck_weight *w, int64_t n0, int64_t nr, int64_t b0, int64_t nbk) {
    const int64_t nb = w->cols / 32, rb = ck_row_bytes(w->dtype, w->cols);
    const int64_t lo = rb * b0 / nb, hi = (rb * (b0 + nbk) + nb - 1) / nb; /* the slice's bytes within a row */
    for (int64_t j = 0; j < nr; j++) { /* every cache line the range touches (rows need not be line-aligned) */
        const uintptr_t row = (uintptr_t)w->data + (uintptr_t)((n0 + j) * rb);
        for (uintptr_t a = (row + lo) & ~(uintptr_t)63; a < row + hi; a += 64)
            _mm_prefetch((const char *)a, _MM_HINT_T1);
        if (w->scales) {
            const uintptr_t sc = (uintptr_t)w->scales + (uintptr_t)((n0 + j) * nb + b0);
            _mm_prefetch((const char *)sc, _MM_HINT_T1);
            if (((sc + nbk - 1) ^ sc) >= 64) _mm_prefetch((const char *)(sc + nbk - 1), _MM_HINT_T1);
        }
    }
}

static void vnni_slice(ck_tile_x xs, int64_t T, const ck_weight *w, int int8, const float *bias, float *y,
                       int64_t n_lo, int64_t n_hi, uint32_t *P, float *F) {
    const int64_t K = w->cols, N = w->rows, nb = K / 32;
    const tile_fn *kind = tiles[tile_kind(w->dtype, int8)];
    for (int64_t n0 = n_lo; n0 < n_hi; n0 += VR) {
        const int64_t nr = n_hi - n0 < VR ? n_hi - n0 : VR;
        __mmask16 nm[VG];
        for (int g = 0; g < VG; g++) {
            const int64_t v = nr - 16 * g;
            nm[g] = v >= 16 ? (__mmask16)0xFFFF : v > 0 ? (__mmask16)((1u << v) - 1) : 0;
        }
        for (int64_t b0 = 0; b0 < nb; b0 += VB) {
            const int64_t nbk = nb - b0 < VB ? nb - b0 : VB;
            if (!int8) pack_panel16(w, n0, nr, b0, nbk, P, F);
            else if (w->dtype == CK_MXFP4) pack_panel8_mxfp4(w, n0, nr, b0, nbk, P, F);
            else pack_panel8(w, n0, nr, b0, nbk, P, F);
            ck_gemm_prefetch_next_pack(w, n0, nr, n_hi, VR, b0, VB);
            const int first = b0 == 0, last = b0 + nbk >= nb;
            for (int64_t m0 = 0; m0 < T; m0 += VT) {
                const int64_t mt = T - m0 < VT ? T - m0 : VT;
                kind[mt - 1](nbk, ck_tile_x_at(xs, m0, b0, int8 ? 1 : 2), P, F, y + m0 * N + n0, N, nm, first,
                             last && bias ? bias + n0 : NULL);
            }
        }
    }
}

void ck_gemm_prefetch_next_pack(const ck_weight *w, int64_t n0, int64_t nr, int64_t n_hi, int64_t rows, int64_t b0,
                                int64_t blocks) {
    const int64_t nb = w->cols / 32;
    if (b0 + blocks < nb) /* this panel's next slice */
        prefetch_panel(w, n0, nr, b0 + blocks, nb - b0 - blocks < blocks ? nb - b0 - blocks : blocks);
    else if (n0 + rows < n_hi) /* the next panel's first */
        prefetch_panel(w, n0 + rows, n_hi - n0 - rows < rows ? n_hi - n0 - rows : rows, 0, nb < blocks ? nb : blocks);
}

int64_t ck_gemm_vnni_scratch_floats(void) { return VB * 16 * VR + VF * VB * VR; }

int ck_gemm_int_tiles(ck_context *ctx, const float *x, int64_t T, const ck_weight *w, const float *bias, float *y,
                      int team, int int8, ck_tile_slice_fn slice) {
    const int64_t K = w->cols, N = w->rows, nb = K / 32;
    const int64_t ldq = int8 ? K : 2 * K; /* bytes per token row of x */
    const int z = int8 ? ck_gemm_zinit_level(w->dtype) : 0;
    /* shared: x[T][ldq bytes], then d_x[T][nb], the block sums [T][nb], the half sums [T][2·nb], −z·Σq [T][nb] */
    float *shared = ck_buffer_reserve(&ctx->shared[CK_SHARED_GEMM_X], T * (ldq / 4 + 5 * nb));
    if (!shared) return CK_ERR_NOMEM;
    float *dx = shared + T * ldq / 4, *s = dx + T * nb, *sh = s + T * nb;
    int32_t *zq = (int32_t *)(sh + 2 * T * nb);
    const ck_tile_x xs = {(const uint8_t *)shared, dx, s, sh, zq, ldq, nb};
    for (int i = 0; i < team; i++)
        if (!ck_buffer_reserve(&ctx->thread_scratch[i], ck_gemm_vnni_scratch_floats())) return CK_ERR_NOMEM;
    CK_PARALLEL(team, nt, id, {
        int64_t lo, hi;
        ck_split(T, nt, id, 1, &lo, &hi);
        for (int64_t t = lo; t < hi; t++) {
            uint8_t *qt = (uint8_t *)shared + t * ldq;
            if (int8) ck_x8_blocks(x + t * K, K, (int8_t *)qt, dx + t * nb, s + t * nb, sh + 2 * t * nb,
                                   z ? zq + t * nb : NULL);
            else ck_x16_blocks(x + t * K, K, (int16_t *)qt, dx + t * nb, s + t * nb);
            for (int64_t b = 0; z && b < nb; b++) zq[t * nb + b] *= -z; /* Σq → −z·Σq */
        }
        CK_BARRIER(nt);
        ck_split(N, nt, id, 16, &lo, &hi);
        float *scratch = ctx->thread_scratch[id].ptr;
        if (hi > lo) slice(xs, T, w, int8, bias, y, lo, hi, (uint32_t *)scratch, scratch + VB * 16 * VR);
    });
    return CK_OK;
}

int ck_gemm_vnni(ck_context *ctx, const float *x, int64_t T, const ck_weight *w, const float *bias, float *y,
                 int team, int exact) {
    /* exact: the MoE router keeps 16 bits */
    return ck_gemm_int_tiles(ctx, x, T, w, bias, y, team, !exact && ck_gemm_vnni8_takes(w->dtype), vnni_slice);
}
