/*
 * Causal attention over a KV cache with GQA, optional sliding window and optional per-head sink logits
 * (gpt-oss.md §2.4): the sink joins the softmax denominator only and carries no value.
 *
 * AVX2 path (head_dim a multiple of 8): work items are (tile of query rows, KV head). A tile gathers the query
 * vectors that share one KV head — every query head of the group for up to TILE_VECS / group consecutive rows —
 * transposed into Qt[d][r] with r = (row, head). Keys are then walked in blocks of KEY_BLOCK with an online
 * (flash-attention style) softmax: per block, scores S[j][r] come from register-blocked FMA micro-kernels
 * (broadcast a key element, multiply by 8 or 16 query lanes), so every key and value row is loaded once per tile
 * for all its query vectors, and the max, exp and sum steps all run down columns (no horizontal reductions).
 * Per query vector the running max starts at its sink (the sink contributes exp(S_h − m) to the denominator),
 * out-of-range keys of the tile (causal / window edges) are masked to −inf, and the accumulated Σ p·v is rescaled
 * by exp(m_old − m_new) when the max grows. Scratch per thread: Qt, S, accumulators: ~3·TILE_VECS·head_dim floats.
 *
 * Decode (T = 1) over spans of 8192 keys and more: chunks of SPLIT_CHUNK keys, each for every KV head at once, walking
 * whole K and V rows in order; the chunks' partial softmax states are merged in chunk order (attention_decode_split).
 *
 * AVX-512 (ck_avx512_enabled()): the same tile with the 512-bit micro-kernels of attention512.c for scores of 16- and
 * 32-lane groups, the softmax step and Σ p·v (an 8-lane rest of the query lanes keeps scores8; decode tiles of 8
 * and of at most 4 query vectors take the dim-pair and dim-quad kernels).
 *
 * Portable path (scalar switch, or head_dim not a multiple of 8): (query row, KV head) items, scores for the
 * whole key span of the group, softmax, then Σ p·v, with the run-time-dispatched vector helpers.
 *
 * F16 cache (ck_attention_f16): keys and values are IEEE halves, half the bytes of a long span. Every path widens
 * what it reads to floats first (a key block's K slices, then its V slices, into one KEY_BLOCK × head_dim buffer of
 * the tile; the portable path one row at a time) and runs the float kernels on them, so the arithmetic is that of
 * a float cache holding the same halves.
 */
#include "ck_internal.h"
#include <float.h>
#include <immintrin.h>
#include <math.h>
#include <string.h>
#include <omp.h>

enum {
    TILE_VECS = 32, /* query vectors (row, head) per tile: two 16-lane score passes share each key block */
    KEY_BLOCK = 64, /* keys per online-softmax block: the block's K and V rows and scores stay in L1 */
    PF_KEYS = 8,    /* keys per score group, each preceded by the prefetch of the next block's same keys */
    SPLIT_CHUNK = 1024, /* decode: keys per work item of a long span (attention_decode_split), fixed for every thread count */
    SPLIT_MIN_CHUNKS = 8 /* decode spans split from this many chunks on */
};

/* A layer's K and V cache rows: floats, or IEEE halves (half ≠ 0). */
typedef struct {
    const void *keys, *values;
    int half;
} kv_rows;

/* Bytes per cache element. */
static inline int64_t kv_elem(kv_rows kv) { return kv.half ? 2 : 4; }

/* Element `at` of the K (or V) rows, as a byte pointer. */
static inline const char *kv_at(const void *base, kv_rows kv, int64_t at) {
    return (const char *)base + at * kv_elem(kv);
}

/* The n cache elements from element `at` of base as floats: the row itself for a float cache, else the halves
 * widened (exactly) into row[0 ..< n]. */
static inline const float *kv_row(kv_rows kv, const void *base, int64_t at, int64_t n, float *row) {
    if (!kv.half) return (const float *)base + at;
    const uint16_t *h = (const uint16_t *)base + at;
    for (int64_t i = 0; i < n; i++) row[i] = ck_f16_to_float(h[i]);
    return row;
}

/* dst[0 ..< n] = the n halves at src as floats, n a multiple of 8 (F16C). */
__attribute__((target("avx2,fma,f16c"))) static inline void kv_widen8(const char *src, int64_t n, float *dst) {
    for (int64_t i = 0; i < n; i += 8)
        _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(const void *)(src + 2 * i))));
}

/* As kv_widen8 for n a multiple of 16, 16 at a time (AVX-512F): half the instructions, which the T = 1 tile of a
 * cache-resident span feels (20b's sliding layers: 128 keys). */
__attribute__((target(CK_AVX512_TARGET))) static void kv_widen16_512(const char *src, int64_t n, float *dst) {
    for (int64_t i = 0; i < n; i += 16)
        _mm512_storeu_ps(dst + i, _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(const void *)(src + 2 * i))));
}

/* Widens the n-element slices (n a multiple of 8) at element col of the nb cache rows from slot onward (wrapping at
 * slots; rows kw elements apart) into dst[j·n ..< (j+1)·n]. */
__attribute__((target("avx2,fma,f16c"))) static void kv_widen_block(const void *base, int64_t slot, int64_t slots,
                                                                  int64_t kw, int64_t col, int64_t n, int64_t nb,
                                                                  int wide, float *dst) {
    for (int64_t j = 0; j < nb; j++) {
        const char *src = (const char *)base + 2 * (slot * kw + col);
        if (wide && n % 16 == 0)
            kv_widen16_512(src, n, dst + j * n);
        else
            kv_widen8(src, n, dst + j * n);
        slot = slot + 1 == slots ? 0 : slot + 1;
    }
}

/* Window start of the query at absolute position pos. */
static inline int64_t first_key(const ck_attention_params *p, int64_t pos) {
    return p->window > 0 && pos - p->window + 1 > 0 ? pos - p->window + 1 : 0;
}

/* ------------------------------------------------------------------------------------------- portable path */

static int attention_portable(ck_context *ctx, const float *q, int64_t T, kv_rows kv, const float *sinks,
                              const ck_attention_params *p, float *out, int threads) {
    const int64_t H = p->heads, KV = p->kv_heads, D = p->head_dim, slots = p->slots;
    const int64_t G = H / KV, qw = H * D, kw = KV * D;
    const int64_t keys_max = p->window > 0 && p->window < slots ? p->window : slots;
    const int team = ck_team(threads, T * H * keys_max * D, 16384);
    for (int i = 0; i < team; i++)
        if (!ck_buffer_reserve(&ctx->thread_scratch[i], G * keys_max + D)) return CK_ERR_NOMEM;
    /* Cyclic split (item = id, id + nt, …) balances the causal triangle; CK_PARALLEL avoids libomp's per-loop
       allocations (see ck_internal.h). */
    CK_PARALLEL(team, nt, id, {
    for (int64_t item = id; item < T * KV; item += nt) {
        const int64_t t = item / KV, g = item % KV;
        const int64_t pos = p->first_position + t;
        const int64_t lo = first_key(p, pos);
        const int64_t n = pos - lo + 1; /* ≤ keys_max: validated by the caller */
        const float *qg = q + t * qw + g * G * D;
        float *og = out + t * qw + g * G * D;
        float *score = ctx->thread_scratch[id].ptr; /* [G, n] */
        float *row = score + G * keys_max;          /* [D]: one K or V slice as floats */
        for (int64_t j = 0; j < n; j++) {
            const float *k = kv_row(kv, kv.keys, ((lo + j) % slots) * kw + g * D, D, row);
            for (int64_t hh = 0; hh < G; hh++) score[hh * n + j] = p->scale * ck_dot_f32(qg + hh * D, k, D);
        }
        for (int64_t hh = 0; hh < G; hh++) {
            float *s = score + hh * n;
            float m = -INFINITY;
            for (int64_t j = 0; j < n; j++) m = s[j] > m ? s[j] : m;
            const float sink = sinks ? sinks[g * G + hh] : -INFINITY;
            if (sinks && sink > m) m = sink;
            const float den = (sinks ? expf(sink - m) : 0.f) + ck_exp_sum(s, m, s, n);
            ck_scale_f32(1.0f / den, s, n); /* probabilities; the sink's share is dropped */
        }
        for (int64_t i = 0; i < G * D; i++) og[i] = 0.f;
        for (int64_t j = 0; j < n; j++) {
            const float *v = kv_row(kv, kv.values, ((lo + j) % slots) * kw + g * D, D, row);
            for (int64_t hh = 0; hh < G; hh++) ck_axpy_f32(score[hh * n + j], v, og + hh * D, D);
        }
    }
    });
    return CK_OK;
}

/* ------------------------------------------------------------------------------------------------ AVX2 path */

/* S[j][r0 ..< r0+16] = scale · Σ_d K_j[d]·Qt[d][r0 ..< r0+16] for the nb keys of a block, 4 keys at a time. */
__attribute__((target("avx2,fma"), always_inline)) static inline void scores16(const float *qt, int64_t mp,
                                                                              const float *const *kp, int64_t nb,
                                                                              int64_t D, float scale, float *s) {
    const __m256 sc = _mm256_set1_ps(scale);
    int64_t j = 0;
    for (; j + 4 <= nb; j += 4) {
        const float *k0 = kp[j], *k1 = kp[j + 1], *k2 = kp[j + 2], *k3 = kp[j + 3];
        __m256 a00 = _mm256_setzero_ps(), a01 = _mm256_setzero_ps(), a10 = _mm256_setzero_ps();
        __m256 a11 = _mm256_setzero_ps(), a20 = _mm256_setzero_ps(), a21 = _mm256_setzero_ps();
        __m256 a30 = _mm256_setzero_ps(), a31 = _mm256_setzero_ps();
        for (int64_t d = 0; d < D; d++) {
            const __m256 q0 = _mm256_load_ps(qt + d * mp), q1 = _mm256_load_ps(qt + d * mp + 8);
            __m256 k = _mm256_broadcast_ss(k0 + d);
            a00 = _mm256_fmadd_ps(k, q0, a00); a01 = _mm256_fmadd_ps(k, q1, a01);
            k = _mm256_broadcast_ss(k1 + d);
            a10 = _mm256_fmadd_ps(k, q0, a10); a11 = _mm256_fmadd_ps(k, q1, a11);
            k = _mm256_broadcast_ss(k2 + d);
            a20 = _mm256_fmadd_ps(k, q0, a20); a21 = _mm256_fmadd_ps(k, q1, a21);
            k = _mm256_broadcast_ss(k3 + d);
            a30 = _mm256_fmadd_ps(k, q0, a30); a31 = _mm256_fmadd_ps(k, q1, a31);
        }
        _mm256_store_ps(s + j * mp, _mm256_mul_ps(a00, sc)); _mm256_store_ps(s + j * mp + 8, _mm256_mul_ps(a01, sc));
        _mm256_store_ps(s + (j + 1) * mp, _mm256_mul_ps(a10, sc));
        _mm256_store_ps(s + (j + 1) * mp + 8, _mm256_mul_ps(a11, sc));
        _mm256_store_ps(s + (j + 2) * mp, _mm256_mul_ps(a20, sc));
        _mm256_store_ps(s + (j + 2) * mp + 8, _mm256_mul_ps(a21, sc));
        _mm256_store_ps(s + (j + 3) * mp, _mm256_mul_ps(a30, sc));
        _mm256_store_ps(s + (j + 3) * mp + 8, _mm256_mul_ps(a31, sc));
    }
    for (; j < nb; j++) {
        const float *k0 = kp[j];
        __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
        for (int64_t d = 0; d < D; d++) {
            const __m256 k = _mm256_broadcast_ss(k0 + d);
            a0 = _mm256_fmadd_ps(k, _mm256_load_ps(qt + d * mp), a0);
            a1 = _mm256_fmadd_ps(k, _mm256_load_ps(qt + d * mp + 8), a1);
        }
        _mm256_store_ps(s + j * mp, _mm256_mul_ps(a0, sc));
        _mm256_store_ps(s + j * mp + 8, _mm256_mul_ps(a1, sc));
    }
}

/* As scores16 for 8 query lanes, 8 keys at a time (one query load serves eight key broadcasts). */
__attribute__((target("avx2,fma"), always_inline)) static inline void scores8(const float *qt, int64_t mp,
                                                                             const float *const *kp, int64_t nb,
                                                                             int64_t D, float scale, float *s) {
    const __m256 sc = _mm256_set1_ps(scale);
    int64_t j = 0;
    for (; j + 8 <= nb; j += 8) {
        const float *const *k = kp + j;
        __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps();
        __m256 a3 = _mm256_setzero_ps(), a4 = _mm256_setzero_ps(), a5 = _mm256_setzero_ps();
        __m256 a6 = _mm256_setzero_ps(), a7 = _mm256_setzero_ps();
        for (int64_t d = 0; d < D; d++) {
            const __m256 qv = _mm256_load_ps(qt + d * mp);
            a0 = _mm256_fmadd_ps(_mm256_broadcast_ss(k[0] + d), qv, a0);
            a1 = _mm256_fmadd_ps(_mm256_broadcast_ss(k[1] + d), qv, a1);
            a2 = _mm256_fmadd_ps(_mm256_broadcast_ss(k[2] + d), qv, a2);
            a3 = _mm256_fmadd_ps(_mm256_broadcast_ss(k[3] + d), qv, a3);
            a4 = _mm256_fmadd_ps(_mm256_broadcast_ss(k[4] + d), qv, a4);
            a5 = _mm256_fmadd_ps(_mm256_broadcast_ss(k[5] + d), qv, a5);
            a6 = _mm256_fmadd_ps(_mm256_broadcast_ss(k[6] + d), qv, a6);
            a7 = _mm256_fmadd_ps(_mm256_broadcast_ss(k[7] + d), qv, a7);
        }
        _mm256_store_ps(s + (j + 0) * mp, _mm256_mul_ps(a0, sc));
        _mm256_store_ps(s + (j + 1) * mp, _mm256_mul_ps(a1, sc));
        _mm256_store_ps(s + (j + 2) * mp, _mm256_mul_ps(a2, sc));
        _mm256_store_ps(s + (j + 3) * mp, _mm256_mul_ps(a3, sc));
        _mm256_store_ps(s + (j + 4) * mp, _mm256_mul_ps(a4, sc));
        _mm256_store_ps(s + (j + 5) * mp, _mm256_mul_ps(a5, sc));
        _mm256_store_ps(s + (j + 6) * mp, _mm256_mul_ps(a6, sc));
        _mm256_store_ps(s + (j + 7) * mp, _mm256_mul_ps(a7, sc));
    }
    for (; j < nb; j++) {
        __m256 a = _mm256_setzero_ps();
        for (int64_t d = 0; d < D; d++)
            a = _mm256_fmadd_ps(_mm256_broadcast_ss(kp[j] + d), _mm256_load_ps(qt + d * mp), a);
        _mm256_store_ps(s + j * mp, _mm256_mul_ps(a, sc));
    }
}

/* acc[r][c ..< c+16] = alpha[r]·acc[r][c ..< c+16] + Σ_j P[j][r]·V_j[c ..< c+16] for 4 query vectors r0 ..< r0+4
 * (or 8 columns when c+16 > D). */
__attribute__((target("avx2,fma"), always_inline)) static inline void values4(const float *pr, int64_t mp,
                                                                             const float *const *vp, int64_t nb,
                                                                             int64_t c, int64_t D, const float *alpha,
                                                                             float *acc) {
    if (c + 16 <= D) {
        __m256 a00 = _mm256_setzero_ps(), a01 = _mm256_setzero_ps(), a10 = _mm256_setzero_ps();
        __m256 a11 = _mm256_setzero_ps(), a20 = _mm256_setzero_ps(), a21 = _mm256_setzero_ps();
        __m256 a30 = _mm256_setzero_ps(), a31 = _mm256_setzero_ps();
        for (int64_t j = 0; j < nb; j++) {
            const __m256 v0 = _mm256_loadu_ps(vp[j] + c), v1 = _mm256_loadu_ps(vp[j] + c + 8);
            const float *pj = pr + j * mp;
            __m256 w = _mm256_broadcast_ss(pj);
            a00 = _mm256_fmadd_ps(w, v0, a00); a01 = _mm256_fmadd_ps(w, v1, a01);
            w = _mm256_broadcast_ss(pj + 1);
            a10 = _mm256_fmadd_ps(w, v0, a10); a11 = _mm256_fmadd_ps(w, v1, a11);
            w = _mm256_broadcast_ss(pj + 2);
            a20 = _mm256_fmadd_ps(w, v0, a20); a21 = _mm256_fmadd_ps(w, v1, a21);
            w = _mm256_broadcast_ss(pj + 3);
            a30 = _mm256_fmadd_ps(w, v0, a30); a31 = _mm256_fmadd_ps(w, v1, a31);
        }
        const __m256 al0 = _mm256_broadcast_ss(alpha), al1 = _mm256_broadcast_ss(alpha + 1);
        const __m256 al2 = _mm256_broadcast_ss(alpha + 2), al3 = _mm256_broadcast_ss(alpha + 3);
        float *o0 = acc + c, *o1 = o0 + D, *o2 = o1 + D, *o3 = o2 + D;
        _mm256_store_ps(o0, _mm256_fmadd_ps(_mm256_load_ps(o0), al0, a00));
        _mm256_store_ps(o0 + 8, _mm256_fmadd_ps(_mm256_load_ps(o0 + 8), al0, a01));
        _mm256_store_ps(o1, _mm256_fmadd_ps(_mm256_load_ps(o1), al1, a10));
        _mm256_store_ps(o1 + 8, _mm256_fmadd_ps(_mm256_load_ps(o1 + 8), al1, a11));
        _mm256_store_ps(o2, _mm256_fmadd_ps(_mm256_load_ps(o2), al2, a20));
        _mm256_store_ps(o2 + 8, _mm256_fmadd_ps(_mm256_load_ps(o2 + 8), al2, a21));
        _mm256_store_ps(o3, _mm256_fmadd_ps(_mm256_load_ps(o3), al3, a30));
        _mm256_store_ps(o3 + 8, _mm256_fmadd_ps(_mm256_load_ps(o3 + 8), al3, a31));
    } else {
        __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
        for (int64_t j = 0; j < nb; j++) {
            const __m256 v = _mm256_loadu_ps(vp[j] + c);
            const float *pj = pr + j * mp;
            a0 = _mm256_fmadd_ps(_mm256_broadcast_ss(pj), v, a0);
            a1 = _mm256_fmadd_ps(_mm256_broadcast_ss(pj + 1), v, a1);
            a2 = _mm256_fmadd_ps(_mm256_broadcast_ss(pj + 2), v, a2);
            a3 = _mm256_fmadd_ps(_mm256_broadcast_ss(pj + 3), v, a3);
        }
        float *o0 = acc + c, *o1 = o0 + D, *o2 = o1 + D, *o3 = o2 + D;
        _mm256_store_ps(o0, _mm256_fmadd_ps(_mm256_load_ps(o0), _mm256_broadcast_ss(alpha), a0));
        _mm256_store_ps(o1, _mm256_fmadd_ps(_mm256_load_ps(o1), _mm256_broadcast_ss(alpha + 1), a1));
        _mm256_store_ps(o2, _mm256_fmadd_ps(_mm256_load_ps(o2), _mm256_broadcast_ss(alpha + 2), a2));
        _mm256_store_ps(o3, _mm256_fmadd_ps(_mm256_load_ps(o3), _mm256_broadcast_ss(alpha + 3), a3));
    }
}

/* Per-thread scratch layout of the AVX2 path (floats, every array 32-byte aligned; mp = padded vector count). */
typedef struct {
    float *qt;        /* [D][mp] transposed query vectors (0 in padded lanes) */
    float *s;         /* [KEY_BLOCK][mp] scores, then probabilities */
    float *acc;       /* [mp][D] running Σ p·v */
    float *m, *l;     /* [mp] running max and denominator */
    float *alpha;     /* [mp] rescale factor of the current block */
    const float **kp; /* [KEY_BLOCK] key row pointers of the block */
    const float **vp; /* [KEY_BLOCK] value row pointers of the block */
    float *wide_rows; /* [KEY_BLOCK][D] an F16 cache's K slices of the block, then its V slices, as floats */
} tile_scratch;

static int64_t tile_scratch_floats(int64_t D) {
    /* pointer arrays are counted as 2 floats per pointer */
    return D * TILE_VECS + KEY_BLOCK * TILE_VECS + TILE_VECS * D + 3 * TILE_VECS + 4 * KEY_BLOCK + KEY_BLOCK * D + 8;
}

static tile_scratch tile_scratch_at(float *base, int64_t D) {
    tile_scratch t;
    t.qt = base;
    t.s = t.qt + D * TILE_VECS;
    t.acc = t.s + KEY_BLOCK * TILE_VECS;
    t.m = t.acc + TILE_VECS * D;
    t.l = t.m + TILE_VECS;
    t.alpha = t.l + TILE_VECS;
    t.kp = (const float **)(void *)(t.alpha + TILE_VECS);
    t.vp = t.kp + KEY_BLOCK;
    t.wide_rows = (float *)(void *)(t.vp + KEY_BLOCK);
    return t;
}

/* Prefetches the elements [col, col + width) of the K and V rows of up to n keys from absolute position j0 (none
 * past j_end): one KV head's slice (col = g·D, width = D) or whole rows (col = 0, width = kv_heads·D). With the T0 hint
 * (L1 and L2) rather than T1 (L2): ck_attention T = 1, 20b's 64/8 heads × 64, 8 layers cycled from DRAM, 2 threads,
 * interleaved, best / mean of 10: 16384 keys 2.43–2.67 / 2.65–3.21 ms against 2.50–3.86 / 3.16–4.21 ms, 4096 keys
 * 0.64 / 0.72–0.75 against 0.67–0.68 / 0.73–0.83; mini's 8/2 heads the same within noise. */
static inline void prefetch_keys(kv_rows kv, const ck_attention_params *p, int64_t col, int64_t width, int64_t j0,
                                 int64_t n, int64_t j_end) {
    const int64_t kw = p->kv_heads * p->head_dim, slots = p->slots, bytes = width * kv_elem(kv);
    const int64_t nb = j_end + 1 - j0 < n ? j_end + 1 - j0 : n;
    int64_t slot = j0 % slots;
    for (int64_t j = 0; j < nb; j++) {
        const char *kr = kv_at(kv.keys, kv, slot * kw + col), *vr = kv_at(kv.values, kv, slot * kw + col);
        for (int64_t b = 0; b < bytes; b += 64) {
            _mm_prefetch(kr + b, _MM_HINT_T0);
            _mm_prefetch(vr + b, _MM_HINT_T0);
        }
        slot = slot + 1 == slots ? 0 : slot + 1;
    }
}

/* A tile's query vectors: nh heads of KV head g for some rows (M = rows·nh ≤ TILE_VECS, padded to mp lanes; Σ p·v
 * runs the first m4). */
typedef struct {
    int64_t g, nh, M, mp, m4;
    float *q2, *q4; /* Q packed in dim pairs (8-lane tiles) or dim quads (≤ 4 vectors), else NULL */
} tile_shape;

/* Prefetch during a key block's scores: before score group i (PF_KEYS keys) the columns [col, col + width) of keys
 * base + i·step … base + (i+1)·step − 1, none past `end`. */
typedef struct {
    int64_t base, step, end, col, width;
} tile_prefetch;

/* Starts a tile: Qt[d][r] with r = row·nh + head, the running max at the sink (which adds exp(S − m) = 1 to the
 * denominator; no sinks: −FLT_MAX and 0), zero accumulators, and the packed Q of the decode score kernels. */
__attribute__((target("avx2,fma"))) static tile_shape tile_begin(const float *q, const float *sinks,
                                                               const ck_attention_params *p, int64_t t0, int64_t rows,
                                                               int64_t g, int64_t h0, int64_t nh, tile_scratch ts,
                                                               int wide) {
    const int64_t D = p->head_dim, qw = p->heads * D;
    tile_shape sh = {g, nh, rows * nh, 0, 0, NULL, NULL};
    sh.mp = (sh.M + 7) & ~(int64_t)7;
    sh.m4 = (sh.M + 3) & ~(int64_t)3;
    for (int64_t r = 0; r < sh.mp; r++) {
        if (r < sh.M) {
            const float *qv = q + (t0 + r / nh) * qw + (h0 + r % nh) * D;
            for (int64_t d = 0; d < D; d++) ts.qt[d * sh.mp + r] = qv[d];
            const float sink = sinks ? sinks[h0 + r % nh] : -INFINITY;
            ts.m[r] = sink > -FLT_MAX ? sink : -FLT_MAX;
            ts.l[r] = sinks ? expf(sink - ts.m[r]) : 0.f;
        } else {
            for (int64_t d = 0; d < D; d++) ts.qt[d * sh.mp + r] = 0.f;
            ts.m[r] = -FLT_MAX;
            ts.l[r] = 1.f;
        }
    }
    for (int64_t i = 0; i < sh.mp * D; i++) ts.acc[i] = 0.f;
    /* 8 lanes (decode): Q in dim pairs after Qt (the tile's Qt holds TILE_VECS·D floats, this one uses 8·D + 8·D), or
     * in dim quads where at most 4 lanes are real (8·D + 4·D); Σ p·v then skips the empty rows 4–7 as well */
    if (wide && sh.mp == 8) {
        if (sh.M > 4) {
            sh.q2 = ts.qt + 8 * D;
            ck_attn_pack_q8(ts.qt, D, sh.q2);
        } else {
            sh.q4 = ts.qt + 8 * D;
            ck_attn_pack_q4(ts.qt, D, sh.q4);
        }
    }
    return sh;
}

/* Keys j0 ..< j0+nb (nb ≤ KEY_BLOCK) for a tile whose rows sit at positions pos_first … (window starts lo_first …
 * lo_last): scores, the causal / window edges, the online softmax and Σ p·v. */
__attribute__((target("avx2,fma,f16c"))) static void tile_block(kv_rows kv, const ck_attention_params *p, tile_scratch ts,
                                                          const tile_shape *sh, int64_t j0, int64_t nb,
                                                          int64_t pos_first, int64_t lo_last, tile_prefetch pf,
                                                          int wide) {
    const int64_t D = p->head_dim, slots = p->slots, kw = p->kv_heads * D, g = sh->g, mp = sh->mp, M = sh->M;
    int64_t slot = j0 % slots;
    if (kv.half) /* the K slices widened here, the V slices after the scores (same buffer) */
        kv_widen_block(kv.keys, slot, slots, kw, g * D, D, nb, wide, ts.wide_rows);
    for (int64_t j = 0; j < nb; j++) {
        if (kv.half) {
            ts.kp[j] = ts.vp[j] = ts.wide_rows + j * D;
        } else {
            ts.kp[j] = (const float *)kv.keys + slot * kw + g * D;
            ts.vp[j] = (const float *)kv.values + slot * kw + g * D;
        }
        slot = slot + 1 == slots ? 0 : slot + 1;
    }
    /* 1. scores, PF_KEYS keys at a time. Before each group the same keys of the next block head for L1/L2, so the
     * misses of a long decode span (one KV head's 4-line slice of every 2 KB row: no stream for the hardware
     * prefetcher) are spread over the block's compute; issued as one burst per block they stalled on the miss
     * buffers (20b, T = 1, 16384 keys, two interleaved pairs: 9.1–11.2 → 5.9–7.6 ms per layer on one thread,
     * 5.2–5.6 → 3.8–4.9 ms on two). Each score is one key's own dot product: the grouping keeps the bits. */
    for (int64_t js = 0; js < nb; js += PF_KEYS) {
        const int64_t ns = nb - js < PF_KEYS ? nb - js : PF_KEYS;
        float *sj = ts.s + js * mp;
        prefetch_keys(kv, p, pf.col, pf.width, pf.base + js / PF_KEYS * pf.step, pf.step, pf.end);
        if (sh->q2 || sh->q4) {
            const int64_t done = sh->q2 ? ck_attn_scores8_512(sh->q2, ts.kp + js, ns, D, p->scale, sj)
                                        : ck_attn_scores4_512(sh->q4, ts.kp + js, ns, D, p->scale, sj);
            if (done < ns) scores8(ts.qt, mp, ts.kp + js + done, ns - done, D, p->scale, sj + done * mp);
            continue;
        }
        int64_t r0 = wide ? ck_attn_scores_512(ts.qt, mp, ts.kp + js, ns, D, p->scale, sj) : 0;
        for (; r0 + 16 <= mp; r0 += 16) scores16(ts.qt + r0, mp, ts.kp + js, ns, D, p->scale, sj + r0);
        if (r0 < mp) scores8(ts.qt + r0, mp, ts.kp + js, ns, D, p->scale, sj + r0);
    }
    /* 2. causal / window edges of the tile: keys outside lo(pos) ..= pos of a row get −inf */
    if (j0 + nb - 1 > pos_first || j0 < lo_last) {
        for (int64_t r = 0; r < M; r++) {
            const int64_t pos = pos_first + r / sh->nh, lo = first_key(p, pos);
            for (int64_t j = 0; j < nb; j++)
                if (j0 + j > pos || j0 + j < lo) ts.s[j * mp + r] = -INFINITY;
        }
    }
    /* 3. online softmax, 8 vectors per step (16 on 512 bits), all down columns */
    for (int64_t r = wide ? ck_attn_softmax_512(ts.s, mp, nb, ts.m, ts.l, ts.alpha) : 0; r < mp; r += 8) {
        __m256 mx = _mm256_load_ps(ts.m + r);
        const __m256 m_old = mx;
        for (int64_t j = 0; j < nb; j++) mx = _mm256_max_ps(mx, _mm256_load_ps(ts.s + j * mp + r));
        __m256 sum = _mm256_setzero_ps();
        for (int64_t j = 0; j < nb; j++) {
            const __m256 e = ck_exp256(_mm256_sub_ps(_mm256_load_ps(ts.s + j * mp + r), mx));
            _mm256_store_ps(ts.s + j * mp + r, e);
            sum = _mm256_add_ps(sum, e);
        }
        const __m256 alpha = ck_exp256(_mm256_sub_ps(m_old, mx));
        _mm256_store_ps(ts.alpha + r, alpha);
        _mm256_store_ps(ts.l + r, _mm256_fmadd_ps(_mm256_load_ps(ts.l + r), alpha, sum));
        _mm256_store_ps(ts.m + r, mx);
    }
    /* 4. acc = alpha·acc + P·V */
    if (kv.half) kv_widen_block(kv.values, j0 % slots, slots, kw, g * D, D, nb, wide, ts.wide_rows);
    if (wide) ck_attn_values_512(ts.s, mp, sh->m4, ts.vp, nb, D, ts.alpha, ts.acc);
    for (int64_t r = 0; !wide && r < sh->m4; r += 4)
        for (int64_t c = 0; c < D; c += 16) values4(ts.s + r, mp, ts.vp, nb, c, D, ts.alpha + r, ts.acc + r * D);
}

/* One tile: rows t0 ..< t0+rows, heads h0 ..< h0+nh of KV head g (nh·rows ≤ TILE_VECS), over every key its rows
 * see, written to out normalised. */
__attribute__((target("avx2,fma"))) static void attention_tile(const float *q, kv_rows kv, const float *sinks,
                                                              const ck_attention_params *p,
                                                              float *out, int64_t t0, int64_t rows, int64_t g,
                                                              int64_t h0, int64_t nh, tile_scratch ts, int wide) {
    const int64_t D = p->head_dim, qw = p->heads * D;
    const int64_t pos_first = p->first_position + t0, pos_last = pos_first + rows - 1;
    const int64_t lo_first = first_key(p, pos_first), lo_last = first_key(p, pos_last);
    const tile_shape sh = tile_begin(q, sinks, p, t0, rows, g, h0, nh, ts, wide);
    prefetch_keys(kv, p, g * D, D, lo_first, KEY_BLOCK, pos_last); /* the first block's misses at once */
    for (int64_t j0 = lo_first; j0 <= pos_last; j0 += KEY_BLOCK) {
        const int64_t nb = pos_last + 1 - j0 < KEY_BLOCK ? pos_last + 1 - j0 : KEY_BLOCK;
        const tile_prefetch pf = {j0 + KEY_BLOCK, PF_KEYS, pos_last, g * D, D}; /* this head's slice, same keys */
        tile_block(kv, p, ts, &sh, j0, nb, pos_first, lo_last, pf, wide);
    }
    for (int64_t r = 0; r < sh.M; r++) {
        float *o = out + (t0 + r / nh) * qw + (h0 + r % nh) * D;
        const __m256 inv = _mm256_set1_ps(1.0f / ts.l[r]);
        for (int64_t d = 0; d < D; d += 8) _mm256_storeu_ps(o + d, _mm256_mul_ps(_mm256_load_ps(ts.acc + r * D + d), inv));
    }
}

/* Decode (T = 1) over a long span, split into chunks of SPLIT_CHUNK keys, each one work item for every KV head at
 * once: a chunk walks its key blocks and, per block, every KV head's tile in turn, prefetching the next block's whole
 * K and V rows a few keys before each group of scores. One KV head's slice of each row is a strided pattern the
 * hardware prefetcher does not follow; whole rows in order are one stream. Each chunk leaves per query head its
 * running max, denominator and Σ p·v; after a barrier they are merged in chunk order (the sink sits in chunk 0), so
 * the bits do not depend on the thread count. */
__attribute__((target("avx2,fma"))) static int attention_decode_split(ck_context *ctx, const float *q, kv_rows kv,
                                                                      const float *sinks, const ck_attention_params *p,
                                                                      float *out, int threads, int wide) {
    const int64_t H = p->heads, KV = p->kv_heads, D = p->head_dim, G = H / KV;
    const int64_t pos = p->first_position, lo = first_key(p, pos), span = pos + 1 - lo;
    const int64_t chunks = (span + SPLIT_CHUNK - 1) / SPLIT_CHUNK, part_floats = D + 2;
    const int64_t groups = KEY_BLOCK / PF_KEYS, kpp = (KEY_BLOCK + KV * groups - 1) / (KV * groups);
    int team = ck_team(threads, H * span * D, 16384);
    if (team > chunks) team = (int)chunks;
    const int64_t per_thread = KV * tile_scratch_floats(D);
    for (int i = 0; i < team; i++)
        if (!ck_buffer_reserve(&ctx->thread_scratch[i], per_thread)) return CK_ERR_NOMEM;
    float *part = ck_buffer_reserve(&ctx->shared[CK_SHARED_ATTN], chunks * H * part_floats);
    if (!part) return CK_ERR_NOMEM;
    CK_PARALLEL(team, nt, id, {
        tile_scratch ts[KV]; /* KV head g's tile */
        tile_shape sh[KV];
        for (int64_t g = 0; g < KV; g++) {
            ts[g] = tile_scratch_at(ctx->thread_scratch[id].ptr + g * tile_scratch_floats(D), D);
            ts[g].wide_rows = ts[0].wide_rows; /* one head's block at a time: the widened rows can share a buffer */
        }
        for (int64_t c = id; c < chunks; c += nt) {
            const int64_t c0 = lo + c * SPLIT_CHUNK, c1 = c0 + SPLIT_CHUNK < pos + 1 ? c0 + SPLIT_CHUNK : pos + 1;
            for (int64_t g = 0; g < KV; g++) sh[g] = tile_begin(q, c == 0 ? sinks : NULL, p, 0, 1, g, g * G, G, ts[g], wide);
            for (int64_t j0 = c0; j0 < c1; j0 += KEY_BLOCK) {
                const int64_t nb = c1 - j0 < KEY_BLOCK ? c1 - j0 : KEY_BLOCK;
                for (int64_t g = 0; g < KV; g++) { /* whole rows of the next block, kpp keys per score group */
                    const tile_prefetch pf = {j0 + KEY_BLOCK + g * groups * kpp, kpp, c1 - 1, 0, KV * D};
                    tile_block(kv, p, ts[g], &sh[g], j0, nb, pos, lo, pf, wide);
                }
            }
            for (int64_t g = 0; g < KV; g++)
                for (int64_t r = 0; r < G; r++) {
                    float *dst = part + (c * H + g * G + r) * part_floats;
                    dst[0] = ts[g].m[r];
                    dst[1] = ts[g].l[r];
                    memcpy(dst + 2, ts[g].acc + r * D, (size_t)D * sizeof(float));
                }
        }
        CK_BARRIER(nt);
        int64_t a, b;
        ck_split(H, nt, id, 1, &a, &b);
        for (int64_t h = a; h < b; h++) {
            float m = -FLT_MAX;
            for (int64_t c = 0; c < chunks; c++) m = fmaxf(m, part[(c * H + h) * part_floats]);
            float *o = out + h * D, l = 0.f;
            for (int64_t d = 0; d < D; d++) o[d] = 0.f;
            for (int64_t c = 0; c < chunks; c++) {
                const float *src = part + (c * H + h) * part_floats, w = expf(src[0] - m);
                l += w * src[1];
                for (int64_t d = 0; d < D; d++) o[d] += w * src[2 + d];
            }
            const float inv = 1.0f / l;
            for (int64_t d = 0; d < D; d++) o[d] *= inv;
        }
    });
    return CK_OK;
}

static int attention_avx2(ck_context *ctx, const float *q, int64_t T, kv_rows kv, const float *sinks,
                          const ck_attention_params *p, float *out, int threads) {
    const int64_t H = p->heads, KV = p->kv_heads, D = p->head_dim, slots = p->slots;
    const int64_t G = H / KV;
    const int wide = ck_avx512_enabled();
    /* from 8 chunks: 16384 keys, ms per layer on two threads: 20b 3.2–3.8 → 2.5–2.7, mini 0.79–0.85 → 0.56–0.57;
     * one thread within noise; 20b at 4096 keys one thread 8% slower, hence not below 8192 */
    if (T == 1 && G <= TILE_VECS && p->first_position + 1 - first_key(p, p->first_position) >= SPLIT_MIN_CHUNKS * SPLIT_CHUNK)
        return attention_decode_split(ctx, q, kv, sinks, p, out, threads, wide);
    /* heads per tile (a group larger than a tile is split) and rows per tile */
    const int64_t nh = G < TILE_VECS ? G : TILE_VECS, head_tiles = (G + nh - 1) / nh;
    const int64_t rows_per_tile = TILE_VECS / nh, row_tiles = (T + rows_per_tile - 1) / rows_per_tile;
    const int64_t keys_max = p->window > 0 && p->window < slots ? p->window : slots;
    const int team = ck_team(threads, T * H * keys_max * D, 16384);
    const int64_t per_thread = tile_scratch_floats(D);
    for (int i = 0; i < team; i++)
        if (!ck_buffer_reserve(&ctx->thread_scratch[i], per_thread)) return CK_ERR_NOMEM;
    const int64_t items = row_tiles * KV * head_tiles;
    /* Cyclic split balances the causal triangle; CK_PARALLEL avoids libomp's per-loop allocations. */
    CK_PARALLEL(team, nt, id, {
    for (int64_t item = id; item < items; item += nt) {
        const int64_t rt = item / (KV * head_tiles), rest = item % (KV * head_tiles);
        const int64_t g = rest / head_tiles, ht = rest % head_tiles;
        const int64_t t0 = rt * rows_per_tile, rows = T - t0 < rows_per_tile ? T - t0 : rows_per_tile;
        const int64_t h0 = g * G + ht * nh, n_heads = G - ht * nh < nh ? G - ht * nh : nh;
        attention_tile(q, kv, sinks, p, out, t0, rows, g, h0, n_heads,
                       tile_scratch_at(ctx->thread_scratch[id].ptr, D), wide);
    }
    });
    return CK_OK;
}

static int attention_run(ck_context *ctx, const float *q, int64_t T, kv_rows kv, const float *sinks,
                         const ck_attention_params *p, float *out, int threads) {
    const int64_t H = p->heads, KV = p->kv_heads, D = p->head_dim, slots = p->slots;
    if (H < 1 || KV < 1 || D < 1 || H % KV != 0 || slots < 1 || T < 1) return CK_ERR_ARGUMENT;
    pthread_mutex_lock(&ctx->lock);
    if (threads > ctx->max_threads) threads = ctx->max_threads;
    const int rc = ck_avx2_enabled() && D % 8 == 0
                       ? attention_avx2(ctx, q, T, kv, sinks, p, out, threads)
                       : attention_portable(ctx, q, T, kv, sinks, p, out, threads);
    pthread_mutex_unlock(&ctx->lock);
    return rc;
}

int ck_attention(ck_context *ctx, const float *q, int64_t T, const float *keys, const float *values,
                 const float *sinks, const ck_attention_params *p, float *out, int threads) {
    const kv_rows kv = {keys, values, 0};
    return attention_run(ctx, q, T, kv, sinks, p, out, threads);
}

int ck_attention_f16(ck_context *ctx, const float *q, int64_t T, const uint16_t *keys, const uint16_t *values,
                     const float *sinks, const ck_attention_params *p, float *out, int threads) {
    const kv_rows kv = {keys, values, 1};
    return attention_run(ctx, q, T, kv, sinks, p, out, threads);
}
