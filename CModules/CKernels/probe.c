/* Roofline probes: peak FP32 FMA rate and DRAM read bandwidth, per thread count; the `read` reference of the
 * benchmark (a streaming read of given buffers). See include/ck_probe.h. */
#include "ck_probe.h"
#include "ck_internal.h" /* CK_PARALLEL, ck_split, CK_MAX_THREADS */

#include <omp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#endif

/* Keeps a value alive so the compiler cannot drop the work that produced it. */
static volatile double ck_probe_sink;

#if defined(__AVX2__) && defined(__FMA__)
/* 12 independent accumulators × 8 lanes: each round is 12 vfmadd231ps = 192 FLOP. */
static double fma_chains(long iterations, float seed) {
    __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f * seed);
    __m256 c0 = _mm256_set1_ps(seed), c1 = _mm256_set1_ps(seed + 1), c2 = _mm256_set1_ps(seed + 2);
    __m256 c3 = _mm256_set1_ps(seed + 3), c4 = _mm256_set1_ps(seed + 4), c5 = _mm256_set1_ps(seed + 5);
    __m256 c6 = _mm256_set1_ps(seed + 6), c7 = _mm256_set1_ps(seed + 7), c8 = _mm256_set1_ps(seed + 8);
    __m256 c9 = _mm256_set1_ps(seed + 9), c10 = _mm256_set1_ps(seed + 10), c11 = _mm256_set1_ps(seed + 11);
    for (long i = 0; i < iterations; i++) {
        c0 = _mm256_fmadd_ps(c0, a, b); c1 = _mm256_fmadd_ps(c1, a, b); c2 = _mm256_fmadd_ps(c2, a, b);
        c3 = _mm256_fmadd_ps(c3, a, b); c4 = _mm256_fmadd_ps(c4, a, b); c5 = _mm256_fmadd_ps(c5, a, b);
        c6 = _mm256_fmadd_ps(c6, a, b); c7 = _mm256_fmadd_ps(c7, a, b); c8 = _mm256_fmadd_ps(c8, a, b);
        c9 = _mm256_fmadd_ps(c9, a, b); c10 = _mm256_fmadd_ps(c10, a, b); c11 = _mm256_fmadd_ps(c11, a, b);
    }
    __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(c0, c1), _mm256_add_ps(c2, c3)),
                             _mm256_add_ps(_mm256_add_ps(c4, c5), _mm256_add_ps(c6, c7)));
    s = _mm256_add_ps(s, _mm256_add_ps(_mm256_add_ps(c8, c9), _mm256_add_ps(c10, c11)));
    float lanes[8];
    _mm256_storeu_ps(lanes, s);
    double total = 0;
    for (int k = 0; k < 8; k++) total += lanes[k];
    return total;
}
#define CK_FMA_FLOP_PER_ROUND 192.0

static double sum_floats(const float *p, size_t n) {
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps(), s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        s0 = _mm256_add_ps(s0, _mm256_load_ps(p + i));
        s1 = _mm256_add_ps(s1, _mm256_load_ps(p + i + 8));
        s2 = _mm256_add_ps(s2, _mm256_load_ps(p + i + 16));
        s3 = _mm256_add_ps(s3, _mm256_load_ps(p + i + 24));
    }
    __m256 s = _mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3));
    float lanes[8];
    _mm256_storeu_ps(lanes, s);
    double total = 0;
    for (int k = 0; k < 8; k++) total += lanes[k];
    for (; i < n; i++) total += p[i];
    return total;
}
#else
/* Portable fallback: 12 scalar chains (measures the scalar FMA rate of a non-AVX2 build). */
static double fma_chains(long iterations, float seed) {
    float c[12];
    for (int k = 0; k < 12; k++) c[k] = seed + (float)k;
    const float a = 0.999999f, b = 1e-7f * seed;
    for (long i = 0; i < iterations; i++)
        for (int k = 0; k < 12; k++) c[k] = c[k] * a + b;
    double total = 0;
    for (int k = 0; k < 12; k++) total += c[k];
    return total;
}
#define CK_FMA_FLOP_PER_ROUND 24.0

static double sum_floats(const float *p, size_t n) {
    float s[8] = {0};
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int k = 0; k < 8; k++) s[k] += p[i + k];
    double total = 0;
    for (int k = 0; k < 8; k++) total += s[k];
    for (; i < n; i++) total += p[i];
    return total;
}
#endif

double ck_probe_fma_gflops(int threads, long iterations, int repeats) {
    if (threads < 1 || iterations < 1 || repeats < 1) return -1;
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
            total += fma_chains(iterations, 1.0f + (float)omp_get_thread_num());
#pragma omp barrier
#pragma omp master
            elapsed = omp_get_wtime() - start;
        }
        ck_probe_sink = total;
        double gflops = CK_FMA_FLOP_PER_ROUND * (double)iterations * team / elapsed / 1e9;
        if (gflops > best) best = gflops;
    }
    return best;
}

/* One timed read pass over data[0..<n] on `threads` threads; returns GB/s. */
static double dram_read_pass(const float *data, size_t n, int threads) {
    double start = 0, elapsed = 0, total = 0;
#pragma omp parallel num_threads(threads) reduction(+ : total)
    {
        int t = omp_get_thread_num(), team = omp_get_num_threads();
        size_t chunk = (n / 32 + team - 1) / team * 32;
        size_t lo = chunk * t < n ? chunk * t : n;
        size_t hi = lo + chunk < n ? lo + chunk : n;
#pragma omp barrier
#pragma omp master
        start = omp_get_wtime();
#pragma omp barrier
        total += sum_floats(data + lo, hi - lo);
#pragma omp barrier
#pragma omp master
        elapsed = omp_get_wtime() - start;
    }
    ck_probe_sink = total;
    return (double)(n * sizeof(float)) / elapsed / 1e9;
}

int ck_probe_dram_read_sweep(const int *threads, int count, size_t bytes, int repeats, double *gbps) {
    if (threads == NULL || gbps == NULL || count < 1 || repeats < 1 || bytes < 4096) return -1;
    int most = 1;
    for (int i = 0; i < count; i++) {
        if (threads[i] < 1) return -1;
        if (threads[i] > most) most = threads[i];
    }
    size_t n = bytes / sizeof(float);
    n -= n % 32;
    float *data = NULL;
    if (posix_memalign((void **)&data, 64, n * sizeof(float)) != 0 || data == NULL) return -1;
    /* First touch by the largest team (the static schedule the reads use). */
#pragma omp parallel for num_threads(most) schedule(static)
    for (size_t i = 0; i < n; i++) data[i] = (float)(i & 1023) * 1e-3f;
    for (int i = 0; i < count; i++) {
        double best = 0;
        for (int r = 0; r < repeats; r++) {
            double g = dram_read_pass(data, n, threads[i]);
            if (g > best) best = g;
        }
        gbps[i] = best;
    }
    free(data);
    return 0;
}

double ck_probe_dram_read_gbps(int threads, size_t bytes, int repeats) {
    double g = -1;
    if (ck_probe_dram_read_sweep(&threads, 1, bytes, repeats, &g) != 0) return -1;
    return g;
}


/* XOR fold of bytes [lo, hi) of `base`: byte j contributes base[j] << 8·(j mod 8). `lo` is a multiple of 32, so
 * 64-bit lane q of a 32-byte load at j holds bytes j + 8q … j + 8q + 7 in the same positions. */
#if defined(__AVX2__)
static uint64_t xor_bytes(const unsigned char *base, size_t lo, size_t hi) {
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
    uint64_t x = lanes[0] ^ lanes[1] ^ lanes[2] ^ lanes[3];
    for (; j < hi; j++) x ^= (uint64_t)base[j] << (8 * (j & 7));
    return x;
}
#else
static uint64_t xor_bytes(const unsigned char *base, size_t lo, size_t hi) {
    uint64_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    size_t j = lo;
    for (; j + 32 <= hi; j += 32) {
        uint64_t w[4];
        memcpy(w, base + j, sizeof w); /* little-endian x86: byte j + 8q + r lands at bits 8r of w[q] */
        a0 ^= w[0]; a1 ^= w[1]; a2 ^= w[2]; a3 ^= w[3];
    }
    uint64_t x = a0 ^ a1 ^ a2 ^ a3;
    for (; j < hi; j++) x ^= (uint64_t)base[j] << (8 * (j & 7));
    return x;
}
#endif

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
