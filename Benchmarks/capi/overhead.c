/*
 * Per-call cost of the C ABI: median ns per call of
 *   - oss_backend_info (handle lookup only: the ABI's floor),
 *   - oss_add on 16 floats (a small op: handle lookup, three borrowed tensor views, the op itself),
 * on the swift and blas backends at the thread counts given (default 1 2). Usage: overhead [threads…]
 */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "swiftoss.h"

enum { CALLS = 20000, ROUNDS = 15 };

static double now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}

static int compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median over ROUNDS of the mean ns per call of CALLS calls. */
#define MEASURE(result, call)                                                      \
    do {                                                                           \
        double rounds[ROUNDS];                                                     \
        for (int r = 0; r < ROUNDS; r++) {                                         \
            double t0 = now_ns();                                                  \
            for (int i = 0; i < CALLS; i++) {                                      \
                if ((call) != OSS_OK) { printf("error: %s\n", oss_last_error()); exit(1); } \
            }                                                                      \
            rounds[r] = (now_ns() - t0) / CALLS;                                   \
        }                                                                          \
        qsort(rounds, ROUNDS, sizeof(double), compare);                            \
        (result) = rounds[ROUNDS / 2];                                             \
    } while (0)

int main(int argc, char **argv) {
    int threads[8] = {1, 2}, nt = 2;
    if (argc > 1) { nt = 0; for (int i = 1; i < argc && nt < 8; i++) threads[nt++] = atoi(argv[i]); }
    float a[16], b[16], y[16];
    for (int i = 0; i < 16; i++) { a[i] = (float)i; b[i] = 1; }
    oss_tensor at = {a, 1, {16}}, bt = {b, 1, {16}}, yt = {y, 1, {16}};
    const int32_t kinds[2] = {OSS_BACKEND_SWIFT, OSS_BACKEND_BLAS};
    printf("%-6s %7s %16s %14s\n", "backend", "threads", "backend_info ns", "add(16) ns");
    for (int k = 0; k < 2; k++) for (int t = 0; t < nt; t++) {
        oss_backend *be = NULL;
        if (oss_backend_create(kinds[k], threads[t], &be) != OSS_OK) { printf("error: %s\n", oss_last_error()); return 1; }
        const char *name;
        int32_t n;
        double info_ns, add_ns;
        MEASURE(info_ns, oss_backend_info(be, &name, &n));
        MEASURE(add_ns, oss_add(be, &at, &bt, &yt));
        printf("%-7s %7d %16.0f %14.0f\n", name, n, info_ns, add_ns);
        oss_backend_release(be);
    }
    return 0;
}
