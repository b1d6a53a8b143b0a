/*
 * MXFP4 GEMV against 8-bit activations on AVX512-VNNI CPUs (opt-in: ck_set_int8_gemv; off by default).
 *
 * The default MXFP4 GEMV (quant.c) rounds x to 16-bit fixed point and meets each quad of weight blocks with four
 * vpdpbusd (low and high bytes of x, low and high nibbles of the weights). Here x is rounded per 32-element block to
 * int8 as ggml's Q8_0 activations (q = round(127·x / max|x_b|), d_b = max|x_b| / 127), which is what llama.cpp does
 * for every MXFP4 product, so a quad takes two vpdpbusd and no shift: the decode GEMVs of gpt-oss's experts then
 * stream their weights instead of being bound by the multiply-adds (see README, Numerics, for the logits' cost; the
 * rounding is NMSE ≈ 1.5e-5 per linear, Tolerance.linearInt8, against ~1e-10 for 16 bits). The weights are looked
 * up as u = 2·value + 12 ∈ [0, 24] exactly as in the 16-bit form and Σ 2·value·q = Σ u·q − 12·Σ q, every partial
 * below 2²⁴ (|Σ u·q| ≤ 32·24·127), so the conversion to float is exact. Same row passes, block scales and summation
 * order as the 16-bit 512-bit path (mx_gemv.h).
 *
 * Prepared layout of one x vector (within ck_prepared_x_floats(w) floats, a 64-byte multiple):
 *   xq   [quads][2][64] bytes: for blocks 4q … 4q+3: q of the even elements, then q of the odd elements, 16 per
 *        block in order (the low and the high nibbles of the weight bytes); zeros past the last block, whose
 *        weights a masked load reads as zero bytes, looked up as u = 12.
 *   dsc  [pad8(nb)] floats: d_b / 2 (NaN when the block holds NaN or ±inf, so the output is NaN like the reference)
 *   corr [pad8(nb)] floats: 12 · Σ q_b
 */
#include "ck_internal.h"
#include "mx_gemv.h"

static atomic_int int8_gemv_on = 0;
void ck_set_int8_gemv(int on) { atomic_store(&int8_gemv_on, on ? 1 : 0); }
int ck_int8_gemv_enabled(void) { return atomic_load_explicit(&int8_gemv_on, memory_order_relaxed); }
int ck_mx8_gemv_active(int level) { return level >= CK_LEVEL_VNNI && ck_int8_gemv_enabled(); }

__attribute__((target("avx2,fma"))) void ck_mx8_prepare_x(const float *x, int64_t n, float *xp) {
    const int64_t nb = n / 32;
    uint8_t *xq = (uint8_t *)xp;
    float *dsc = xp + 32 * mx_quads(nb), *corr = dsc + mx_pad8(nb);
    /* per 128-bit lane (16 elements): the 8 evens, then the 8 odds; permute4x64 then gathers evens 0–30 in the low
     * half and odds 1–31 in the high one */
    const __m256i split = _mm256_setr_epi8(0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15,
                                           0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15);
    for (int64_t b = 0; b < nb; b++) {
        int8_t q[32];
        float d, s;
        int32_t sumq;
        ck_x8_blocks(x + 32 * b, 32, q, &d, &s, NULL, &sumq);
        const __m256i eo = _mm256_permute4x64_epi64(
            _mm256_shuffle_epi8(_mm256_loadu_si256((const __m256i *)q), split), 0xD8);
        uint8_t *dst = xq + 128 * (b / 4) + 16 * (b % 4);
        _mm_storeu_si128((__m128i *)dst, _mm256_castsi256_si128(eo));
        _mm_storeu_si128((__m128i *)(dst + 64), _mm256_extracti128_si256(eo, 1));
        dsc[b] = d * 0.5f;                         /* u = 2·value + 12 carries a factor 2 */
        corr[b] = (float)MX_LEVEL_Z * (float)sumq; /* |·| ≤ 12·32·127: exact */
    }
    if (nb % 4) /* the missing blocks of the last quad */
        for (int half = 0; half < 2; half++) memset(xq + 128 * (nb / 4) + 64 * half + 16 * (nb % 4), 0, 16 * (4 - nb % 4));
    for (int64_t b = nb; b < mx_pad8(nb); b++) dsc[b] = corr[b] = 0.f;
}

/* The 8-bit form's part of a quad step (MX_QUAD_STEP, mx_gemv.h): the quad's q of the even and of the odd elements,
 * and row j's Σ u·q of the low nibbles against the evens plus the high nibbles against the odds. */
#define MX8_XLOAD(k, q)                                                                                                \
    const __m512i *x_ = (const __m512i *)(xq[k] + 128 * (g / 4 + (q)));                                               \
    const __m512i xe = _mm512_loadu_si512(x_), xo = _mm512_loadu_si512(x_ + 1)
#define MX8_XDOT(j) _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(_mm512_setzero_si512(), ul_[j], xe), uh_[j], xo)

#define MX8_PASS_VBMI(R) MX_PASS_512(R, MX_DECODE_VBMI, MX8_XLOAD, MX8_XDOT)
#define MX8_PASS_BW(R) MX_PASS_512(R, MX_DECODE_BW, MX8_XLOAD, MX8_XDOT)

/* One row per pass for every vector count (MX_PREFETCH_ROW, ck_internal.h: from DRAM a single row stream per thread
 * with one L1 prefetch keeps up with a plain read where four rows fell to 75%; row sums do not depend on the pass). */
MX_ROWS_512(mx8_rows, 32, MX8_PASS_VBMI, MX8_PASS_BW)

typedef void (*mx8_rows_fn)(const ck_weight *, int64_t, int64_t, const float *, int64_t, const float *, float *,
                            int64_t);

void ck_mx8_gemv_rows(const ck_weight *w, int64_t row0, int64_t row1, const float *xp, int64_t xp_stride, int nx,
                      const float *bias, float *y, int64_t y_stride, int level) {
    static const mx8_rows_fn vbmi[4] = MX_ROWS_TABLE(mx8_rows_vbmi);
    static const mx8_rows_fn vnni[4] = MX_ROWS_TABLE(mx8_rows_vnni);
    const mx8_rows_fn *fns = level >= CK_LEVEL_VBMI ? vbmi : vnni;
    while (nx > 0) { /* CK_GEMV_NX_MAX vectors per pass over the rows */
        const int step = nx > CK_GEMV_NX_MAX ? CK_GEMV_NX_MAX : nx;
        fns[step - 1](w, row0, row1, xp, xp_stride, bias, y, y_stride);
        nx -= step;
        xp += step * xp_stride;
        y += step * y_stride;
    }
}
