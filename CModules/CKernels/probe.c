/* Roofline probes: peak rates per instruction class and read bandwidth per memory tier, per thread count; the
 * `read` reference of the benchmark (a streaming read of given buffers). See include/ck_probe.h. */
#define _GNU_SOURCE
#include "ck_probe.h"
#include "ck_internal.h" /* CK_PARALLEL, ck_split, CK_MAX_THREADS, feature detection */

#include <omp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* Keeps a value alive so the compiler cannot drop the work that produced it. */
static volatile double ck_probe_sink;

/* ------------------------------------------------------------------ compute peaks */

/* Each chain function runs `iterations` rounds of 12 independent accumulator updates of one instruction class and
 * returns a value derived from every accumulator. The inputs come from `seed` (a run-time value), so nothing folds. */

#define CK_CHAINS(step)                                                                                            \
    for (long i = 0; i < iterations; i++) {                                                                        \
        step(c0); step(c1); step(c2); step(c3); step(c4); step(c5);                                                \
        step(c6); step(c7); step(c8); step(c9); step(c10); step(c11);                                              \
    }

__attribute__((target("avx2,fma"))) static double chains_fma256(long iterations, float seed) {
    __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f * seed);
    __m256 c0 = _mm256_set1_ps(seed), c1 = _mm256_set1_ps(seed + 1), c2 = _mm256_set1_ps(seed + 2);
    __m256 c3 = _mm256_set1_ps(seed + 3), c4 = _mm256_set1_ps(seed + 4), c5 = _mm256_set1_ps(seed + 5);
    __m256 c6 = _mm256_set1_ps(seed + 6), c7 = _mm256_set1_ps(seed + 7), c8 = _mm256_set1_ps(seed + 8);
    __m256 c9 = _mm256_set1_ps(seed + 9), c10 = _mm256_set1_ps(seed + 10), c11 = _mm256_set1_ps(seed + 11);
#define STEP(c) c = _mm256_fmadd_ps(c, a, b)
    CK_CHAINS(STEP)
#undef STEP
    __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(c0, c1), _mm256_add_ps(c2, c3)),
                             _mm256_add_ps(_mm256_add_ps(c4, c5), _mm256_add_ps(c6, c7)));
    s = _mm256_add_ps(s, _mm256_add_ps(_mm256_add_ps(c8, c9), _mm256_add_ps(c10, c11)));
    float lanes[8];
    _mm256_storeu_ps(lanes, s);
    double total = 0;
    for (int k = 0; k < 8; k++) total += lanes[k];
    return total;
}

__attribute__((target("avx512f"))) static double chains_fma512(long iterations, float seed) {
    __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f * seed);
    __m512 c0 = _mm512_set1_ps(seed), c1 = _mm512_set1_ps(seed + 1), c2 = _mm512_set1_ps(seed + 2);
    __m512 c3 = _mm512_set1_ps(seed + 3), c4 = _mm512_set1_ps(seed + 4), c5 = _mm512_set1_ps(seed + 5);
    __m512 c6 = _mm512_set1_ps(seed + 6), c7 = _mm512_set1_ps(seed + 7), c8 = _mm512_set1_ps(seed + 8);
    __m512 c9 = _mm512_set1_ps(seed + 9), c10 = _mm512_set1_ps(seed + 10), c11 = _mm512_set1_ps(seed + 11);
#define STEP(c) c = _mm512_fmadd_ps(c, a, b)
    CK_CHAINS(STEP)
#undef STEP
    __m512 s = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(c0, c1), _mm512_add_ps(c2, c3)),
                             _mm512_add_ps(_mm512_add_ps(c4, c5), _mm512_add_ps(c6, c7)));
    s = _mm512_add_ps(s, _mm512_add_ps(_mm512_add_ps(c8, c9), _mm512_add_ps(c10, c11)));
    return _mm512_reduce_add_ps(s);
}

/* Sum of the 8 int32 lanes of the 12 accumulators (wrapping): keeps every chain live. */
#define CK_FOLD256(fold)                                                                                           \
    __m256i fold = _mm256_add_epi32(_mm256_add_epi32(_mm256_add_epi32(c0, c1), _mm256_add_epi32(c2, c3)),          \
                                    _mm256_add_epi32(_mm256_add_epi32(c4, c5), _mm256_add_epi32(c6, c7)));         \
    fold = _mm256_add_epi32(fold, _mm256_add_epi32(_mm256_add_epi32(c8, c9), _mm256_add_epi32(c10, c11)))

__attribute__((target("avx2"))) static double fold256(__m256i v) {
    int32_t lanes[8];
    _mm256_storeu_si256((__m256i *)lanes, v);
    double total = 0;
    for (int k = 0; k < 8; k++) total += lanes[k];
    return total;
}

__attribute__((target("avx2"))) static double chains_maddubs256(long iterations, float seed) {
    const __m256i a = _mm256_set1_epi8((char)(1 + (int)seed)), b = _mm256_set1_epi8(3), ones = _mm256_set1_epi16(1);
    __m256i c0 = _mm256_set1_epi32((int)seed), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0;
    __m256i c6 = c0, c7 = c0, c8 = c0, c9 = c0, c10 = c0, c11 = c0;
    /* The kernels' 256-bit int8 dot: byte products to s16 pairs, to s32 quads, accumulated. `a` changes each round
     * through the accumulator it feeds, so the three instructions cannot be hoisted out of the loop. */
#define STEP(c) c = _mm256_add_epi32(c, _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_xor_si256(a, c), b), ones))
    CK_CHAINS(STEP)
#undef STEP
    CK_FOLD256(s);
    return fold256(s);
}

__attribute__((target("avx512vnni,avx512vl"))) static double chains_vnni256_evex(long iterations, float seed) {
    const __m256i a = _mm256_set1_epi8((char)(1 + (int)seed)), b = _mm256_set1_epi8(3);
    __m256i c0 = _mm256_set1_epi32((int)seed), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0;
    __m256i c6 = c0, c7 = c0, c8 = c0, c9 = c0, c10 = c0, c11 = c0;
#define STEP(c) c = _mm256_dpbusd_epi32(c, a, b)
    CK_CHAINS(STEP)
#undef STEP
    CK_FOLD256(s);
    return fold256(s);
}

__attribute__((target("avxvnni"))) static double chains_vnni256_vex(long iterations, float seed) {
    const __m256i a = _mm256_set1_epi8((char)(1 + (int)seed)), b = _mm256_set1_epi8(3);
    __m256i c0 = _mm256_set1_epi32((int)seed), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0;
    __m256i c6 = c0, c7 = c0, c8 = c0, c9 = c0, c10 = c0, c11 = c0;
#define STEP(c) c = _mm256_dpbusd_avx_epi32(c, a, b)
    CK_CHAINS(STEP)
#undef STEP
    CK_FOLD256(s);
    return fold256(s);
}

/* vpdpbusd (u8×s8 quads, `words` 0) or vpdpwssd (s16×s16 pairs, `words` 1) on 512 bits. */
__attribute__((target("avx512f,avx512bw,avx512vnni"))) static double chains_vnni512(long iterations, float seed,
                                                                                  int words) {
    const __m512i a = words ? _mm512_set1_epi16((short)(1 + (int)seed)) : _mm512_set1_epi8((char)(1 + (int)seed));
    const __m512i b = words ? _mm512_set1_epi16(3) : _mm512_set1_epi8(3);
    __m512i c0 = _mm512_set1_epi32((int)seed), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0;
    __m512i c6 = c0, c7 = c0, c8 = c0, c9 = c0, c10 = c0, c11 = c0;
#define STEP_B(c) c = _mm512_dpbusd_epi32(c, a, b)
#define STEP_W(c) c = _mm512_dpwssd_epi32(c, a, b)
    if (words) {
        CK_CHAINS(STEP_W)
    } else {
        CK_CHAINS(STEP_B)
    }
#undef STEP_B
#undef STEP_W
    __m512i s = _mm512_add_epi32(_mm512_add_epi32(_mm512_add_epi32(c0, c1), _mm512_add_epi32(c2, c3)),
                                 _mm512_add_epi32(_mm512_add_epi32(c4, c5), _mm512_add_epi32(c6, c7)));
    s = _mm512_add_epi32(s, _mm512_add_epi32(_mm512_add_epi32(c8, c9), _mm512_add_epi32(c10, c11)));
    return (double)_mm512_reduce_add_epi32(s);
}

__attribute__((target("avx512f,avx512bf16"))) static double chains_bf16dot512(long iterations, float seed) {
    const __m512bh a = (__m512bh)_mm512_set1_epi16((short)0x3f80), b = (__m512bh)_mm512_set1_epi16((short)0x3380);
    __m512 c0 = _mm512_set1_ps(seed), c1 = _mm512_set1_ps(seed + 1), c2 = _mm512_set1_ps(seed + 2);
    __m512 c3 = _mm512_set1_ps(seed + 3), c4 = _mm512_set1_ps(seed + 4), c5 = _mm512_set1_ps(seed + 5);
    __m512 c6 = _mm512_set1_ps(seed + 6), c7 = _mm512_set1_ps(seed + 7), c8 = _mm512_set1_ps(seed + 8);
    __m512 c9 = _mm512_set1_ps(seed + 9), c10 = _mm512_set1_ps(seed + 10), c11 = _mm512_set1_ps(seed + 11);
#define STEP(c) c = _mm512_dpbf16_ps(c, a, b)
    CK_CHAINS(STEP)
#undef STEP
    __m512 s = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(c0, c1), _mm512_add_ps(c2, c3)),
                             _mm512_add_ps(_mm512_add_ps(c4, c5), _mm512_add_ps(c6, c7)));
    s = _mm512_add_ps(s, _mm512_add_ps(_mm512_add_ps(c8, c9), _mm512_add_ps(c10, c11)));
    return _mm512_reduce_add_ps(s);
}

int ck_iclass_available(int cls) {
    switch (cls) {
    case CK_ICLASS_FMA256:
    case CK_ICLASS_INT8_MADDUBS256: return ck_has_avx2_fma();
    case CK_ICLASS_FMA512: return ck_has_avx512();
    case CK_ICLASS_INT8_VNNI256: return ck_has_vnni() || ck_has_avx_vnni();
    case CK_ICLASS_INT8_VNNI512:
    case CK_ICLASS_INT16_VNNI512: return ck_has_vnni();
    case CK_ICLASS_BF16_DOT512: return ck_has_avx512_bf16();
    default: return 0;
    }
}

int ck_iclass_bits(int cls) {
    switch (cls) {
    case CK_ICLASS_FMA256:
    case CK_ICLASS_INT8_MADDUBS256:
    case CK_ICLASS_INT8_VNNI256: return 256;
    case CK_ICLASS_FMA512:
    case CK_ICLASS_INT8_VNNI512:
    case CK_ICLASS_BF16_DOT512:
    case CK_ICLASS_INT16_VNNI512: return 512;
    default: return 0;
    }
}

/* Ops (multiplies and adds apart) of one round of 12 chains. */
static double ops_per_round(int cls) {
    switch (cls) {
    case CK_ICLASS_FMA256: return 12.0 * 8 * 2;
    case CK_ICLASS_FMA512: return 12.0 * 16 * 2;
    case CK_ICLASS_INT8_MADDUBS256: return 12.0 * 32 * 2;
    case CK_ICLASS_INT8_VNNI256: return 12.0 * 8 * 8;
    case CK_ICLASS_INT8_VNNI512: return 12.0 * 16 * 8;
    case CK_ICLASS_BF16_DOT512:
    case CK_ICLASS_INT16_VNNI512: return 12.0 * 16 * 4;
    default: return 0;
    }
}

static double run_chains(int cls, long iterations, float seed) {
    switch (cls) {
    case CK_ICLASS_FMA256: return chains_fma256(iterations, seed);
    case CK_ICLASS_FMA512: return chains_fma512(iterations, seed);
    case CK_ICLASS_INT8_MADDUBS256: return chains_maddubs256(iterations, seed);
    case CK_ICLASS_INT8_VNNI256:
        return ck_has_vnni() ? chains_vnni256_evex(iterations, seed) : chains_vnni256_vex(iterations, seed);
    case CK_ICLASS_INT8_VNNI512: return chains_vnni512(iterations, seed, 0);
    case CK_ICLASS_BF16_DOT512: return chains_bf16dot512(iterations, seed);
    case CK_ICLASS_INT16_VNNI512: return chains_vnni512(iterations, seed, 1);
    default: return 0;
    }
}

double ck_probe_peak_gops(int cls, int threads, long iterations, int repeats) {
    if (threads < 1 || threads > CK_MAX_THREADS || iterations < 1 || repeats < 1) return -1;
    if (!ck_iclass_available(cls)) return -1;
    double best = 0;
    for (int r = 0; r < repeats; r++) {
        double start = 0, elapsed = 0, total = 0;
        int team = 1;
#pragma omp parallel num_threads(threads) reduction(+ : total)
        {
#pragma omp barrier
#pragma omp master
            {
                team = omp_get_num_threads();
                start = omp_get_wtime();
            }
#pragma omp barrier
            total += run_chains(cls, iterations, 1.0f + (float)omp_get_thread_num());
#pragma omp barrier
#pragma omp master
            elapsed = omp_get_wtime() - start;
        }
        ck_probe_sink = total;
        double gops = ops_per_round(cls) * (double)iterations * team / elapsed / 1e9;
        if (gops > best) best = gops;
    }
    return best;
}

double ck_probe_fma_gflops(int threads, long iterations, int repeats) {
    int cls = ck_iclass_available(CK_ICLASS_FMA512) ? CK_ICLASS_FMA512 : CK_ICLASS_FMA256;
    return ck_probe_peak_gops(cls, threads, iterations, repeats);
}

/* ------------------------------------------------------------------ read bandwidth */

/* XOR fold of bytes [lo, hi) of `base` (lo a multiple of 64 from the range start): byte j contributes
 * base[j] << 8·(j mod 8). Each load width gives the same value, since a 64-bit lane at j holds bytes j … j + 7. */
static uint64_t xor_tail(const unsigned char *base, size_t j, size_t hi) {
    uint64_t x = 0;
    for (; j < hi; j++) x ^= (uint64_t)base[j] << (8 * (j & 7));
    return x;
}

static uint64_t xor_bytes_scalar(const unsigned char *base, size_t lo, size_t hi) {
    uint64_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    size_t j = lo;
    for (; j + 32 <= hi; j += 32) {
        uint64_t w[4];
        memcpy(w, base + j, sizeof w); /* little-endian x86: byte j + 8q + r lands at bits 8r of w[q] */
        a0 ^= w[0]; a1 ^= w[1]; a2 ^= w[2]; a3 ^= w[3];
    }
    return a0 ^ a1 ^ a2 ^ a3 ^ xor_tail(base, j, hi);
}

__attribute__((target("avx2"))) static uint64_t xor_bytes_avx2(const unsigned char *base, size_t lo, size_t hi) {
    __m256i a0 = _mm256_setzero_si256(), a1 = _mm256_setzero_si256();
    __m256i a2 = _mm256_setzero_si256(), a3 = _mm256_setzero_si256();
    size_t j = lo;
    for (; j + 128 <= hi; j += 128) {
        a0 = _mm256_xor_si256(a0, _mm256_loadu_si256((const __m256i *)(base + j)));
        a1 = _mm256_xor_si256(a1, _mm256_loadu_si256((const __m256i *)(base + j + 32)));
        a2 = _mm256_xor_si256(a2, _mm256_loadu_si256((const __m256i *)(base + j + 64)));
        a3 = _mm256_xor_si256(a3, _mm256_loadu_si256((const __m256i *)(base + j + 96)));
    }
    for (; j + 32 <= hi; j += 32) a0 = _mm256_xor_si256(a0, _mm256_loadu_si256((const __m256i *)(base + j)));
    __m256i a = _mm256_xor_si256(_mm256_xor_si256(a0, a1), _mm256_xor_si256(a2, a3));
    uint64_t lanes[4];
    _mm256_storeu_si256((__m256i *)lanes, a);
    return lanes[0] ^ lanes[1] ^ lanes[2] ^ lanes[3] ^ xor_tail(base, j, hi);
}

__attribute__((target("avx512f"))) static uint64_t fold512(__m512i a) {
    uint64_t lanes[8];
    _mm512_storeu_si512((void *)lanes, a);
    uint64_t x = 0;
    for (int k = 0; k < 8; k++) x ^= lanes[k];
    return x;
}

__attribute__((target("avx512f"))) static uint64_t xor_bytes_512(const unsigned char *base, size_t lo, size_t hi) {
    __m512i a0 = _mm512_setzero_si512(), a1 = _mm512_setzero_si512();
    __m512i a2 = _mm512_setzero_si512(), a3 = _mm512_setzero_si512();
    size_t j = lo;
    for (; j + 256 <= hi; j += 256) {
        a0 = _mm512_xor_si512(a0, _mm512_loadu_si512((const void *)(base + j)));
        a1 = _mm512_xor_si512(a1, _mm512_loadu_si512((const void *)(base + j + 64)));
        a2 = _mm512_xor_si512(a2, _mm512_loadu_si512((const void *)(base + j + 128)));
        a3 = _mm512_xor_si512(a3, _mm512_loadu_si512((const void *)(base + j + 192)));
    }
    for (; j + 64 <= hi; j += 64) a0 = _mm512_xor_si512(a0, _mm512_loadu_si512((const void *)(base + j)));
    return fold512(_mm512_xor_si512(_mm512_xor_si512(a0, a1), _mm512_xor_si512(a2, a3))) ^ xor_tail(base, j, hi);
}

/* Four independent streams: the quarters of [lo, hi) (each a multiple of 64 bytes long) read side by side. */
__attribute__((target("avx512f"))) static uint64_t xor_bytes_512_streams(const unsigned char *base, size_t lo,
                                                                          size_t hi) {
    size_t q = (hi - lo) / 4 / 64 * 64;
    const unsigned char *p0 = base + lo, *p1 = p0 + q, *p2 = p1 + q, *p3 = p2 + q;
    __m512i a0 = _mm512_setzero_si512(), a1 = _mm512_setzero_si512();
    __m512i a2 = _mm512_setzero_si512(), a3 = _mm512_setzero_si512();
    for (size_t j = 0; j + 128 <= q; j += 128) {
        a0 = _mm512_xor_si512(a0, _mm512_loadu_si512((const void *)(p0 + j)));
        a1 = _mm512_xor_si512(a1, _mm512_loadu_si512((const void *)(p1 + j)));
        a2 = _mm512_xor_si512(a2, _mm512_loadu_si512((const void *)(p2 + j)));
        a3 = _mm512_xor_si512(a3, _mm512_loadu_si512((const void *)(p3 + j)));
        a0 = _mm512_xor_si512(a0, _mm512_loadu_si512((const void *)(p0 + j + 64)));
        a1 = _mm512_xor_si512(a1, _mm512_loadu_si512((const void *)(p1 + j + 64)));
        a2 = _mm512_xor_si512(a2, _mm512_loadu_si512((const void *)(p2 + j + 64)));
        a3 = _mm512_xor_si512(a3, _mm512_loadu_si512((const void *)(p3 + j + 64)));
    }
    uint64_t x = fold512(_mm512_xor_si512(_mm512_xor_si512(a0, a1), _mm512_xor_si512(a2, a3)));
    /* whatever the 128-byte steps of the quarters left over, and the bytes past 4·q */
    size_t done = q / 128 * 128;
    for (int k = 0; k < 4; k++) x ^= xor_bytes_512(base, lo + k * q + done, lo + (k + 1) * q);
    return x ^ xor_bytes_512(base, lo + 4 * q, hi);
}

int ck_read_variant_available(int v) {
    switch (v) {
    case CK_READ_AVX2: return ck_has_avx2_fma();
    case CK_READ_512:
    case CK_READ_512_STREAMS: return ck_has_avx512();
    default: return 0;
    }
}

static uint64_t xor_bytes_variant(int v, const unsigned char *base, size_t lo, size_t hi) {
    switch (v) {
    case CK_READ_AVX2: return xor_bytes_avx2(base, lo, hi);
    case CK_READ_512: return xor_bytes_512(base, lo, hi);
    case CK_READ_512_STREAMS: return xor_bytes_512_streams(base, lo, hi);
    default: return xor_bytes_scalar(base, lo, hi);
    }
}

/* The widest read the CPU has (the `read` reference and the fallback when no vector variant exists). */
static uint64_t xor_bytes(const unsigned char *base, size_t lo, size_t hi) {
    if (ck_has_avx512()) return xor_bytes_512(base, lo, hi);
    if (ck_has_avx2_fma()) return xor_bytes_avx2(base, lo, hi);
    return xor_bytes_scalar(base, lo, hi);
}

/* One timed run of `inner` read passes over data[0..<bytes] on `threads` threads with variant `v`; returns GB/s. */
static double read_run(const unsigned char *data, size_t bytes, int inner, int threads, int v) {
    double start = 0, elapsed = 0;
    uint64_t parts[CK_MAX_THREADS][8];
#pragma omp parallel num_threads(threads)
    {
        int t = omp_get_thread_num(), team = omp_get_num_threads();
        int64_t lo, hi;
        ck_split((int64_t)bytes, team, t, 4096, &lo, &hi);
        uint64_t x = 0;
#pragma omp barrier
#pragma omp master
        start = omp_get_wtime();
#pragma omp barrier
        for (int k = 0; k < inner; k++) {
            /* the memory clobber makes every pass read the bytes again (no pass may be hoisted or merged) */
            __asm__ volatile("" ::: "memory");
            x ^= xor_bytes_variant(v, data, (size_t)lo, (size_t)hi) + (uint64_t)k;
        }
#pragma omp barrier
#pragma omp master
        elapsed = omp_get_wtime() - start;
        parts[t][0] = x;
    }
    ck_probe_sink = (double)(parts[0][0] & 0xFFFF);
    return (double)bytes * inner / elapsed / 1e9;
}

static int cmp_double(const void *a, const void *b) {
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* One timed run of the sweep: the whole array `inner` times, or (burst > 0) reads of `burst` bytes walking it, as
 * the median of their GB/s (`rates`: room for bytes / burst figures). */
static double sweep_run(const unsigned char *data, size_t bytes, int inner, size_t burst, int threads, int v,
                        double *rates) {
    if (burst == 0) return read_run(data, bytes, inner, threads, v);
    size_t n = bytes / burst;
    for (size_t c = 0; c < n; c++) rates[c] = read_run(data + c * burst, burst, 1, threads, v);
    qsort(rates, n, sizeof(double), cmp_double);
    return n % 2 ? rates[n / 2] : (rates[n / 2 - 1] + rates[n / 2]) / 2;
}

int ck_probe_read_sweep(const int *threads, int count, size_t bytes, int inner, int repeats, int huge_pages,
                        size_t burst, double *gbps, int *variant) {
    if (threads == NULL || gbps == NULL || count < 1 || repeats < 1 || inner < 1 || bytes < 4096) return -1;
    burst -= burst % 4096;
    if (burst > 0 && (inner != 1 || burst > bytes)) return -1;
    int most = 1;
    for (int i = 0; i < count; i++) {
        if (threads[i] < 1 || threads[i] > CK_MAX_THREADS) return -1;
        if (threads[i] > most) most = threads[i];
    }
    bytes -= bytes % 4096;
    double *rates = burst ? malloc(sizeof(double) * (bytes / burst)) : NULL;
    if (burst && rates == NULL) return -1;
    unsigned char *data = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (data == MAP_FAILED) {
        free(rates);
        return -1;
    }
    if (huge_pages) madvise(data, bytes, MADV_HUGEPAGE);
    /* First touch by the largest team, in the split the reads use (page placement). */
#pragma omp parallel num_threads(most)
    {
        int64_t lo, hi;
        ck_split((int64_t)bytes, omp_get_num_threads(), omp_get_thread_num(), 4096, &lo, &hi);
        for (int64_t j = lo; j < hi; j++) data[j] = (unsigned char)(j * 131 + 7);
    }
    for (int i = 0; i < count; i++) {
        double best = 0;
        int winner = -1;
        for (int r = 0; r < repeats; r++) {
            /* interleave the variants rep by rep, so drift does not favour one */
            for (int v = 0; v < CK_READ_VARIANTS; v++) {
                if (!ck_read_variant_available(v)) continue;
                double g = sweep_run(data, bytes, inner, burst, threads[i], v, rates);
                if (g > best) { best = g; winner = v; }
            }
            if (winner < 0) { /* no vector variant: the scalar read */
                best = sweep_run(data, bytes, inner, burst, threads[i], -1, rates);
            }
        }
        gbps[i] = best;
        if (variant) variant[i] = winner;
    }
    munmap(data, bytes);
    free(rates);
    return 0;
}

double ck_probe_dram_read_gbps(int threads, size_t bytes, int repeats) {
    double g = -1;
    if (ck_probe_read_sweep(&threads, 1, bytes, 1, repeats, 1, 0, &g, NULL) != 0) return -1;
    return g;
}

double ck_probe_read_once(const void *data, size_t bytes, int threads, int variant) {
    if (data == NULL || bytes < 4096 || threads < 1 || threads > CK_MAX_THREADS) return -1;
    if (variant < 0 || variant >= CK_READ_VARIANTS || !ck_read_variant_available(variant)) return -1;
    return read_run((const unsigned char *)data, bytes, 1, threads, variant);
}

int ck_probe_read_bytes(const void *const *ptrs, const size_t *sizes, int count, int threads, uint64_t *checksum) {
    if (ptrs == NULL || sizes == NULL || checksum == NULL || count < 1 || threads < 1 || threads > CK_MAX_THREADS)
        return -1;
    for (int r = 0; r < count; r++)
        if (sizes[r] > 0 && ptrs[r] == NULL) return -1;
    /* One 64-byte slot per thread (no false sharing between the partial results). */
    uint64_t parts[CK_MAX_THREADS][8];
    int used = 1;
    CK_PARALLEL(threads, nt, id, {
        if (id == 0) used = nt;
        uint64_t x = 0;
        for (int r = 0; r < count; r++) {
            int64_t lo, hi;
            ck_split((int64_t)sizes[r], nt, id, 64, &lo, &hi);
            if (hi > lo) x ^= xor_bytes((const unsigned char *)ptrs[r], (size_t)lo, (size_t)hi);
        }
        parts[id][0] = x;
    });
    uint64_t x = 0;
    for (int t = 0; t < used; t++) x ^= parts[t][0];
    *checksum = x;
    return 0;
}
