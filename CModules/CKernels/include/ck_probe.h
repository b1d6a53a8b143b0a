#ifndef CK_PROBE_H
#define CK_PROBE_H

/* Roofline probes: the two hardware ceilings every benchmark figure is compared with.
 * Both run their work inside one OpenMP team of `threads` threads (our libomp pool, as the kernels do).
 * No stable API: used by the OSSBench module only. */

#include <stddef.h>
#include <stdint.h>

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

/* One streaming read of `count` byte ranges (`ptrs[i]`, `sizes[i]` bytes; any alignment) on `threads` threads of
 * our libomp team (CK_PARALLEL): each range is split statically into contiguous 64-byte-aligned slices, one per
 * thread, read with AVX2 loads (scalar 64-bit loads in a non-AVX2 build) and XOR-folded so the loads cannot be
 * removed. The benchmark's `read` reference: the bytes a memory-bound op must stream, at the speed a pure read of
 * the same buffers reaches. `*checksum` receives the XOR over every byte b at offset j of its range of
 * b << 8·(j mod 8) — the same for every thread count and split. Returns 0, or −1 when an argument is bad (no
 * pointers, count < 1, threads outside 1…256, a non-empty range at NULL). */
int ck_probe_read_bytes(const void *const *ptrs, const size_t *sizes, int count, int threads, uint64_t *checksum);

#ifdef __cplusplus
}
#endif

#endif
