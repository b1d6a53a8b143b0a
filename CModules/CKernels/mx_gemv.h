/* The MXFP4 GEMV's row-pass machinery, shared by its 16-bit (quant.c) and 8-bit (quant_mx8.c) activation forms:
 * a rows function over NX prepared x vectors, one row per pass, each row's E8M0 block scales met once per group of
 * 8 blocks with the vectors' block factors and corrections, and on AVX512-VNNI a 512-bit step per quad of blocks
 * (64 weight bytes) whose lookup is a vpermb (VBMI) or a vpshufb. The two forms differ only in their prepared x
 * layout (XQF floats of it per quad) and their quad step. Include after ck_internal.h. */
#ifndef CK_MX_GEMV_H
#define CK_MX_GEMV_H

static inline int64_t mx_quads(int64_t nb) { return (nb + 3) / 4; }
static inline int64_t mx_pad8(int64_t nb) { return (nb + 7) / 8 * 8; }

/* Function head shared by both paths: the prepared x pointers of the NX vectors, then one pass per row (BODY(1); the
 * pass macros take a row count R, and one row per pass streams best: see MX_PREFETCH_ROW, ck_internal.h). */
#define MX_ROWS_FUNCTION(NAME, TARGET, NX_, XQF, CONSTS, BODY)                                                         \
    __attribute__((target(TARGET))) static void NAME(const ck_weight *w, int64_t row0, int64_t row1,                   \
                                                     const float *xp, int64_t xs, const float *bias, float *y,         \
                                                     int64_t ys) {                                                     \
        enum { NX = NX_ };                                                                                             \
        const int64_t nb = w->cols / 32;                                                                               \
        const __m256i minsc = _mm256_set1_epi32(0x00400000); /* E8M0 0 is 2^−127, not 0 */                             \
        const uint8_t *xq[NX];                                                                                         \
        const float *dsc[NX], *corr[NX];                                                                               \
        for (int k = 0; k < NX; k++) {                                                                                 \
            xq[k] = (const uint8_t *)(xp + k * xs);                                                                    \
            dsc[k] = xp + k * xs + (XQF) * mx_quads(nb);                                                               \
            corr[k] = dsc[k] + mx_pad8(nb);                                                                            \
        }                                                                                                              \
        CONSTS                                                                                                         \
        MX_ROW_PASSES(BODY)                                                                                            \
    }

/* The 512-bit rows functions of one form for 1…4 vectors (MX_ROWS_FUNCTION): PREFIX_vbmi_NX with the vpermb lookup
 * (PASS_VBMI) and PREFIX_vnni_NX with the vpshufb one (PASS_BW). Define after the form's pass macros. */
#define MX_ROWS_512(PREFIX, XQF, PASS_VBMI, PASS_BW)                                                                  \
    MX_ROWS_FUNCTION(PREFIX##_vbmi_1, MX_VBMI_TARGET, 1, XQF, MX_512_CONSTS, PASS_VBMI)                                \
    MX_ROWS_FUNCTION(PREFIX##_vbmi_2, MX_VBMI_TARGET, 2, XQF, MX_512_CONSTS, PASS_VBMI)                                \
    MX_ROWS_FUNCTION(PREFIX##_vbmi_3, MX_VBMI_TARGET, 3, XQF, MX_512_CONSTS, PASS_VBMI)                                \
    MX_ROWS_FUNCTION(PREFIX##_vbmi_4, MX_VBMI_TARGET, 4, XQF, MX_512_CONSTS, PASS_VBMI)                                \
    MX_ROWS_FUNCTION(PREFIX##_vnni_1, MX_VNNI_TARGET, 1, XQF, MX_BW_CONSTS, PASS_BW)                                   \
    MX_ROWS_FUNCTION(PREFIX##_vnni_2, MX_VNNI_TARGET, 2, XQF, MX_BW_CONSTS, PASS_BW)                                   \
    MX_ROWS_FUNCTION(PREFIX##_vnni_3, MX_VNNI_TARGET, 3, XQF, MX_BW_CONSTS, PASS_BW)                                   \
    MX_ROWS_FUNCTION(PREFIX##_vnni_4, MX_VNNI_TARGET, 4, XQF, MX_BW_CONSTS, PASS_BW)

/* {NAME_1, …, NAME_4}: a table of rows functions by vector count (index NX − 1). */
#define MX_ROWS_TABLE(NAME) {NAME##_1, NAME##_2, NAME##_3, NAME##_4}

/* Rows [row0, row1) one pass each: BODY(1) covers row r. */
#define MX_ROW_PASSES(BODY)                                                                                            \
    for (int64_t r = row0; r < row1; r++) BODY(1);

/* Row pointers of the pass and zeroed accumulators (ACC_T acc[R][NX][NACC]). */
#define MX_PASS_SETUP(R, ACC_T, NACC, ZERO)                                                                            \
    const uint8_t *rowp[R], *sc[R];                                                                                    \
    ACC_T acc[R][NX][NACC];                                                                                            \
    __m256 cacc[R][NX], sd[R][NX];                                                                                     \
    for (int j = 0; j < R; j++) {                                                                                      \
        rowp[j] = ck_row_ptr(w, r + j);                                                                                \
        sc[j] = ck_row_scales(w, r + j);                                                                               \
        for (int k = 0; k < NX; k++) {                                                                                 \
            for (int i = 0; i < NACC; i++) acc[j][k][i] = ZERO;                                                        \
            cacc[j][k] = _mm256_setzero_ps();                                                                          \
        }                                                                                                              \
    }

/* The 8 block factors 2^(s−127)·d_b/2 of group g for each row and vector (E8M0 bytes of row j: E8(j)), and the
 * group's correction. */
#define MX_GROUP_SCALES(R, E8)                                                                                         \
    do {                                                                                                               \
        for (int j = 0; j < R; j++) {                                                                                  \
            __m256 s2_ = _mm256_castsi256_ps(_mm256_max_epu32(_mm256_slli_epi32(_mm256_cvtepu8_epi32(E8(j)), 23), minsc)); \
            for (int k = 0; k < NX; k++) {                                                                             \
                sd[j][k] = _mm256_mul_ps(s2_, _mm256_loadu_ps(dsc[k] + g));                                            \
                cacc[j][k] = _mm256_fmadd_ps(sd[j][k], _mm256_loadu_ps(corr[k] + g), cacc[j][k]);                      \
            }                                                                                                          \
        }                                                                                                              \
    } while (0)
#define MX_E8_GROUP(j) _mm_loadl_epi64((const __m128i *)(sc[j] + g))

/* y = hsum(REDUCE(the row's accumulators), 8 lanes) − hsum(corrections) + bias. */
#define MX_STORE(R, REDUCE)                                                                                            \
    for (int j = 0; j < R; j++) {                                                                                      \
        const float b_ = bias ? bias[r + j] : 0.f;                                                                     \
        for (int k = 0; k < NX; k++) {                                                                                 \
            __m256 t_ = REDUCE(acc[j][k]);                                                                             \
            y[k * ys + (r + j - row0)] = (ck_hsum256(t_) - ck_hsum256(cacc[j][k])) + b_;                               \
        }                                                                                                              \
    }

#define MX_VNNI_TARGET "avx2,fma,avx512f,avx512bw,avx512vl,avx512vnni"
#define MX_VBMI_TARGET MX_VNNI_TARGET ",avx512vbmi"

/* u for the low and the high nibbles of 64 weight bytes. vpermb reads 6 index bits and the table is repeated four
 * times, so the bits above the nibble do not matter; vpshufb reads 4 bits per 128-bit lane (and zeroes on bit 7). */
#define MX_DECODE_VBMI(v, ul, uh)                                                                                      \
    do {                                                                                                               \
        ul = _mm512_permutexvar_epi8(v, lut);                                                                          \
        uh = _mm512_permutexvar_epi8(_mm512_srli_epi16(v, 4), lut);                                                    \
    } while (0)
#define MX_DECODE_BW(v, ul, uh)                                                                                        \
    do {                                                                                                               \
        ul = _mm512_shuffle_epi8(lut, _mm512_and_si512(v, m4));                                                        \
        uh = _mm512_shuffle_epi8(lut, _mm512_and_si512(_mm512_srli_epi16(v, 4), m4));                                  \
    } while (0)

/* Quad q of group g for R rows and NX vectors: each row's 64 weight bytes loaded by LOAD(address) (masked in the
 * row's last group) and looked up by DECODE into ul_ (low nibbles: even elements) and uh_ (high: odd); per vector
 * XLOAD(k, q) loads the quad's slices of x and XDOT(j) is row j's int32 sums, lanes 4b … 4b+3 for block b of the
 * quad, scaled by its block factor into acc[j][k][q]. */
#define MX_QUAD_STEP(R, q, LOAD, DECODE, XLOAD, XDOT)                                                                  \
    do {                                                                                                               \
        __m512i ul_[R], uh_[R];                                                                                        \
        for (int j = 0; j < R; j++) {                                                                                  \
            const uint8_t *wp_ = rowp[j] + 16 * (g + 4 * (q));                                                         \
            MX_PREFETCH_ROW(wp_);                                                                                          \
            const __m512i v_ = LOAD(wp_);                                                                              \
            DECODE(v_, ul_[j], uh_[j]);                                                                                \
        }                                                                                                              \
        for (int k = 0; k < NX; k++) {                                                                                 \
            XLOAD(k, q);                                                                                               \
            for (int j = 0; j < R; j++)                                                                                \
                acc[j][k][q] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(XDOT(j)),                                            \
                                               _mm512_permutexvar_ps((q) ? idx1 : idx0, _mm512_castps256_ps512(sd[j][k])), \
                                               acc[j][k][q]);                                                          \
        }                                                                                                              \
    } while (0)

#define MX_LOAD_FULL(p) _mm512_loadu_si512(p)
#define MX_LOAD_MASKED(p) _mm512_maskz_loadu_epi8(m_, p) /* m_: the bytes of the blocks that exist */
/* The blocks past the row read E8M0 127 (2^0), not 0: their factors are 0 either way (dsc and corr are 0 there), but
 * 2^−127 is subnormal and every multiply-add fed one takes the FP unit's slow assist (Zen 5: the 2-block tail of
 * gpt-oss's 2880-wide rows cost 20% of the GEMV). */
#define MX_E8_TAIL_VNNI(j) _mm_mask_loadu_epi8(_mm_set1_epi8(127), ms_, sc[j] + g)
#define MX_REDUCE_VNNI(a)                                                                                              \
    _mm256_add_ps(_mm512_castps512_ps256(_mm512_add_ps((a)[0], (a)[1])),                                               \
                  _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(_mm512_add_ps((a)[0], (a)[1])), 1)))

#define MX_PASS_512(R, DECODE, XLOAD, XDOT)                                                                            \
    do {                                                                                                               \
        MX_PASS_SETUP(R, __m512, 2, _mm512_setzero_ps())                                                               \
        int64_t g = 0;                                                                                                 \
        for (; g + 8 <= nb; g += 8) {                                                                                  \
            MX_GROUP_SCALES(R, MX_E8_GROUP);                                                                           \
            MX_QUAD_STEP(R, 0, MX_LOAD_FULL, DECODE, XLOAD, XDOT);                                                     \
            MX_QUAD_STEP(R, 1, MX_LOAD_FULL, DECODE, XLOAD, XDOT);                                                     \
        }                                                                                                              \
        if (g < nb) { /* 1–7 blocks left: masked loads (no read past the row; missing blocks read as zero) */          \
            const int64_t left = nb - g;                                                                               \
            const __mmask16 ms_ = (__mmask16)((1u << left) - 1);                                                       \
            MX_GROUP_SCALES(R, MX_E8_TAIL_VNNI);                                                                       \
            {                                                                                                          \
                const __mmask64 m_ = left >= 4 ? ~(__mmask64)0 : ((__mmask64)1 << (16 * left)) - 1;                    \
                MX_QUAD_STEP(R, 0, MX_LOAD_MASKED, DECODE, XLOAD, XDOT);                                               \
            }                                                                                                          \
            if (left > 4) {                                                                                            \
                const __mmask64 m_ = ((__mmask64)1 << (16 * (left - 4))) - 1;                                          \
                MX_QUAD_STEP(R, 1, MX_LOAD_MASKED, DECODE, XLOAD, XDOT);                                               \
            }                                                                                                          \
        }                                                                                                              \
        MX_STORE(R, MX_REDUCE_VNNI)                                                                                    \
    } while (0)

#define MX_512_CONSTS                                                                                                  \
    const __m512i lut = _mm512_broadcast_i32x4(_mm_setr_epi8(MX_LUT_U));                                               \
    const __m512i idx0 = _mm512_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3);                            \
    const __m512i idx1 = _mm512_setr_epi32(4, 4, 4, 4, 5, 5, 5, 5, 6, 6, 6, 6, 7, 7, 7, 7);
#define MX_BW_CONSTS MX_512_CONSTS const __m512i m4 = _mm512_set1_epi8(0x0F);

#endif
