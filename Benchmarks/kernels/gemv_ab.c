/*
 * Side-by-side timing of ck_linear from two builds of CKernels (A and B: shared libraries built by gemv_ab.sh from
 * two git revisions), interleaved in one process so that both see the same machine load. For each weight shape,
 * SIMD width (AVX-512 where the CPU has it, and AVX2), thread count and T, the variants run in turn, repeatedly:
 *   A        build A, built-in paths
 *   B        build B, built-in paths
 *   B-own    build B with the GEMV limit at 1 (ck_set_gemv_max_rows): T ≥ 2 on the GEMM it would hand over to
 *            (our AVX-512 GEMM; OpenBLAS on decoded tiles on the AVX2 path)
 *   B-cblas  as B-own with ck_set_gemm_override(CK_GEMM_CBLAS): OpenBLAS sgemm on decoded float tiles
 * and the best time per call of each over the rounds (one thread: the thread's CPU time, so that time the shared
 * machine gives to others is not counted; two threads: wall time) is printed with its ratio to B and the aggregate
 * rows/s of B relative to B at T = 1 (a decode step of T streams: T·t(1)/t(T)). The weights rotate over copies
 * totalling ≥ 3× the `l3_mb` argument, so every call streams them from DRAM.
 * Usage: gemv_ab A.so B.so [reps] [l3_mb]
 */
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
    int32_t dtype;
    const void *data;
    const uint8_t *scales;
    int64_t rows, cols;
} weight;

typedef struct {
    void *(*ctx_create)(int);
    int (*linear)(void *, const float *, int64_t, const weight *, const float *, float *, int);
    void (*set_max_rows)(int);
    void (*set_gemm)(int);
    void (*set_no512)(int);
    int (*has512)(void);
    void *ctx;
} lib;

static void *sym(void *h, const char *name, int required) {
    void *p = dlsym(h, name);
    if (!p && required) {
        fprintf(stderr, "missing %s\n", name);
        exit(1);
    }
    return p;
}

static lib open_lib(const char *path) {
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        fprintf(stderr, "%s\n", dlerror());
        exit(1);
    }
    lib l = {sym(h, "ck_context_create", 1), sym(h, "ck_linear", 1), sym(h, "ck_set_gemv_max_rows", 0),
             sym(h, "ck_set_gemm_override", 1), sym(h, "ck_set_disable_avx512", 1), sym(h, "ck_has_avx512", 1), 0};
    l.ctx = l.ctx_create(2);
    return l;
}

static double now(int cpu) {
    struct timespec ts;
    clock_gettime(cpu ? CLOCK_THREAD_CPUTIME_ID : CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static int cmp(const void *a, const void *b) {
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static uint16_t f32_to_half_bits(float f, int bf16) {
    uint32_t u;
    memcpy(&u, &f, 4);
    if (bf16) return (uint16_t)((u + 0x7FFF + ((u >> 16) & 1)) >> 16);
    /* values in [-1, 1): f16 normal or zero is enough for timing */
    const uint32_t sign = (u >> 16) & 0x8000;
    const int e = (int)((u >> 23) & 0xFF) - 127 + 15;
    if (e <= 0) return (uint16_t)sign;
    return (uint16_t)(sign | (uint32_t)e << 10 | ((u >> 13) & 0x3FF));
}

enum { NV = 4, MAXT = 16 };
static const char *const names[NV] = {"A", "B", "B-own", "B-cblas"};

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s A.so B.so [reps] [l3_mb]\n", argv[0]);
        return 2;
    }
    lib libs[2] = {open_lib(argv[1]), open_lib(argv[2])};
    int reps = argc > 3 ? atoi(argv[3]) : 7;
    reps = reps < 1 ? 1 : reps > 64 ? 64 : reps;
    const double l3 = (argc > 4 ? atof(argv[4]) : 32) * (1 << 20);
    if (!libs[1].set_max_rows) {
        fprintf(stderr, "B lacks ck_set_gemv_max_rows\n");
        return 1;
    }
    /* (dtype, out, in): bf16 2880×2880 (gpt-oss attention), f16 2048×8192 (Llama-3.2-1B down) */
    const struct { int32_t dt; const char *name; int64_t out, in; } shapes[] = {{2, "bf16 2880x2880", 2880, 2880},
                                                                              {1, "f16 2048x8192", 2048, 8192}};
    const int Ts[] = {1, 2, 4, 8, 16};
    srand(1);
    float *x = malloc(sizeof(float) * MAXT * 8192), *y = malloc(sizeof(float) * MAXT * 8192);
    for (int i = 0; i < MAXT * 8192; i++) x[i] = (float)(rand() / (double)RAND_MAX) - 0.5f;
    for (int s = 0; s < 2; s++) {
        const int64_t bytes = shapes[s].out * shapes[s].in * 2;
        const int copies = (int)(3 * l3 / bytes) + 1;
        weight w[16];
        for (int c = 0; c < copies && c < 16; c++) {
            uint16_t *d = malloc(bytes);
            for (int64_t i = 0; i < bytes / 2; i++)
                d[i] = f32_to_half_bits((float)(rand() / (double)RAND_MAX) - 0.5f, s == 0);
            w[c] = (weight){shapes[s].dt, d, NULL, shapes[s].out, shapes[s].in};
        }
        const int nc = copies < 16 ? copies : 16;
        for (int wide = libs[0].has512(); wide >= 0; wide--) {
            for (int threads = 1; threads <= 2; threads++) {
                printf("\n%s, %s, %d thread%s, %d weight copies (%.0f MB each); ms per call (best of %d)\n",
                       shapes[s].name, wide ? "avx512" : "avx2", threads, threads > 1 ? "s" : "", nc, bytes / 1e6,
                       reps);
                printf("%4s %9s %9s %9s %9s | %7s %7s %7s | %s\n", "T", names[0], names[1], names[2], names[3],
                       "A/B", "own/B", "cblas/B", "rows/s of B vs B at T=1 (time ratios X/B: >1 = B faster)");
                double t1 = 0;
                for (int ti = 0; ti < 5; ti++) {
                    const int T = Ts[ti];
                    double best[NV], samples[NV][64];
                    int calls = 0;
                    for (int r = 0; r < reps; r++)
                        for (int v = 0; v < NV; v++) {
                            const lib *L = &libs[v == 0 ? 0 : 1];
                            libs[0].set_no512(!wide);
                            libs[1].set_no512(!wide);
                            libs[1].set_max_rows(v >= 2 ? 1 : 0);
                            libs[1].set_gemm(v == 3 ? 1 : 0);
                            const int n = 2 * nc;
                            L->linear(L->ctx, x, T, &w[(calls++) % nc], NULL, y, threads); /* warm the code path */
                            const double t0 = now(threads == 1);
                            for (int i = 0; i < n; i++) L->linear(L->ctx, x, T, &w[(calls++) % nc], NULL, y, threads);
                            samples[v][r] = (now(threads == 1) - t0) / n * 1e3;
                        }
                    for (int v = 0; v < NV; v++) {
                        qsort(samples[v], reps, sizeof(double), cmp);
                        best[v] = samples[v][0];
                    }
                    if (T == 1) t1 = best[1];
                    printf("%4d %9.3f %9.3f %9.3f %9.3f | %7.2f %7.2f %7.2f | %.2f\n", T, best[0], best[1], best[2],
                           best[3], best[0] / best[1], best[2] / best[1], best[3] / best[1], T * t1 / best[1]);
                    fflush(stdout);
                }
            }
        }
        libs[1].set_max_rows(0);
        libs[1].set_gemm(0);
        for (int c = 0; c < nc; c++) free((void *)w[c].data);
    }
    return 0;
}
