/* Internal helpers shared by the CKernels sources (not part of the module's headers). */
#ifndef CK_INTERNAL_H
#define CK_INTERNAL_H
#include "include/ckernels.h"
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <immintrin.h>
#include <math.h>
#include <omp.h>

/* A dtype the kernels know. */
static inline int ck_dtype_valid(int32_t d) { return d >= CK_F32 && d <= CK_Q6_K; }
/* GGUF's 32-weight Q4_0, Q4_1, Q5_0, Q5_1 (quant_legacy.c). */
static inline int ck_is_legacy(int32_t d) { return d >= CK_Q4_0 && d <= CK_Q5_1; }
/* GGUF's 256-weight K-quants Q4_K, Q5_K, Q6_K (quant_k.c). */
static inline int ck_is_kquant(int32_t d) { return d >= CK_Q4_K && d <= CK_Q6_K; }
/* Either family: the block types whose GEMVs share the activations of ck_qb_prepare_x. */
static inline int ck_is_qblock(int32_t d) { return d >= CK_Q4_0 && d <= CK_Q6_K; }
/* The dtypes whose GEMV rounds x to 8 bits on the AVX512-VNNI level (Q8_0 and the block types; quant.c, quant_k8.c,
 * quant_legacy.c; MXFP4 while ck_set_int8_gemv is on, quant_mx8.c): exact-x callers must run them at the AVX2
 * level. */
static inline int ck_gemv_rounds_x_int8(int32_t d) {
    return d == CK_Q8_0 || ck_is_qblock(d) || (d == CK_MXFP4 && ck_int8_gemv_enabled());
}

/* Per-thread scratch slots and shared buffers a context keeps between calls. */
enum { CK_MAX_THREADS = 256 };

typedef struct {
    float *ptr;
    int64_t cap;  /* floats */
} ck_buffer;

/* Named shared buffers (one owner each, so kernels never hand out overlapping scratch). */
enum {
    CK_SHARED_XPERM = 0,   /* linear: permuted/scaled copy of x for MXFP4 GEMV */
    CK_SHARED_MOE = 1,     /* moe: router logits, gathered rows, expert activations */
    CK_SHARED_MOE_IDX = 2, /* moe: token lists per expert (stored as int32 in float slots) */
    CK_SHARED_GEMM_X = 3,  /* gemm512: x rounded to bf16 pairs for the vdpbf16ps path */
    CK_SHARED_ATTN = 4,    /* attention: per-chunk partial results of a split decode span */
    CK_SHARED_COUNT = 5
};

enum { CK_DTYPE_SLOTS = 32 }; /* per-dtype settings of a context (ck_dtype values below this) */

struct ck_context {
    int max_threads;
    int gemm_path[CK_DTYPE_SLOTS];        /* CK_GEMM_* per weight dtype (AUTO = the built-in rule) */
    pthread_mutex_t lock;                 /* one op at a time per context (scratch is shared) */
    ck_buffer thread_scratch[CK_MAX_THREADS];
    ck_buffer shared[CK_SHARED_COUNT];
};

/* Grows `b` to hold at least `n` floats (64-byte aligned); returns NULL on failure. Contents are not kept. */
float *ck_buffer_reserve(ck_buffer *b, int64_t n);

/* 1 when the AVX2+FMA+F16C kernels should run (CPU has them and the scalar switch is off). */
int ck_avx2_enabled(void);

/* Target of the 512-bit float kernels (ck_avx512_enabled() checks the CPU, the OS's ZMM state and the switches); the
 * module itself is built for AVX2, so every such function carries this attribute and is only called behind the
 * check. The BF16 kernels add avx512bf16 (ck_bf16_dot_enabled()). */
#define CK_AVX512_TARGET "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512dq"
#define CK_BF16_TARGET CK_AVX512_TARGET ",avx512bf16"

/* Static split of [0, n) into `parts` contiguous ranges, each starting at a multiple of `align`. */
static inline void ck_split(int64_t n, int parts, int index, int64_t align, int64_t *lo, int64_t *hi) {
    int64_t units = (n + align - 1) / align;
    int64_t base = units / parts, extra = units % parts;
    int64_t u0 = index * base + (index < extra ? index : extra);
    int64_t u1 = u0 + base + (index < extra ? 1 : 0);
    *lo = u0 * align < n ? u0 * align : n;
    *hi = u1 * align < n ? u1 * align : n;
}

/* Worth opening a parallel region for this many elements of simple work? */
static inline int ck_team(int threads, int64_t work, int64_t min_per_thread) {
    if (threads <= 1) return 1;
    int64_t useful = work / (min_per_thread > 0 ? min_per_thread : 1);
    if (useful < 2) return 1;
    return useful < threads ? (int)useful : threads;
}

/* The one parallel-region pattern of every kernel (Debian's libomp 16 allocates on each `omp for` and each
 * serialized `parallel ... if (0)` region, so the hot loop uses neither):
 *     CK_PARALLEL(team, nt, id, { ...ck_split(n, nt, id, align, &lo, &hi); work on [lo, hi)... });
 * team <= 1 runs the body once on the calling thread with nt = 1, id = 0 and enters no OpenMP runtime call;
 * otherwise one `omp parallel num_threads(team)` region runs it with nt = team size and id = thread number.
 * Static contiguous ranges only (schedule(dynamic) needs __kmpc_dispatch_deinit, missing from libomp 16).
 * Inside the body, synchronise with CK_BARRIER(nt), never a bare `omp barrier`. */
#define CK_PARALLEL(team, nt, id, ...)                                                                             \
    do {                                                                                                           \
        const int ck_team_ = (team);                                                                               \
        if (ck_team_ <= 1) {                                                                                       \
            const int nt = 1, id = 0;                                                                              \
            (void)nt;                                                                                              \
            (void)id;                                                                                              \
            __VA_ARGS__                                                                                            \
        } else {                                                                                                   \
            _Pragma("omp parallel num_threads(ck_team_)")                                                          \
            {                                                                                                      \
                const int nt = omp_get_num_threads(), id = omp_get_thread_num();                                   \
                (void)nt;                                                                                          \
                (void)id;                                                                                          \
                __VA_ARGS__                                                                                        \
            }                                                                                                      \
        }                                                                                                          \
    } while (0)
/* Barrier of a CK_PARALLEL body (nothing when it runs serially). */
#define CK_BARRIER(nt)                                                                                             \
    do {                                                                                                           \
        if ((nt) > 1) {                                                                                            \
            _Pragma("omp barrier")                                                                                 \
        }                                                                                                          \
    } while (0)

/* exp's range edges, ln 2 split in two, and the Cephes polynomial, shared by ck_exp256 and ck_exp512. */
#define CK_EXP_HI 88.72283905206835f
#define CK_EXP_LO (-87.3365447505531f)
#define CK_EXP_LOG2E 1.44269504088896341f
#define CK_EXP_C1 0.693359375f
#define CK_EXP_C2 (-2.12194440e-4f)
#define CK_EXP_P0 1.9875691500E-4f
#define CK_EXP_P1 1.3981999507E-3f
#define CK_EXP_P2 8.3334519073E-3f
#define CK_EXP_P3 4.1665795894E-2f
#define CK_EXP_P4 1.6666665459E-1f
#define CK_EXP_P5 5.0000001201E-1f

/* float32 vector helpers (AVX2 or scalar, chosen at run time). */
float ck_dot_f32(const float *a, const float *b, int64_t n);
void ck_axpy_f32(float alpha, const float *x, float *y, int64_t n);   /* y += alpha·x */
void ck_scale_f32(float alpha, float *y, int64_t n);                   /* y *= alpha */
/* out[i] = exp(x[i] − shift) for i < n; returns Σ out (out may be x). */
float ck_exp_sum(const float *x, float shift, float *out, int64_t n);
/* exp of 8 lanes (Cephes polynomial, ≤ 2 ulp on [−87.3, 88.72]); below −87.3 gives 0 (no subnormal results), above
 * ln(FLT_MAX) +inf, NaN stays NaN. */
__attribute__((target("avx2,fma"))) static inline __m256 ck_exp256(__m256 x) {
    const __m256 hi = _mm256_set1_ps(CK_EXP_HI), lo = _mm256_set1_ps(CK_EXP_LO);
    const __m256 log2e = _mm256_set1_ps(CK_EXP_LOG2E);
    const __m256 c1 = _mm256_set1_ps(CK_EXP_C1), c2 = _mm256_set1_ps(CK_EXP_C2);
    __m256 under = _mm256_cmp_ps(x, lo, _CMP_LT_OQ);      /* → 0 */
    __m256 over = _mm256_cmp_ps(x, hi, _CMP_GT_OQ);       /* → +inf */
    __m256 xc = _mm256_min_ps(hi, _mm256_max_ps(lo, x));  /* NaN: max/min return their 2nd operand, x: NaN propagates */
    __m256 fx = _mm256_floor_ps(_mm256_fmadd_ps(xc, log2e, _mm256_set1_ps(0.5f)));
    __m256 r = _mm256_fnmadd_ps(fx, c1, xc);
    r = _mm256_fnmadd_ps(fx, c2, r);
    __m256 y = _mm256_set1_ps(CK_EXP_P0);
    y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(CK_EXP_P1));
    y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(CK_EXP_P2));
    y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(CK_EXP_P3));
    y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(CK_EXP_P4));
    y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(CK_EXP_P5));
    y = _mm256_fmadd_ps(y, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
    /* y·2^n as y·2^(n−n/2)·2^(n/2): n reaches 128 just below ln(FLT_MAX), where one 2^n would overflow */
    __m256i n = _mm256_cvttps_epi32(fx), n1 = _mm256_srai_epi32(n, 1), n2 = _mm256_sub_epi32(n, n1);
    const __m256i bias = _mm256_set1_epi32(127);
    y = _mm256_mul_ps(y, _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n1, bias), 23)));
    y = _mm256_mul_ps(y, _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n2, bias), 23)));
    y = _mm256_andnot_ps(under, y);
    return _mm256_blendv_ps(y, _mm256_set1_ps(INFINITY), over);
}
/* exp of 16 lanes: ck_exp256's polynomial and edges (below −87.3 gives 0, above ln(FLT_MAX) +inf, NaN stays NaN), the
 * power of two applied with vscalefps. */
__attribute__((target(CK_AVX512_TARGET))) static inline __m512 ck_exp512(__m512 x) {
    const __m512 hi = _mm512_set1_ps(CK_EXP_HI), lo = _mm512_set1_ps(CK_EXP_LO);
    const __m512 c1 = _mm512_set1_ps(CK_EXP_C1), c2 = _mm512_set1_ps(CK_EXP_C2);
    const __mmask16 under = _mm512_cmp_ps_mask(x, lo, _CMP_LT_OQ), over = _mm512_cmp_ps_mask(x, hi, _CMP_GT_OQ);
    const __m512 xc = _mm512_min_ps(hi, _mm512_max_ps(lo, x)); /* NaN: max/min return their 2nd operand */
    const __m512 fx = _mm512_roundscale_ps(_mm512_fmadd_ps(xc, _mm512_set1_ps(CK_EXP_LOG2E), _mm512_set1_ps(0.5f)),
                                           _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(fx, c1, xc);
    r = _mm512_fnmadd_ps(fx, c2, r);
    __m512 y = _mm512_set1_ps(CK_EXP_P0);
    y = _mm512_fmadd_ps(y, r, _mm512_set1_ps(CK_EXP_P1));
    y = _mm512_fmadd_ps(y, r, _mm512_set1_ps(CK_EXP_P2));
    y = _mm512_fmadd_ps(y, r, _mm512_set1_ps(CK_EXP_P3));
    y = _mm512_fmadd_ps(y, r, _mm512_set1_ps(CK_EXP_P4));
    y = _mm512_fmadd_ps(y, r, _mm512_set1_ps(CK_EXP_P5));
    y = _mm512_fmadd_ps(y, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
    y = _mm512_scalef_ps(y, fx); /* y·2^fx without an intermediate overflow (fx reaches 128 below ln(FLT_MAX)) */
    y = _mm512_maskz_mov_ps((__mmask16)~under, y);
    return _mm512_mask_blend_ps(over, y, _mm512_set1_ps(INFINITY));
}

/* 16×16 transpose of 32-bit lanes: r[i] lane j ↔ r[j] lane i (64 shuffles; the packing of gemm512.c and
 * gemm_vnni.c). */
__attribute__((target(CK_AVX512_TARGET), always_inline)) static inline void ck_transpose16(__m512 r[16]) {
    __m512 t[16];
    for (int i = 0; i < 8; i++) {
        t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    for (int i = 0; i < 4; i++) { /* r[4i + c], 128-bit lane L: column 4L + c of rows 4i … 4i+3 */
        r[4 * i] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], _MM_SHUFFLE(1, 0, 1, 0));
        r[4 * i + 1] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], _MM_SHUFFLE(3, 2, 3, 2));
        r[4 * i + 2] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], _MM_SHUFFLE(1, 0, 1, 0));
        r[4 * i + 3] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], _MM_SHUFFLE(3, 2, 3, 2));
    }
    for (int c = 0; c < 4; c++) {
        const __m512 lo01 = _mm512_shuffle_f32x4(r[c], r[4 + c], 0x44);
        const __m512 lo23 = _mm512_shuffle_f32x4(r[8 + c], r[12 + c], 0x44);
        const __m512 hi01 = _mm512_shuffle_f32x4(r[c], r[4 + c], 0xEE);
        const __m512 hi23 = _mm512_shuffle_f32x4(r[8 + c], r[12 + c], 0xEE);
        t[c] = _mm512_shuffle_f32x4(lo01, lo23, 0x88);
        t[4 + c] = _mm512_shuffle_f32x4(lo01, lo23, 0xDD);
        t[8 + c] = _mm512_shuffle_f32x4(hi01, hi23, 0x88);
        t[12 + c] = _mm512_shuffle_f32x4(hi01, hi23, 0xDD);
    }
    for (int i = 0; i < 16; i++) r[i] = t[i];
}

/* The 32 floats of an activation block xb (v[4]), its max |x| scaled by *pre (2⁶⁴ for blocks below 2⁻⁶⁰, so that
 * QMAX / max stays finite; the factor is undone in d) and whether it holds NaN or ±inf (then d is NaN, so the output
 * is NaN like the reference). Shared by the 16-bit (quant.c) and 8-bit (gemm_vnni.c) activation roundings. */
__attribute__((target("avx2,fma"), always_inline)) static inline float ck_x32_absmax(const float *xb, __m256 v[4],
                                                                                  float *pre, int *bad) {
    const __m256 absmask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7FFFFFFF));
    __m256 m = _mm256_setzero_ps(), nonfinite = _mm256_setzero_ps();
    for (int k = 0; k < 4; k++) {
        v[k] = _mm256_loadu_ps(xb + 8 * k);
        const __m256 a = _mm256_and_ps(v[k], absmask);
        nonfinite = _mm256_or_ps(nonfinite, _mm256_cmp_ps(a, _mm256_set1_ps(INFINITY), _CMP_NLT_UQ));
        m = _mm256_max_ps(m, a);
    }
    __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
    m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
    m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
    *pre = _mm_cvtss_f32(m4) < 0x1p-60f ? 0x1p64f : 1.f;
    *bad = _mm256_movemask_ps(nonfinite) != 0;
    return _mm_cvtss_f32(m4) * *pre;
}

/* The store of one 16-output vector of a GEMM micro-tile (gemm512.c, gemm_vnni.c): lanes m of p get v (+ p's old value
 * unless `first`, + bias lanes when bias is not NULL). */
__attribute__((target(CK_AVX512_TARGET), always_inline)) static inline void ck_tile_store16(float *p, __m512 v,
                                                                                          __mmask16 m, int first,
                                                                                          const float *bias) {
    if (!m) return;
    if (!first) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, p));
    if (bias) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, bias));
    _mm512_mask_storeu_ps(p, m, v);
}

/* 512-bit spans behind ck_avx512_enabled() (vector512.c): the AVX-512 halves of the helpers above and below. */
float ck_dot_f32_512(const float *a, const float *b, int64_t n);
void ck_axpy_f32_512(float alpha, const float *x, float *y, int64_t n);
void ck_scale_f32_512(float alpha, float *y, int64_t n);
float ck_exp_sum_512(const float *x, float shift, float *out, int64_t n);
float ck_max_f32_512(const float *x, int64_t n);
void ck_swiglu_512(const float *gate_up, float *out, int64_t n, float limit, float alpha);
void ck_silu_mul_512(const float *gate, const float *up, float *out, int64_t n);
void ck_add_512(const float *a, const float *b, float *out, int64_t n);
void ck_scale_mul_512(const float *x, float s, const float *g, float *out, int64_t n);
void ck_rope_row_512(float *v, int64_t half, const float *c, const float *s, int style);

/* attention512.c: the 512-bit micro-kernels of attention.c's tile (layouts there). ck_attn_scores_512 covers the
 * leading 32- and 16-lane groups of the mp query lanes and ck_attn_softmax_512 the 16-lane ones; both return how
 * many lanes they did (an 8-lane rest stays on 256 bits, where a half-empty 512-bit vector costs as much as a full
 * one on double-pumped cores such as Zen 4; a tile of exactly 8 lanes takes ck_attn_scores8_512). */
int64_t ck_attn_scores_512(const float *qt, int64_t mp, const float *const *kp, int64_t nb, int64_t D, float scale,
                           float *s);
int64_t ck_attn_softmax_512(float *s, int64_t mp, int64_t nb, float *m, float *l, float *alpha);
/* An 8-lane tile's Q packed in dim pairs (8·D floats, D even), and its scores from that, 8 keys at a time (returns the
 * keys done). */
void ck_attn_pack_q8(const float *qt, int64_t D, float *q2);
int64_t ck_attn_scores8_512(const float *q2, const float *const *kp, int64_t nb, int64_t D, float scale, float *s);
/* A tile of at most 4 query vectors (lanes 4–7 empty): Q packed in dim quads (4·D floats, D a multiple of 4), and its
 * scores from that, 8 keys at a time (lanes 4–7 of S get 0; returns the keys done). */
void ck_attn_pack_q4(const float *qt, int64_t D, float *q4);
int64_t ck_attn_scores4_512(const float *q4, const float *const *kp, int64_t nb, int64_t D, float scale, float *s);
/* Σ p·v for the first `rows` of the mp query vectors (the rest are a tile's empty lanes). */
void ck_attn_values_512(const float *s, int64_t mp, int64_t rows, const float *const *vp, int64_t nb, int64_t D,
                        const float *alpha, float *acc);

/* Row-wise helpers with run-time dispatch (vector.c). */
float ck_max_f32(const float *x, int64_t n);                                    /* max (NaN-skipping as a > m) */
void ck_add_span(const float *a, const float *b, float *out, int64_t n);       /* out = a + b */
void ck_scale_mul_span(const float *x, float s, const float *g, float *out, int64_t n); /* out = x·s·g */
void ck_rope_row(float *v, int64_t half, const float *c, const float *s, int style); /* one head, in place */

/* Sum of the 8 lanes. */
__attribute__((target("avx2,fma"))) static inline float ck_hsum256(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}
/* gpt-oss clamped SwiGLU of n interleaved (gate, up) pairs → out[n]. */
void ck_swiglu_span(const float *gate_up, float *out, int64_t n, float limit, float alpha);
/* out[i] = silu(gate[i])·up[i] (out may alias). */
void ck_silu_mul_span(const float *gate, const float *up, float *out, int64_t n);

/* IEEE half → float, portable (normals, subnormals, inf, NaN). */
static inline float ck_f16_to_float(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exp = (h >> 10) & 0x1F, man = h & 0x3FF, bits;
    if (exp == 0) {
        if (man == 0) {
            bits = sign;
        } else { /* subnormal: normalise */
            int e = -1;
            do { e++; man <<= 1; } while (!(man & 0x400));
            bits = sign | ((uint32_t)(127 - 15 - e) << 23) | ((man & 0x3FF) << 13);
        }
    } else if (exp == 31) {
        bits = sign | 0x7F800000u | (man << 13);
    } else {
        bits = sign | ((exp + 127 - 15) << 23) | (man << 13);
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

static inline uint16_t ck_load_u16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }

/* MXFP4's E2M1 codes as unsigned integer levels u = 2·value + MX_LEVEL_Z ∈ [0, 24] (the integer GEMVs of quant.c and
 * the 8-bit GEMM tiles of gemm_vnni.c): a byte table for vpshufb / vpermb, code c at index c. */
#define MX_LEVEL_Z 12
/* Q8_0's weights as unsigned levels u = w + 128 (the sign bit flipped) for u8 × s8 products. */
#define Q8_LEVEL_Z 128
#define MX_LUT_U 12, 13, 14, 15, 16, 18, 20, 24, 12, 11, 10, 9, 8, 6, 4, 0

/* GEMV weight prefetch of the AVX2 paths (quant.c, quant_legacy.c, quant_k.c); the VNNI paths take MX_PREFETCH_ROW. */
/* Weight bytes this far ahead are prefetched, once per 64-byte line (or per 68-byte Q8_0 block pair): into L1 a
 * little ahead and into L2 further ahead (the hardware prefetcher alone gives a third of the bandwidth of a plain
 * read here). Interleaved A/B runs on one core against a read of the same bytes: Q8_0 67–70% at L1 3 KiB + L2 12 KiB,
 * 84–90% at 6 KiB + 24 KiB (8 KiB no better); MXFP4 the same best time, mean ratio 84–95% against 67–90%. */
#define MX_PREFETCH_L1 6144
#define MX_PREFETCH_L2 24576
#define MX_PREFETCH(p)                                                                                                 \
    do {                                                                                                               \
        _mm_prefetch((const char *)(p) + MX_PREFETCH_L1, _MM_HINT_T0);                                                 \
        _mm_prefetch((const char *)(p) + MX_PREFETCH_L2, _MM_HINT_T1);                                                 \
    } while (0)
/* The 512-bit integer GEMVs' prefetch (MXFP4 in mx_gemv.h, Q8_0, Q4_0…Q5_1, the K-quants): into L1 only, one row
 * streaming per pass (the AVX2 paths, compute-bound, keep MX_PREFETCH). Zen 5, MXFP4 2880-wide rows (1530 bytes with
 * scales), 268 MB per call, interleaved with a plain read of the same bytes, median of 25: four rows per pass with
 * both prefetches 75–77% of the read (one and two threads), one row with both 87–93%, one row with only this one
 * 96–100% (with only the L2 one 94–98%); in L2 one row is ~7% slower than four. Ops suite, 4096 → 2880, T = 1, one /
 * two threads: Q8_0 (two rows per pass before) 74–75% / 82–86% → 92–94% / 92–100%, Q4_K…Q6_K 82–90% → 90–105%. */
#define MX_PREFETCH_ROW(p) _mm_prefetch((const char *)(p) + MX_PREFETCH_L1, _MM_HINT_T0)

/* Decoding helpers (quant.c). */
void ck_decode_row_any(const ck_weight *w, int64_t r, float *out, int avx2);
/* The GEMV kernel level, read once per call so that ck_prepare_x and ck_gemv_rows agree on the prepared layout:
 * 0 portable scalar, 1 AVX2+FMA (16-bit fixed-point x for the integer GEMVs, float x for Q8_0), 2 AVX2+FMA with x
 * rounded to 8 bits for Q8_0 and the block types (vpmaddubsw; the default on CPUs without AVX512-VNNI, see
 * ck_set_avx2_int8_gemv; MXFP4 runs as at level 1), 3 AVX512 VNNI (vpshufb lookups), 4 VNNI with VBMI (vpermb). */
enum { CK_LEVEL_SCALAR = 0, CK_LEVEL_AVX2 = 1, CK_LEVEL_AVX2_INT8 = 2, CK_LEVEL_VNNI = 3, CK_LEVEL_VBMI = 4 };
int ck_gemv_level(void);
/* Whether the GEMV of a `d` weight rounds x to 8 bits at `level`: on VNNI every ck_gemv_rounds_x_int8 dtype, at
 * CK_LEVEL_AVX2_INT8 Q8_0 and the block types (MXFP4 keeps 16 bits there). */
static inline int ck_level_rounds_x_int8(int32_t d, int level) {
    if (level >= CK_LEVEL_VNNI) return ck_gemv_rounds_x_int8(d);
    return level == CK_LEVEL_AVX2_INT8 && (d == CK_Q8_0 || ck_is_qblock(d));
}
/* Activation vectors a GEMV kernel serves per pass over the weight rows (more are done that many at a time). */
enum { CK_GEMV_NX_MAX = 4 };
/* ck_gemv_rows for F32/F16/BF16 weights and nx ≥ 2 vectors (gemv_batch.c: register blocks of rows × vectors, each row
 * read from memory once per call; same prepared x as the T = 1 path). wide: the AVX-512 kernel (ck_avx512_enabled()
 * must be true), else AVX2. */
void ck_gemv_rows_batch(const ck_weight *w, int64_t row0, int64_t row1, const float *xp, int64_t xs, int nx,
                        const float *bias, float *y, int64_t ys, int wide);
/* y_k[r − row0] = dot(W row r, x_k) + bias[r] for rows [row0, row1) and nx activation vectors
 * x_k = xp + k·xp_stride (prepared by ck_prepare_x at the same level), y_k = y + k·y_stride. bias may be NULL. */
void ck_gemv_rows(const ck_weight *w, int64_t row0, int64_t row1, const float *xp, int64_t xp_stride, int nx,
                  const float *bias, float *y, int64_t y_stride, int level);
/* Writes the prepared form of x[cols] for `level` into xp (ck_prepared_x_floats(w) floats; identity copy when the
 * dtype needs none there). */
void ck_prepare_x(const ck_weight *w, const float *x, float *xp, int level);
/* x[n] (n % 32 == 0) rounded per 32-block to the integer GEMVs' 16-bit fixed point: q[n] int16, d[n/32] block
 * factors (x ≈ q·d; NaN d for a block holding NaN or ±inf), sx[n/32] the rounded block sums d·Σq.
 * quant.c; used by the VNNI GEMM. */
void ck_x16_blocks(const float *x, int64_t n, int16_t *q, float *d, float *sx);
/* Floats one prepared x vector takes at any level (cols, or the layouts of MXFP4, Q8_0 and Q4_0 … Q6_K when larger); a
 * 64-byte multiple for those, so consecutive vectors stay aligned. */
int64_t ck_prepared_x_floats(const ck_weight *w);
/* 1 when ck_prepare_x is not the identity for this dtype at `level`. */
int ck_needs_prepared_x(const ck_weight *w, int level);

/* Our AVX-512 GEMM (gemm512.c): y[T, rows] = x[T, cols]·Wᵀ + bias on `team` threads (ck_avx512_enabled() must be
 * true); any dtype ck_decode_row_any decodes (cols a multiple of the block size). BF16 weights run vdpbf16ps on x
 * rounded to bf16 where ck_bf16_dot_enabled(), unless `exact` (then float32 x, as every other dtype). */
int ck_gemm512(ck_context *ctx, const float *x, int64_t T, const ck_weight *w, const float *bias, float *y, int team,
               int exact);

/* The VNNI GEMM tiles of MXFP4, Q8_0 and the GGUF block types Q4_0 … Q6_K (gemm_vnni.c; ck_vnni_enabled() must be
 * true): ck_gemm512 hands them the dtypes ck_gemm_vnni_takes. x in the integer GEMVs' 16-bit fixed point with int16
 * weight levels (vpdpwssd), or for the block types by default int8 x with byte levels (vpdpbusd); `exact` (the MoE
 * router, CK_LINEAR_EXACT_X) keeps 16 bits. */
int ck_gemm_vnni_takes(int32_t dtype);
/* Whether ck_gemm_vnni runs `dtype` on 8-bit activations (the block types while ck_int8_gemm_enabled()). */
int ck_gemm_vnni8_takes(int32_t dtype);
int ck_gemm_vnni(ck_context *ctx, const float *x, int64_t T, const ck_weight *w, const float *bias, float *y, int team,
                 int exact);

/* The tokens' side of an integer GEMM tile (gemm_vnni.c, gemm_avx2_int8.c), from the slice's first block: x (int16
 * or int8; row stride ldq bytes), block factors d_x, block sums d_x·Σq and (8-bit) half sums (row strides lddx, lddx,
 * 2·lddx), and for the types with a constant level offset z only (ck_gemm_zinit_level) −z·Σq per block. */
typedef struct {
    const uint8_t *q;
    const float *dx, *s, *sh;
    const int32_t *zq;
    int64_t ldq, lddx;
} ck_tile_x;
/* One thread's output rows [n_lo, n_hi) of an integer GEMM, with per-thread scratch P (packed weights) and F (block
 * factors) of ck_gemm_vnni_scratch_floats() floats in all. */
typedef void (*ck_tile_slice_fn)(ck_tile_x xs, int64_t T, const ck_weight *w, int int8, const float *bias, float *y,
                                 int64_t n_lo, int64_t n_hi, uint32_t *P, float *F);
/* The integer GEMMs' driver (gemm_vnni.c): rounds x once (int8 per 32-block, ck_x8_blocks, or the 16-bit fixed
 * point), then runs `slice` on each thread's share of the outputs. */
int ck_gemm_int_tiles(ck_context *ctx, const float *x, int64_t T, const ck_weight *w, const float *bias, float *y,
                      int team, int int8, ck_tile_slice_fn slice);
int64_t ck_gemm_vnni_scratch_floats(void);
/* The constant level offset z of the 8-bit types whose weights are s·(u − z) and nothing else (MXFP4, Q4_0, Q5_0:
 * their tiles start each block's int32 sums from −z·Σq), else 0. */
int ck_gemm_zinit_level(int32_t dt);
/* The tokens' side from token m0 and block b0 on (x of `bytes` per element: 1 int8, 2 int16). */
static inline ck_tile_x ck_tile_x_at(ck_tile_x xs, int64_t m0, int64_t b0, int bytes) {
    const int64_t blk = m0 * xs.lddx + b0;
    return (ck_tile_x){xs.q + m0 * xs.ldq + 32 * bytes * b0, xs.dx + blk, xs.s + blk, xs.sh + 2 * blk, xs.zq + blk,
                       xs.ldq, xs.lddx};
}
/* In a walk over panels of `rows` rows up to n_hi and slices of `blocks` blocks, right after packing rows [n0, n0 + nr)
 * from block b0: prefetch into L2 what the next pack reads (this panel's next slice, or the next panel's first; weight
 * bytes, E8M0 scales), so its row streams (too many for the hardware prefetcher) arrive while the tiles run. */
void ck_gemm_prefetch_next_pack(const ck_weight *w, int64_t n0, int64_t nr, int64_t n_hi, int64_t rows, int64_t b0,
                                int64_t blocks);
/* The AVX2 8-bit GEMM tiles of MXFP4 and Q4_0 … Q6_K (gemm_avx2_int8.c; level CK_LEVEL_AVX2_INT8): gemm_vnni.c's
 * 8-bit arithmetic through vpmaddubsw, or vpdpbusd ymm where AVX-VNNI runs (ck_avx_vnni_enabled). */
int ck_gemm_avx2_int8_takes(int32_t dtype);
int ck_gemm_avx2_int8(ck_context *ctx, const float *x, int64_t T, const ck_weight *w, const float *bias, float *y,
                      int team);

/* Linear on an explicit weight (also used by moe.c). */
int ck_linear_impl(ck_context *ctx, const float *x, int64_t T, const ck_weight *w, const float *bias, float *y,
                   int threads);
/* ck_linear_impl with flags: CK_LINEAR_EXACT_X keeps float32 activations where the GEMM would round them to bf16, and
 * 16-bit ones where the K-quants' VNNI GEMV would round them to 8 bits (the MoE router: a rounded logit could flip a
 * near-tie in the top-k, a discrete change of the output). */
enum { CK_LINEAR_EXACT_X = 1 };
int ck_linear_impl_flags(ck_context *ctx, const float *x, int64_t T, const ck_weight *w, const float *bias, float *y,
                         int threads, int flags);

/* Q4_0 … Q6_K (quant_legacy.c, quant_k.c): row decoders, GEMV rows (same contract as ck_gemv_rows) and the 16-bit
 * fixed-point activations both families' integer GEMVs read (layout: see quant_legacy.c) below the VNNI level (the
 * K-quants read 8-bit x there, below). */
void ck_legacy_decode_row(const ck_weight *w, int64_t r, float *out, int avx2);
void ck_kq_decode_row(const ck_weight *w, int64_t r, float *out, int avx2);
void ck_legacy_gemv_rows(const ck_weight *w, int64_t row0, int64_t row1, const float *xp, int64_t xs, int nx,
                         const float *bias, float *y, int64_t ys, int level);
void ck_kq_gemv_rows(const ck_weight *w, int64_t row0, int64_t row1, const float *xp, int64_t xs, int nx,
                     const float *bias, float *y, int64_t ys, int level);
/* Floats of one prepared x vector of `cols` elements (a 64-byte multiple). */
int64_t ck_qb_prepared_floats(int64_t cols);
/* half_order: the 32-weight types' layout (per pair, the blocks' first halves, then their second halves). */
void ck_qb_prepare_x(const float *x, int64_t cols, float *xp, int half_order);
/* The 32-weight types' prepared x on the VNNI path (quant_legacy.c: 8-bit per 32-block, layout there), in at most
 * ck_qb_prepared_floats(cols) floats. */
void ck_lg8_prepare_x(const float *x, int64_t cols, float *xp);
/* x[K] → int8 q[K] per 32-block (d = max|x_b| / 127, NaN for a block holding NaN or ±inf), d[K/32], s[K/32] = d·Σq,
 * sh[K/16] = d·Σq per 16-element half unless sh is NULL, sq[K/32] = Σq (int32) unless sq is NULL (gemm_vnni.c). */
void ck_x8_blocks(const float *x, int64_t K, int8_t *q, float *d, float *s, float *sh, int32_t *sq);
/* The K-quants' prepared x on the 8-bit paths (quant_k8.c: 8-bit, one d_x per 256 elements, layout there) in
 * ck_kq8_prepared_floats(cols) floats (a 64-byte multiple), and their GEMV rows against it (the VNNI levels, or
 * CK_LEVEL_AVX2_INT8's vpmaddubsw rows). */
int64_t ck_kq8_prepared_floats(int64_t cols);
void ck_kq8_prepare_x(const float *x, int64_t cols, float *xp, int32_t dtype);
/* MXFP4's GEMV on 8-bit activations (quant_mx8.c): whether it runs at GEMV level `level` (VNNI and the switch on),
 * x's prepared form for it, and the rows (levels CK_LEVEL_VNNI and CK_LEVEL_VBMI). */
int ck_mx8_gemv_active(int level);
void ck_mx8_prepare_x(const float *x, int64_t n, float *xp);
void ck_mx8_gemv_rows(const ck_weight *w, int64_t row0, int64_t row1, const float *xp, int64_t xp_stride, int nx,
                      const float *bias, float *y, int64_t y_stride, int level);
void ck_kq8_gemv_rows(const ck_weight *w, int64_t row0, int64_t row1, const float *xp, int64_t xs, int nx,
                      const float *bias, float *y, int64_t ys, int level);
/* Q8_0's GEMV rows at CK_LEVEL_AVX2_INT8 (quant_q8_avx2.c) against the 8-bit x of the VNNI path (quant.c's
 * q8_prepare_x8 layout: per pair of blocks 64 q bytes and 64 bytes of corrections, then d_x per block at
 * 32·pairs floats). */
void ck_q8_gemv_rows_avx2_int8(const ck_weight *w, int64_t row0, int64_t row1, const float *xp, int64_t xs, int nx,
                               const float *bias, float *y, int64_t ys);
/* 16-bit activations in pairs of 32-blocks (quant.c): per pair 192 bytes (l of the 64 elements, h, 16 int32
 * corrections), then d_x per block (pad8(nb) floats); the block types' AVX2 layout (ck_qb_prepare_x) extends it. */
void ck_q8_prepare_x(const float *x, int64_t n, float *xp);

static inline const uint8_t *ck_row_ptr(const ck_weight *w, int64_t r) {
    return (const uint8_t *)w->data + r * ck_row_bytes(w->dtype, w->cols);
}
static inline const uint8_t *ck_row_scales(const ck_weight *w, int64_t r) {
    return w->scales ? w->scales + r * (w->cols / 32) : NULL;
}

#endif
