#ifndef CK_PROBE_H
#define CK_PROBE_H

/* Roofline probes: the two hardware ceilings every benchmark figure is compared with.
 * Both run their work inside one OpenMP team of `threads` threads (our libomp pool, as the kernels do).
 * No stable API: used by the OSSBench module only. */

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Peak FP32 fused-multiply-add rate in GFLOP/s (1 FMA = 2 FLOP) on `threads` threads.
 * Each thread runs `iterations` rounds of 12 independent 8-lane AVX2 FMA chains held in registers
 * (enough to cover FMA latency × ports on current x86 cores). Best of `repeats` timed runs.
 * Returns a negative value when an argument is out of range. */
double ck_probe_fma_gflops(int threads, long iterations, int repeats);

/* DRAM read bandwidth in GB/s (1e9 bytes/s) on `threads` threads: every thread streams its static slice of a
 * `bytes`-byte array (choose ≫ L3, e.g. 1 GiB) with AVX2 loads, summing it so the loads cannot be removed.
 * The array is first touched by the same threads (page placement); best of `repeats` timed passes.
 * Returns a negative value when the allocation fails or an argument is out of range. */
double ck_probe_dram_read_gbps(int threads, size_t bytes, int repeats);

/* The same for several thread counts over one allocation (allocating and first-touching 1 GiB costs seconds):
 * writes GB/s for `threads[i]` into `gbps[i]`. Returns 0, or −1 when the allocation fails or an argument is bad. */
int ck_probe_dram_read_sweep(const int *threads, int count, size_t bytes, int repeats, double *gbps);

#ifdef __cplusplus
}
#endif

#endif
