/*
 * One tile of gemm_avx2_int8.c: TILE_G groups of 8 output rows (one ymm of lanes each) × RT ≤ 4 tokens over nbk
 * 32-blocks of a packed panel. That file includes this twice, with
 *   TILE_DPBUSD 0, TILE_G 1, TILE_TARGET "avx2,fma,f16c": u8 × s8 through vpmaddubsw (int16 pairs; two steps' pairs
 *                summed in int16, see there), vpmaddwd by ones into int32; 4 int32 and 4 float sums, the weight
 *                vectors and their products fill the 16 ymm registers; OFF_SIGNED (Q8_0): |w| × sign(x, w), one
 *                step per vpmaddwd;
 *   TILE_DPBUSD 1, TILE_G 2, TILE_TARGET + avxvnni: vpdpbusd ymm (AVX-VNNI), one instruction per step, two weight
 *                vectors per broadcast of x, 8 independent int32 chains. Each 32-block still costs a float flush per
 *                8 outputs and token (vcvtdq2ps, vmulps, vfmadd, and the offsets' vfmadd) on the same two pipes as
 *                vpdpbusd, which bounds this tile near 1.4× the vpmaddubsw one: 1.2–1.3× measured (Zen 5, `--simd
 *                avx-vnni`), 40–53% of the vpdpbusd ymm peak.
 * TILE_FN(NAME) names this instance's functions. P: the first group's first dword of the packed levels
 * (P[b][quad][AR]), F its block factors (F[b][AF][AR]: s_w of halves 0 and 1, c_w of halves 0 and 1); y the tile's
 * first output of token 0 (row stride ldy), nv its valid outputs (1 … 8·TILE_G).
 */

/* Steps (quads of K) per pass of the step loop. */
#define A_STEPS (TILE_DPBUSD ? 1 : 2)

/* acc[g][t] += float(s[g][t]) · (S[g] · d_x[t]) for block b. */
#define A_FLUSH(S)                                                                                                     \
    for (int t = 0; t < RT; t++) {                                                                                     \
        const __m256 d = _mm256_set1_ps(x.dx[t * x.lddx + b]);                                                         \
        for (int g = 0; g < TILE_G; g++)                                                                               \
            acc[g][t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s[g][t]), _mm256_mul_ps(_mm256_load_ps((S) + 8 * g), d),   \
                                        acc[g][t]);                                                                    \
    }

__attribute__((target(TILE_TARGET), always_inline)) static inline void TILE_FN(tile)(
    const int RT, const int SPLIT, const int OFF, int64_t nbk, ck_tile_x x, const uint32_t *P, const float *F,
    float *y, int64_t ldy, int nv, int first, const float *bias) {
    __m256 acc[TILE_G][AT];
    for (int g = 0; g < TILE_G; g++)
        for (int t = 0; t < RT; t++) acc[g][t] = _mm256_setzero_ps();
    for (int64_t b = 0; b < nbk; b++) {
        __m256i s[TILE_G][AT];
        for (int t = 0; t < RT; t++) {
            const __m256i s0 = OFF == OFF_ZINIT ? _mm256_set1_epi32(x.zq[t * x.lddx + b]) : _mm256_setzero_si256();
            for (int g = 0; g < TILE_G; g++) s[g][t] = s0;
        }
        const uint32_t *pb = P + b * 8 * AR;
        const float *Fb = F + AF * b * AR;
        for (int p = 0; p < 8; p += A_STEPS) {
            if (SPLIT && p == 4) { /* Q6_K: the first 16-element sub-block is complete */
                A_FLUSH(Fb)
                for (int g = 0; g < TILE_G; g++)
                    for (int t = 0; t < RT; t++) s[g][t] = _mm256_setzero_si256();
            }
#if TILE_DPBUSD /* one step: TILE_G weight vectors, one x broadcast per token */
            __m256i w[TILE_G];
            for (int g = 0; g < TILE_G; g++) w[g] = _mm256_load_si256((const __m256i *)(pb + p * AR + 8 * g));
            for (int t = 0; t < RT; t++) {
                int32_t d;
                memcpy(&d, x.q + t * x.ldq + 32 * b + 4 * p, 4);
                const __m256i xv = _mm256_set1_epi32(d);
                for (int g = 0; g < TILE_G; g++) s[g][t] = _mm256_dpbusd_avx_epi32(s[g][t], w[g], xv);
            }
#else
            if (OFF == OFF_SIGNED) { /* Q8_0, packed as its signed bytes w: one step per vpmaddwd (qb_q8_dot_avx2) */
                for (int k = 0; k < 2; k++)
                    for (int g = 0; g < TILE_G; g++) {
                        const __m256i ws = _mm256_load_si256((const __m256i *)(pb + (p + k) * AR + 8 * g));
                        const __m256i a = _mm256_abs_epi8(ws);
                        for (int t = 0; t < RT; t++) {
                            int32_t d;
                            memcpy(&d, x.q + t * x.ldq + 32 * b + 4 * (p + k), 4);
                            s[g][t] = _mm256_add_epi32(s[g][t], qb_q8_dot_avx2(a, ws, _mm256_set1_epi32(d)));
                        }
                    }
                continue;
            }
            /* two steps: their int16 pairs summed before one vpmaddwd */
            __m256i w0[TILE_G], w1[TILE_G];
            for (int g = 0; g < TILE_G; g++) {
                w0[g] = _mm256_load_si256((const __m256i *)(pb + p * AR + 8 * g));
                w1[g] = _mm256_load_si256((const __m256i *)(pb + (p + 1) * AR + 8 * g));
            }
            for (int t = 0; t < RT; t++) {
                const uint8_t *xq = x.q + t * x.ldq + 32 * b + 4 * p;
                int32_t d0, d1;
                memcpy(&d0, xq, 4);
                memcpy(&d1, xq + 4, 4);
                const __m256i x0 = _mm256_set1_epi32(d0), x1 = _mm256_set1_epi32(d1);
                for (int g = 0; g < TILE_G; g++) {
                    const __m256i m =
                        _mm256_add_epi16(_mm256_maddubs_epi16(w0[g], x0), _mm256_maddubs_epi16(w1[g], x1));
                    s[g][t] = _mm256_add_epi32(s[g][t], _mm256_madd_epi16(m, _mm256_set1_epi16(1)));
                }
            }
#endif
        }
        A_FLUSH(SPLIT ? Fb + AR : Fb)
        for (int g = 0; g < TILE_G; g++) {
            if (OFF == OFF_BLOCK)
                for (int t = 0; t < RT; t++)
                    acc[g][t] = _mm256_fmadd_ps(_mm256_load_ps(Fb + 2 * AR + 8 * g),
                                                _mm256_set1_ps(x.s[t * x.lddx + b]), acc[g][t]);
            if (OFF == OFF_HALF)
                for (int t = 0; t < RT; t++) {
                    const float *sh = x.sh + 2 * (t * x.lddx + b);
                    acc[g][t] =
                        _mm256_fmadd_ps(_mm256_load_ps(Fb + 2 * AR + 8 * g), _mm256_set1_ps(sh[0]), acc[g][t]);
                    acc[g][t] =
                        _mm256_fmadd_ps(_mm256_load_ps(Fb + 3 * AR + 8 * g), _mm256_set1_ps(sh[1]), acc[g][t]);
                }
        }
    }
    for (int g = 0; g < TILE_G && 8 * g < nv; g++)
        for (int t = 0; t < RT; t++)
            a_store8(y + t * ldy + 8 * g, acc[g][t], nv - 8 * g, first, bias ? bias + 8 * g : NULL);
}
#undef A_FLUSH
#undef A_STEPS

#define A_TILE(NAME, R, SPLIT, OFF)                                                                                    \
    __attribute__((target(TILE_TARGET))) static void TILE_FN(NAME##_##R)(                                              \
        int64_t nbk, ck_tile_x x, const uint32_t *P, const float *F, float *y, int64_t ldy, int nv, int first,         \
        const float *bias) {                                                                                           \
        TILE_FN(tile)(R, SPLIT, OFF, nbk, x, P, F, y, ldy, nv, first, bias);                                           \
    }
#define A_TILES(NAME, SPLIT, OFF)                                                                                      \
    A_TILE(NAME, 1, SPLIT, OFF) A_TILE(NAME, 2, SPLIT, OFF) A_TILE(NAME, 3, SPLIT, OFF) A_TILE(NAME, 4, SPLIT, OFF)
A_TILES(t8, 0, OFF_BLOCK)
A_TILES(t8_z, 0, OFF_ZINIT)
A_TILES(t8_split, 1, OFF_HALF)
#if !TILE_DPBUSD
A_TILES(t8_signed, 0, OFF_SIGNED)
#endif
#undef A_TILES
#undef A_TILE

static const a_tile_fn TILE_FN(tiles)[A_KINDS][AT] = {
    [A_K8] = {TILE_FN(t8_1), TILE_FN(t8_2), TILE_FN(t8_3), TILE_FN(t8_4)},
    [A_K8_Z] = {TILE_FN(t8_z_1), TILE_FN(t8_z_2), TILE_FN(t8_z_3), TILE_FN(t8_z_4)},
    [A_K8_SPLIT] = {TILE_FN(t8_split_1), TILE_FN(t8_split_2), TILE_FN(t8_split_3), TILE_FN(t8_split_4)},
#if TILE_DPBUSD /* Q8_0: u = w + 128 with −128·Σq as the start */
    [A_Q8] = {TILE_FN(t8_z_1), TILE_FN(t8_z_2), TILE_FN(t8_z_3), TILE_FN(t8_z_4)},
#else
    [A_Q8] = {TILE_FN(t8_signed_1), TILE_FN(t8_signed_2), TILE_FN(t8_signed_3), TILE_FN(t8_signed_4)},
#endif
};
