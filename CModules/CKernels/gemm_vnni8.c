/*
 * VNNI GEMM with 8-bit activations for GGUF's block types Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K (the prefill of
 * the files people download): y[T, N] = x[T, K]·W[N, K]ᵀ + bias, x rounded per 32-block to int8 (q = round(x / d_x),
 * d_x = max|x_b| / 127, as ggml's Q8_0 activations), the weights as their unsigned levels u ∈ [0, 63], multiplied
 * with vpdpbusd (u8 × s8 quads summed into int32 lanes, exact: a block's sum is ≤ 32·63·127 < 2²⁰) and scaled once
 * per block in float:
 *     y[t][n] += float(Σ_{k ∈ b} u[n][k]·q[t][k]) · (s_w·d_x) + c_w · (d_x·Σ_{k ∈ b} q[t][k])
 * with s_w and the offset factor c_w = m_w − z·s_w of each type (z the level offset, m_w the min):
 *     Q4_0 / Q5_0   s_w = d, c_w = −8·d / −16·d          Q4_1 / Q5_1   s_w = d, c_w = m
 *     Q4_K / Q5_K   s_w = d·sc_j, c_w = −dmin·m_j (sub-block j = b mod 8)
 *     Q6_K          per 16-element half h of the block: s_w = d·scales[2j + h], c_w = −32·s_w (its sub-blocks are
 *                   16 wide: the int32 sums are scaled and restarted at the half, the offsets use the halves' sums)
 * Against gemm_vnni.c's 16-bit activations this trades precision for speed: vpdpbusd does 64 multiply-adds per
 * instruction where vpdpwssd does 32, at the same rate here (llama_up T = 512, one thread: 1.5–1.7× the int16 tiles).
 * The rounding error of x is ≤ 1/254 of each block's maximum (NMSE ≈ 2e-5 per linear on uniform inputs; conformance
 * threshold `linearInt8`). ck_set_int8_gemm(0) sends these types back to the 16-bit tiles (the precise path).
 *
 * Tiles as gemm_vnni.c's: lanes are output rows, a panel of VR = 48 rows over a 256-wide K slice is packed as
 * W[block][quad][48 rows] dwords (the 4 levels of k = 4p … 4p+3; 12 KB), every group of VT = 4 tokens streams past
 * it; per quad a tile loads 3 weight vectors and broadcasts 4 dwords of x for 12 vpdpbusd.
 */
#include "ck_qblock.h"

#define TVNNI8 __attribute__((target(CK_AVX512_TARGET ",avx512vnni")))

enum {
    VR = 48,       /* rows per panel (3 zmm of lanes) */
    VG = VR / 16,  /* zmm per panel row group */
    VT = 4,        /* tokens per tile */
    VKC = 256,     /* K per packed slice */
    VB = VKC / 32, /* blocks per slice */
    VF = 4,        /* factors per row and block: s_w of halves 0 and 1, c_w of halves 0 and 1 */
};

static atomic_int int8_gemm_off = 0;
void ck_set_int8_gemm(int on) { atomic_store(&int8_gemm_off, on ? 0 : 1); }
int ck_int8_gemm_enabled(void) { return !atomic_load_explicit(&int8_gemm_off, memory_order_relaxed); }

int ck_gemm_vnni8_takes(int32_t dtype) { return ck_is_qblock(dtype) && ck_int8_gemm_enabled(); }

/* ------------------------------------------------------------------ activations */

/* x[K] → q[K] int8 per 32-block, d[K/32] (NaN when the block holds NaN or ±inf, so the output is NaN like the
 * reference), sh[K/16] = d·Σq over each 16-element half. */
__attribute__((target("avx2,fma"))) static void x8_blocks(const float *x, int64_t K, int8_t *q, float *d, float *sh) {
    const __m256 absmask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7FFFFFFF));
    for (int64_t b = 0; b < K / 32; b++) {
        const float *xb = x + 32 * b;
        __m256 v[4], m = _mm256_setzero_ps(), bad = _mm256_setzero_ps();
        for (int k = 0; k < 4; k++) {
            v[k] = _mm256_loadu_ps(xb + 8 * k);
            const __m256 a = _mm256_and_ps(v[k], absmask);
            bad = _mm256_or_ps(bad, _mm256_cmp_ps(a, _mm256_set1_ps(INFINITY), _CMP_NLT_UQ)); /* NaN or inf */
            m = _mm256_max_ps(m, a);
        }
        __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
        m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
        m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
        /* blocks below 2⁻⁶⁰ are scaled up first, so 127 / max stays finite (the factor is undone in d) */
        const float pre = _mm_cvtss_f32(m4) < 0x1p-60f ? 0x1p64f : 1.f, amax = _mm_cvtss_f32(m4) * pre;
        const float inv = amax > 0.f ? 127.f / amax : 0.f;
        __m256i qi[4];
        for (int k = 0; k < 4; k++) {
            const __m256 t = _mm256_mul_ps(_mm256_mul_ps(v[k], _mm256_set1_ps(pre)), _mm256_set1_ps(inv));
            qi[k] = _mm256_min_epi32(_mm256_max_epi32(_mm256_cvtps_epi32(t), _mm256_set1_epi32(-127)),
                                     _mm256_set1_epi32(127)); /* nearest even */
        }
        const float db = _mm256_movemask_ps(bad) ? NAN : amax / 127.f / pre;
        for (int h = 0; h < 2; h++) {
            const __m256i s = _mm256_add_epi32(qi[2 * h], qi[2 * h + 1]);
            __m128i s4 = _mm_add_epi32(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
            s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 0x4E));
            s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 0xB1));
            sh[2 * b + h] = db * (float)_mm_cvtsi128_si32(s4);
        }
        /* int32 → int8 in element order (packs interleave 128-bit lanes; the permute restores the order) */
        const __m256i w16a = _mm256_packs_epi32(qi[0], qi[1]), w16b = _mm256_packs_epi32(qi[2], qi[3]);
        const __m256i b8 = _mm256_permutevar8x32_epi32(_mm256_packs_epi16(w16a, w16b),
                                                        _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
        _mm256_storeu_si256((__m256i *)(q + 32 * b), b8);
        d[b] = db;
    }
}

/* ------------------------------------------------------------------ weights */

/* Row r's block b as 32 unsigned levels (natural order) and its factors f[VF] (the header's table). */
TVNNI8 __attribute__((always_inline)) static inline __m256i row_levels(const ck_weight *w, int64_t r, int64_t b,
                                                                      float f[VF]) {
    const uint8_t *row = ck_row_ptr(w, r);
    switch (w->dtype) {
    case CK_Q4_K:
    case CK_Q5_K: {
        const uint8_t *sb = row + kq_bytes(w->dtype) * (b / 8);
        const int c = (int)(b % 8);
        uint8_t sc[8], m[8];
        kq_scale_mins(sb + 4, sc, m);
        f[0] = f[1] = _cvtsh_ss(ck_load_u16(sb)) * (float)sc[c];
        f[2] = f[3] = -(_cvtsh_ss(ck_load_u16(sb + 2)) * (float)m[c]);
        const __m256i qh = w->dtype == CK_Q5_K ? _mm256_loadu_si256((const __m256i *)(sb + 16)) : _mm256_setzero_si256();
        return kq_levels_avx2(w->dtype, sb, c, qh);
    }
    case CK_Q6_K: {
        const uint8_t *sb = row + kq_bytes(CK_Q6_K) * (b / 8);
        const int c = (int)(b % 8);
        const float d = _cvtsh_ss(ck_load_u16(sb + 208));
        f[0] = d * (float)(int8_t)sb[192 + 2 * c];
        f[1] = d * (float)(int8_t)sb[193 + 2 * c];
        f[2] = -32.f * f[0];
        f[3] = -32.f * f[1];
        return kq_levels_avx2(CK_Q6_K, sb, c, _mm256_loadu_si256((const __m256i *)(sb + 128 + 32 * (c / 4))));
    }
    default: { /* Q4_0, Q4_1, Q5_0, Q5_1 */
        const lg_layout L = lg_layout_of(w->dtype);
        const uint8_t *blk = row + L.bytes * b;
        const float d = _cvtsh_ss(ck_load_u16(blk));
        f[0] = f[1] = d;
        f[2] = f[3] = L.m >= 0 ? _cvtsh_ss(ck_load_u16(blk + L.m)) : -(float)L.z * d;
        return lg_levels_avx2(L, blk);
    }
    }
}

/* Panel of rows [n0, n0 + nr) × blocks [b0, b0 + nbk): P[b][quad][VR] dwords, F[b][VF][VR] (zeros past nr). */
TVNNI8 static void pack_panel8(const ck_weight *w, int64_t n0, int64_t nr, int64_t b0, int64_t nbk, uint32_t *P,
                               float *F) {
    for (int64_t b = 0; b < nbk; b++) {
        for (int64_t j = 0; j < VR; j++) {
            float f[VF] = {0.f, 0.f, 0.f, 0.f};
            uint32_t quads[8] = {0, 0, 0, 0, 0, 0, 0, 0};
            if (j < nr) _mm256_storeu_si256((__m256i *)quads, row_levels(w, n0 + j, b0 + b, f));
            for (int p = 0; p < 8; p++) P[(b * 8 + p) * VR + j] = quads[p];
            for (int k = 0; k < VF; k++) F[(VF * b + k) * VR + j] = f[k];
        }
    }
}

/* ------------------------------------------------------------------ tiles */

/* The tokens' side of a tile: int8 x from the slice's first block (row stride ldq bytes), block factors d_x and
 * half-block sums d_x·Σq (row strides lddx and 2·lddx). */
typedef struct {
    const int8_t *q;
    const float *dx, *sh;
    int64_t ldq, lddx;
} vnni8_x;

/* acc[g][t] += float(s[g][t]) · (S[g] · d_x[t]) for block b. */
#define VNNI8_FLUSH(S)                                                                                                 \
    for (int t = 0; t < RT; t++) {                                                                                     \
        const __m512 d = _mm512_set1_ps(x.dx[t * x.lddx + b]);                                                         \
        for (int g = 0; g < VG; g++)                                                                                   \
            acc[g][t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s[g][t]), _mm512_mul_ps(_mm512_load_ps((S) + 16 * g), d),   \
                                        acc[g][t]);                                                                    \
    }

/* y[RT tokens][VR outputs] (+)= over the nbk blocks of the panel; SPLIT: Q6_K (factors per 16-element half). */
TVNNI8 __attribute__((always_inline)) static inline void tile8(const int RT, const int SPLIT, int64_t nbk, vnni8_x x,
                                                              const uint32_t *P, const float *F, float *y, int64_t ldy,
                                                              const __mmask16 nm[VG], int first, const float *bias) {
    __m512 acc[VG][VT];
    for (int g = 0; g < VG; g++)
        for (int t = 0; t < RT; t++) acc[g][t] = _mm512_setzero_ps();
    for (int64_t b = 0; b < nbk; b++) {
        __m512i s[VG][VT];
        for (int g = 0; g < VG; g++)
            for (int t = 0; t < RT; t++) s[g][t] = _mm512_setzero_si512();
        const uint32_t *pb = P + b * 8 * VR;
        const float *Fb = F + VF * b * VR;
        for (int p = 0; p < 8; p++) {
            if (SPLIT && p == 4) { /* the first 16-element sub-block is complete */
                VNNI8_FLUSH(Fb)
                for (int g = 0; g < VG; g++)
                    for (int t = 0; t < RT; t++) s[g][t] = _mm512_setzero_si512();
            }
            const __m512i w0 = _mm512_load_si512(pb + p * VR), w1 = _mm512_load_si512(pb + p * VR + 16);
            const __m512i w2 = _mm512_load_si512(pb + p * VR + 32);
            for (int t = 0; t < RT; t++) {
                int32_t quad;
                memcpy(&quad, x.q + t * x.ldq + 32 * b + 4 * p, 4);
                const __m512i xv = _mm512_set1_epi32(quad);
                s[0][t] = _mm512_dpbusd_epi32(s[0][t], w0, xv);
                s[1][t] = _mm512_dpbusd_epi32(s[1][t], w1, xv);
                s[2][t] = _mm512_dpbusd_epi32(s[2][t], w2, xv);
            }
        }
        VNNI8_FLUSH(SPLIT ? Fb + VR : Fb)
        for (int t = 0; t < RT; t++) { /* the offsets: c_w · d_x·Σq per half */
            const float lo = x.sh[2 * (t * x.lddx + b)], hi = x.sh[2 * (t * x.lddx + b) + 1];
            for (int g = 0; g < VG; g++) {
                if (SPLIT) {
                    acc[g][t] = _mm512_fmadd_ps(_mm512_load_ps(Fb + 2 * VR + 16 * g), _mm512_set1_ps(lo), acc[g][t]);
                    acc[g][t] = _mm512_fmadd_ps(_mm512_load_ps(Fb + 3 * VR + 16 * g), _mm512_set1_ps(hi), acc[g][t]);
                } else {
                    acc[g][t] = _mm512_fmadd_ps(_mm512_load_ps(Fb + 2 * VR + 16 * g), _mm512_set1_ps(lo + hi),
                                                acc[g][t]);
                }
            }
        }
    }
    for (int t = 0; t < RT; t++)
        for (int g = 0; g < VG; g++)
            ck_tile_store16(y + t * ldy + 16 * g, acc[g][t], nm[g], first, bias ? bias + 16 * g : NULL);
}

typedef void (*tile8_fn)(int64_t, vnni8_x, const uint32_t *, const float *, float *, int64_t, const __mmask16 *, int,
                         const float *);
#define TILE8(R, SPLIT)                                                                                                \
    TVNNI8 static void tile8_##SPLIT##_##R(int64_t nbk, vnni8_x x, const uint32_t *P, const float *F, float *y,       \
                                           int64_t ldy, const __mmask16 nm[VG], int first, const float *bias) {        \
        tile8(R, SPLIT, nbk, x, P, F, y, ldy, nm, first, bias);                                                        \
    }
#define TILES8(SPLIT) TILE8(1, SPLIT) TILE8(2, SPLIT) TILE8(3, SPLIT) TILE8(4, SPLIT)
TILES8(0)
TILES8(1)
static const tile8_fn tiles8[2][VT] = {{tile8_0_1, tile8_0_2, tile8_0_3, tile8_0_4},
                                       {tile8_1_1, tile8_1_2, tile8_1_3, tile8_1_4}};

/* ------------------------------------------------------------------ driver */

static void vnni8_slice(const int8_t *q, const float *dx, const float *sh, int64_t T, const ck_weight *w,
                        const float *bias, float *y, int64_t n_lo, int64_t n_hi, uint32_t *P, float *F) {
    const int64_t K = w->cols, N = w->rows, nb = K / 32;
    const tile8_fn *kind = tiles8[w->dtype == CK_Q6_K];
    for (int64_t n0 = n_lo; n0 < n_hi; n0 += VR) {
        const int64_t nr = n_hi - n0 < VR ? n_hi - n0 : VR;
        __mmask16 nm[VG];
        for (int g = 0; g < VG; g++) {
            const int64_t v = nr - 16 * g;
            nm[g] = v >= 16 ? (__mmask16)0xFFFF : v > 0 ? (__mmask16)((1u << v) - 1) : 0;
        }
        for (int64_t b0 = 0; b0 < nb; b0 += VB) {
            const int64_t nbk = nb - b0 < VB ? nb - b0 : VB;
            pack_panel8(w, n0, nr, b0, nbk, P, F);
            const int first = b0 == 0, last = b0 + nbk >= nb;
            for (int64_t m0 = 0; m0 < T; m0 += VT) {
                const int64_t mt = T - m0 < VT ? T - m0 : VT;
                const vnni8_x x = {q + m0 * K + 32 * b0, dx + m0 * nb + b0, sh + 2 * (m0 * nb + b0), K, nb};
                kind[mt - 1](nbk, x, P, F, y + m0 * N + n0, N, nm, first, last && bias ? bias + n0 : NULL);
            }
        }
    }
}

int64_t ck_gemm_vnni8_scratch_floats(void) { return VB * 8 * VR + VF * VB * VR; }

int ck_gemm_vnni8(ck_context *ctx, const float *x, int64_t T, const ck_weight *w, const float *bias, float *y,
                  int team) {
    const int64_t K = w->cols, N = w->rows, nb = K / 32;
    /* shared: q[T][K] int8 (K / 4 floats per row), then dx[T][nb], then sh[T][2·nb] */
    float *shared = ck_buffer_reserve(&ctx->shared[CK_SHARED_GEMM_X], T * (K / 4 + 3 * nb));
    if (!shared) return CK_ERR_NOMEM;
    int8_t *q = (int8_t *)shared;
    float *dx = shared + T * K / 4, *sh = dx + T * nb;
    for (int i = 0; i < team; i++)
        if (!ck_buffer_reserve(&ctx->thread_scratch[i], ck_gemm_vnni8_scratch_floats())) return CK_ERR_NOMEM;
    CK_PARALLEL(team, nt, id, {
        int64_t lo, hi;
        ck_split(T, nt, id, 1, &lo, &hi);
        for (int64_t t = lo; t < hi; t++) x8_blocks(x + t * K, K, q + t * K, dx + t * nb, sh + 2 * t * nb);
        CK_BARRIER(nt);
        ck_split(N, nt, id, 16, &lo, &hi);
        float *scratch = ctx->thread_scratch[id].ptr;
        if (hi > lo) vnni8_slice(q, dx, sh, T, w, bias, y, lo, hi, (uint32_t *)scratch, scratch + VB * 8 * VR);
    });
    return CK_OK;
}
