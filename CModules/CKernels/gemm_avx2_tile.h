/*
 * One tile of gemm_avx2_int8.c: 8 output rows (one ymm of lanes) × RT ≤ 4 tokens over nbk 32-blocks of a packed
 * panel. That file includes this twice, with
 *   TILE_DPBUSD 0, TILE_TARGET "avx2,fma,f16c": u8 × s8 through vpmaddubsw (int16 pairs; two steps' pairs summed in
 *                int16, see there), vpmaddwd by ones into int32;
 *   TILE_DPBUSD 1, TILE_TARGET + avxvnni: vpdpbusd ymm (AVX-VNNI), one instruction per step, into two sets of
 *                int32 sums (even and odd steps) added at each flush: 8 independent chains, where 4 left the
 *                instruction's latency exposed (40–46% of its peak at T = 512; the vpmaddubsw chains are vpaddd's).
 * TILE_FN(NAME) names this instance's functions. P: the group's first dword of the packed levels (P[b][quad][AR]), F
 * its block factors (F[b][AF][AR]: s_w of halves 0 and 1, c_w of halves 0 and 1); y the tile's first output of
 * token 0 (row stride ldy), nv its valid outputs (1 … 8).
 */

/* acc[t] += float(s[t]) · (S · d_x[t]) for block b. */
#define A_FLUSH(S)                                                                                                     \
    for (int t = 0; t < RT; t++)                                                                                       \
        acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s[t]),                                                             \
                                 _mm256_mul_ps(_mm256_load_ps(S), _mm256_set1_ps(x.dx[t * x.lddx + b])), acc[t]);

/* s[t] += s2[t] (the odd steps' sums of the vpdpbusd tile; s2 stays zero on vpmaddubsw), s2[t] = 0. */
#define A_JOIN                                                                                                         \
    for (int t = 0; t < RT; t++) {                                                                                     \
        if (TILE_DPBUSD) s[t] = _mm256_add_epi32(s[t], s2[t]);                                                         \
        s2[t] = _mm256_setzero_si256();                                                                                \
    }

__attribute__((target(TILE_TARGET), always_inline)) static inline void TILE_FN(tile)(
    const int RT, const int SPLIT, const int OFF, int64_t nbk, ck_tile_x x, const uint32_t *P, const float *F,
    float *y, int64_t ldy, int nv, int first, const float *bias) {
    __m256 acc[AT];
    for (int t = 0; t < RT; t++) acc[t] = _mm256_setzero_ps();
    for (int64_t b = 0; b < nbk; b++) {
        __m256i s[AT], s2[AT];
        for (int t = 0; t < RT; t++) {
            s[t] = OFF == OFF_ZINIT ? _mm256_set1_epi32(x.zq[t * x.lddx + b]) : _mm256_setzero_si256();
            s2[t] = _mm256_setzero_si256();
        }
        const uint32_t *pb = P + b * 8 * AR;
        const float *Fb = F + AF * b * AR;
        for (int p = 0; p < 8; p += 2) {
            if (SPLIT && p == 4) { /* Q6_K: the first 16-element sub-block is complete */
                A_JOIN
                A_FLUSH(Fb)
                for (int t = 0; t < RT; t++) s[t] = _mm256_setzero_si256();
            }
            const __m256i w0 = _mm256_load_si256((const __m256i *)(pb + p * AR));
            const __m256i w1 = _mm256_load_si256((const __m256i *)(pb + (p + 1) * AR));
            for (int t = 0; t < RT; t++) {
                const uint8_t *xq = x.q + t * x.ldq + 32 * b + 4 * p;
                int32_t d0, d1;
                memcpy(&d0, xq, 4);
                memcpy(&d1, xq + 4, 4);
                const __m256i x0 = _mm256_set1_epi32(d0), x1 = _mm256_set1_epi32(d1);
#if TILE_DPBUSD
                s[t] = _mm256_dpbusd_avx_epi32(s[t], w0, x0);
                s2[t] = _mm256_dpbusd_avx_epi32(s2[t], w1, x1);
#else
                const __m256i m = _mm256_add_epi16(_mm256_maddubs_epi16(w0, x0), _mm256_maddubs_epi16(w1, x1));
                s[t] = _mm256_add_epi32(s[t], _mm256_madd_epi16(m, _mm256_set1_epi16(1)));
#endif
            }
        }
        A_JOIN
        A_FLUSH(SPLIT ? Fb + AR : Fb)
        if (OFF == OFF_BLOCK)
            for (int t = 0; t < RT; t++)
                acc[t] = _mm256_fmadd_ps(_mm256_load_ps(Fb + 2 * AR), _mm256_set1_ps(x.s[t * x.lddx + b]), acc[t]);
        if (OFF == OFF_HALF)
            for (int t = 0; t < RT; t++) {
                const float *sh = x.sh + 2 * (t * x.lddx + b);
                acc[t] = _mm256_fmadd_ps(_mm256_load_ps(Fb + 2 * AR), _mm256_set1_ps(sh[0]), acc[t]);
                acc[t] = _mm256_fmadd_ps(_mm256_load_ps(Fb + 3 * AR), _mm256_set1_ps(sh[1]), acc[t]);
            }
    }
    for (int t = 0; t < RT; t++) a_store8(y + t * ldy, acc[t], nv, first, bias);
}
#undef A_FLUSH
#undef A_JOIN

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
#undef A_TILES
#undef A_TILE

static const a_tile_fn TILE_FN(tiles)[A_KINDS][AT] = {
    [A_K8] = {TILE_FN(t8_1), TILE_FN(t8_2), TILE_FN(t8_3), TILE_FN(t8_4)},
    [A_K8_Z] = {TILE_FN(t8_z_1), TILE_FN(t8_z_2), TILE_FN(t8_z_3), TILE_FN(t8_z_4)},
    [A_K8_SPLIT] = {TILE_FN(t8_split_1), TILE_FN(t8_split_2), TILE_FN(t8_split_3), TILE_FN(t8_split_4)},
};
