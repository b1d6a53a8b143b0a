#ifndef CK_PROBE_H
#define CK_PROBE_H

/* Roofline probes: the hardware ceilings every benchmark figure is compared with, per instruction class and per
 * memory tier, and the `read` reference of the benchmark (a streaming read of given buffers).
 * Every probe runs its work inside one OpenMP team of `threads` threads (our libomp pool, as the kernels do) and
 * keeps the best of `repeats` timed runs. Instruction paths are chosen at run time (cpuid + OS xsave state), so one
 * binary probes AVX-512 where the CPU has it and stays on AVX2 elsewhere.
 * No stable API: used by the OSSBench module only. */

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Compute instruction classes: what a kernel's inner loop issues, and what the probes measure the peak of.
 * Rates are counted in GOP/s with multiplies and adds apart: one FP32 FMA lane is 2 ops, one vpdpbusd 32-bit lane
 * 4 byte products + 4 adds = 8 ops, one vdpbf16ps or vpdpwssd lane 2 products + 2 adds = 4 ops, one vpmaddubsw byte pair
 * (u8×s8 products summed to s16, then vpmaddwd/vpaddd into s32) 4 ops. */
typedef enum {
    CK_ICLASS_FMA256 = 0,         /* FP32 FMA, 8 lanes: vfmadd231ps ymm */
    CK_ICLASS_FMA512 = 1,         /* FP32 FMA, 16 lanes: vfmadd231ps zmm (AVX512F) */
    CK_ICLASS_INT8_MADDUBS256 = 2,/* u8×s8 dot, 256-bit: vpmaddubsw + vpmaddwd + vpaddd (AVX2) */
    CK_ICLASS_INT8_VNNI256 = 3,   /* u8×s8 dot, 256-bit: vpdpbusd ymm (AVX512-VNNI + VL, or AVX-VNNI) */
    CK_ICLASS_INT8_VNNI512 = 4,   /* u8×s8 dot, 512-bit: vpdpbusd zmm (AVX512-VNNI) */
    CK_ICLASS_BF16_DOT512 = 5,    /* bf16 pair dot into FP32, 512-bit: vdpbf16ps zmm (AVX512-BF16) */
    CK_ICLASS_INT16_VNNI512 = 6,  /* s16×s16 pair dot into s32, 512-bit: vpdpwssd zmm (AVX512-VNNI; the VNNI GEMM) */
    CK_ICLASS_COUNT = 7
} ck_iclass;

/* 1 when the CPU and OS can run instruction class `cls` (0 for an unknown class). */
int ck_iclass_available(int cls);

/* Register bits of the vectors the class uses (256 or 512; 0 for an unknown class). */
int ck_iclass_bits(int cls);

/* Peak rate of class `cls` in GOP/s (see ck_iclass) on `threads` threads: each thread runs `iterations` rounds of 12
 * independent accumulator chains held in registers (enough to cover latency × ports on current x86 cores).
 * Best of `repeats`. Returns a negative value when the class is unavailable or an argument is out of range. */
double ck_probe_peak_gops(int cls, int threads, long iterations, int repeats);

/* Peak FP32 FMA rate in GFLOP/s at the widest width the CPU executes (FMA512 where present, else FMA256). */
double ck_probe_fma_gflops(int threads, long iterations, int repeats);

/* Read-kernel variants of the bandwidth probes. */
typedef enum {
    CK_READ_AVX2 = 0,        /* 256-bit loads, 4 accumulators, one stream per thread */
    CK_READ_512 = 1,         /* 512-bit loads, 4 accumulators, one stream per thread */
    CK_READ_512_STREAMS = 2, /* 512-bit loads, 4 independent streams (quarters of the thread's slice) per thread */
    CK_READ_VARIANTS = 3
} ck_read_variant;

/* 1 when the CPU can run read variant `v`. */
int ck_read_variant_available(int v);

/* Read bandwidth in GB/s (1e9 bytes/s) of streaming `bytes` bytes split over `threads` threads, for each thread count
 * in `threads[0..<count]`, over one allocation (first touched by the largest team, as the reads split it):
 * `inner` passes per timed run (use > 1 for cache-resident sizes, so one run is long enough to time), best of
 * `repeats` runs and of every available read variant. `burst` > 0 (with inner 1) times the run in reads of `burst`
 * bytes walking the array instead, and takes the median of their GB/s: the pattern of a memory-bound op that
 * streams a few MB per call from DRAM. Writes GB/s into `gbps[i]` and the winning ck_read_variant into `variant[i]`
 * (may be NULL). `huge_pages` asks the kernel for transparent huge pages (madvise) on the array. Returns 0, or −1
 * when the allocation fails or an argument is bad. */
int ck_probe_read_sweep(const int *threads, int count, size_t bytes, int inner, int repeats, int huge_pages,
                        size_t burst, double *gbps, int *variant);

/* DRAM read bandwidth at one thread count (ck_probe_read_sweep with inner 1, huge pages). */
double ck_probe_dram_read_gbps(int threads, size_t bytes, int repeats);

/* One timed streaming read of data[0..<bytes] (bytes ≥ 4096) on `threads` threads with read variant `variant`
 * (ck_read_variant), split as ck_probe_read_sweep splits it: GB/s, or a negative value for a bad argument or a variant
 * the CPU lacks. For reads paired with other measurements (the benchmark's decode reps) on a caller's buffer. */
double ck_probe_read_once(const void *data, size_t bytes, int threads, int variant);

/* One streaming read of `count` byte ranges (`ptrs[i]`, `sizes[i]` bytes; any alignment) on `threads` threads of
 * our libomp team (CK_PARALLEL): each range is split statically into contiguous 64-byte-aligned slices, one per
 * thread, read with the widest loads the CPU has (512-bit, else 256-bit; scalar 64-bit loads in a non-AVX2 build)
 * and XOR-folded so the loads cannot be removed. The benchmark's `read` reference: the bytes a memory-bound op must
 * stream, at the speed a pure read of the same buffers reaches. `*checksum` receives the XOR over every byte b at
 * offset j of its range of b << 8·(j mod 8) — the same for every thread count, split and load width. Returns 0, or
 * −1 when an argument is bad (no pointers, count < 1, threads outside 1…256, a non-empty range at NULL). */
int ck_probe_read_bytes(const void *const *ptrs, const size_t *sizes, int count, int threads, uint64_t *checksum);

#ifdef __cplusplus
}
#endif

#endif
