/* Runtime set-up, CPU feature detection, thread reports and the scratch context. */
#define _GNU_SOURCE
#include "ck_internal.h"
#include <cblas.h>
#include <cpuid.h>
#include <dlfcn.h>
#include <omp.h>
#include <stdatomic.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static void init_openblas(void) { openblas_set_num_threads(1); }

void ck_init(void) { pthread_once(&init_once, init_openblas); }

void ck_quiet_workers(int threads) {
    if (threads < 2) return;
    if (threads > CK_MAX_THREADS) threads = CK_MAX_THREADS;
    /* the workers wait after a region with the blocktime its team was forked with */
    const int blocktime = kmp_get_blocktime();
    kmp_set_blocktime(0);
    CK_PARALLEL(threads, nt, id, {});
    kmp_set_blocktime(blocktime);
}

int ck_worker_blocktime(void) { return kmp_get_blocktime(); }

static int detect_avx2_fma(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    const unsigned fma = 1u << 12, osxsave = 1u << 27, avx = 1u << 28, f16c = 1u << 29;
    if ((c & (fma | osxsave | avx | f16c)) != (fma | osxsave | avx | f16c)) return 0;
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    if ((lo & 6) != 6) return 0; /* OS saves XMM and YMM state */
    if (__get_cpuid_max(0, 0) < 7) return 0;
    __cpuid_count(7, 0, a, b, c, d);
    return (b & (1u << 5)) != 0; /* AVX2 */
}

/* AVX512 F + BW + VL + VNNI (512-bit vpdpbusd, vpshufb, masked loads) and OS-enabled opmask/ZMM state. */
static int detect_vnni(void) {
    if (!detect_avx2_fma()) return 0;
    unsigned a, b, c, d, lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    if ((lo & 0xE6) != 0xE6) return 0;
    __cpuid_count(7, 0, a, b, c, d);
    const unsigned f = 1u << 16, bw = 1u << 30, vl = 1u << 31, vnni = 1u << 11;
    return (b & (f | bw | vl)) == (f | bw | vl) && (c & vnni) == vnni;
}

/* AVX512 VBMI (vpermb) on top of detect_vnni. */
static int detect_vbmi(void) {
    if (!detect_vnni()) return 0;
    unsigned a, b, c, d;
    __cpuid_count(7, 0, a, b, c, d);
    return (c & (1u << 1)) != 0;
}

/* AVX512 F + DQ + BW + VL with OS-enabled opmask/ZMM state (the 512-bit float kernels and probes). */
static int detect_avx512(void) {
    if (!detect_avx2_fma()) return 0;
    unsigned a, b, c, d, lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    if ((lo & 0xE6) != 0xE6) return 0;
    __cpuid_count(7, 0, a, b, c, d);
    const unsigned f = 1u << 16, dq = 1u << 17, bw = 1u << 30, vl = 1u << 31;
    return (b & (f | dq | bw | vl)) == (f | dq | bw | vl);
}

/* AVX512-BF16 (vdpbf16ps) on top of detect_avx512: CPUID leaf 7 sub-leaf 1, EAX bit 5. */
static int detect_avx512_bf16(void) {
    if (!detect_avx512()) return 0;
    unsigned a, b, c, d;
    __cpuid_count(7, 1, a, b, c, d);
    return (a & (1u << 5)) != 0;
}

/* AVX-VNNI (VEX-encoded 256-bit vpdpbusd): CPUID leaf 7 sub-leaf 1, EAX bit 4. */
static int detect_avx_vnni(void) {
    if (!detect_avx2_fma()) return 0;
    unsigned a, b, c, d;
    __cpuid_count(7, 1, a, b, c, d);
    return (a & (1u << 4)) != 0;
}

/* Whether the CPU executes 512-bit loads and FMAs at full width: every AVX-512 CPU but AMD's family 19h (Zen 4),
 * which splits each into two 256-bit halves (there one 256-bit row at a time streams 12–15% faster in the T = 1 float
 * GEMV than 512-bit row blocks; on Zen 5, family 1Ah, the blocks are 1.1–1.4× faster). */
static int detect_full_width_512(void) {
    if (!detect_avx512()) return 0;
    unsigned a, b, c, d;
    __cpuid(0, a, b, c, d);
    const int amd = b == 0x68747541u && d == 0x69746e65u && c == 0x444d4163u; /* "AuthenticAMD" */
    if (!amd) return 1;
    __cpuid(1, a, b, c, d);
    const unsigned base = (a >> 8) & 0xF, family = base == 0xF ? base + ((a >> 20) & 0xFF) : base;
    return family != 0x19;
}

static atomic_int has_avx2 = -1;
static atomic_int has_vnni = -1;
static atomic_int has_vbmi = -1;
static atomic_int has_avx512 = -1;
static atomic_int has_avx512_bf16 = -1;
static atomic_int has_avx_vnni = -1;
static atomic_int force_scalar = 0;
static atomic_int disable_avx512 = 0;
static atomic_int bf16_dot = 1; /* vdpbf16ps in the BF16 GEMM by default (ck_set_bf16_dot) */
static atomic_int gemm_override = CK_GEMM_AUTO;
static atomic_int disable_vnni = 0;
static atomic_int disable_avx_vnni = 0;
static atomic_int disable_vbmi = 0;
static atomic_int avx2_int8_gemv = 1; /* 8-bit x in the AVX2 GEMVs of Q8_0 and the block types (ck_set_avx2_int8_gemv) */
static atomic_int gemv_max_rows = 0;
static atomic_int has_full_width_512 = -1;
static atomic_int float_gemv_512 = -1; /* −1: by the CPU (ck_set_float_gemv_512) */

/* A CPU feature flag, detected on first use and cached (−1 = not yet known). */
static int cached_feature(atomic_int *slot, int (*detect)(void)) {
    int v = atomic_load_explicit(slot, memory_order_relaxed);
    if (v < 0) {
        v = detect();
        atomic_store_explicit(slot, v, memory_order_relaxed);
    }
    return v;
}

int ck_has_avx2_fma(void) { return cached_feature(&has_avx2, detect_avx2_fma); }
int ck_has_avx512(void) { return cached_feature(&has_avx512, detect_avx512); }
int ck_has_avx512_bf16(void) { return cached_feature(&has_avx512_bf16, detect_avx512_bf16); }
int ck_has_avx_vnni(void) { return cached_feature(&has_avx_vnni, detect_avx_vnni); }

void ck_set_force_scalar(int on) { atomic_store(&force_scalar, on ? 1 : 0); }
int ck_get_force_scalar(void) { return atomic_load(&force_scalar); }
int ck_avx2_enabled(void) { return !atomic_load_explicit(&force_scalar, memory_order_relaxed) && ck_has_avx2_fma(); }
int ck_using_avx2(void) { return ck_avx2_enabled(); }

void ck_set_disable_avx512(int on) { atomic_store(&disable_avx512, on ? 1 : 0); }
int ck_get_disable_avx512(void) { return atomic_load(&disable_avx512); }
int ck_avx512_enabled(void) {
    return ck_avx2_enabled() && !atomic_load_explicit(&disable_avx512, memory_order_relaxed) && ck_has_avx512();
}
void ck_set_bf16_dot(int on) { atomic_store(&bf16_dot, on ? 1 : 0); }
int ck_get_bf16_dot(void) { return atomic_load(&bf16_dot); }
int ck_bf16_dot_enabled(void) {
    return ck_avx512_enabled() && atomic_load_explicit(&bf16_dot, memory_order_relaxed) && ck_has_avx512_bf16();
}
void ck_set_gemm_override(int path) {
    atomic_store(&gemm_override, path == CK_GEMM_CBLAS || path == CK_GEMM_OWN ? path : CK_GEMM_AUTO);
}
int ck_get_gemm_override(void) { return atomic_load(&gemm_override); }
void ck_set_gemv_max_rows(int t) { atomic_store(&gemv_max_rows, t > 0 ? t : 0); }
int ck_get_gemv_max_rows(void) { return atomic_load_explicit(&gemv_max_rows, memory_order_relaxed); }

int ck_has_full_width_512(void) { return cached_feature(&has_full_width_512, detect_full_width_512); }
void ck_set_float_gemv_512(int mode) { atomic_store(&float_gemv_512, mode < 0 ? -1 : mode ? 1 : 0); }
int ck_get_float_gemv_512(void) { return atomic_load(&float_gemv_512); }
int ck_float_gemv_512_enabled(void) {
    if (!ck_avx512_enabled()) return 0;
    const int mode = atomic_load_explicit(&float_gemv_512, memory_order_relaxed);
    return mode < 0 ? ck_has_full_width_512() : mode;
}

int ck_has_vnni(void) { return cached_feature(&has_vnni, detect_vnni); }
void ck_set_disable_vnni(int on) { atomic_store(&disable_vnni, on ? 1 : 0); }
int ck_get_disable_vnni(void) { return atomic_load(&disable_vnni); }
int ck_vnni_enabled(void) {
    return ck_avx512_enabled() && !atomic_load_explicit(&disable_vnni, memory_order_relaxed) && ck_has_vnni();
}
void ck_set_disable_avx_vnni(int on) { atomic_store(&disable_avx_vnni, on ? 1 : 0); }
int ck_get_disable_avx_vnni(void) { return atomic_load(&disable_avx_vnni); }
int ck_avx_vnni_enabled(void) {
    return ck_avx2_enabled() && !atomic_load_explicit(&disable_avx_vnni, memory_order_relaxed) && ck_has_avx_vnni();
}
int ck_has_vbmi(void) { return cached_feature(&has_vbmi, detect_vbmi); }
void ck_set_disable_vbmi(int on) { atomic_store(&disable_vbmi, on ? 1 : 0); }
int ck_get_disable_vbmi(void) { return atomic_load(&disable_vbmi); }
int ck_vbmi_enabled(void) {
    return ck_vnni_enabled() && !atomic_load_explicit(&disable_vbmi, memory_order_relaxed) && ck_has_vbmi();
}
void ck_set_avx2_int8_gemv(int on) { atomic_store(&avx2_int8_gemv, on ? 1 : 0); }
int ck_avx2_int8_gemv_enabled(void) { return atomic_load_explicit(&avx2_int8_gemv, memory_order_relaxed); }
int ck_avx2_int8_gemv_active(void) { return ck_gemv_level() == CK_LEVEL_AVX2_INT8; }
int ck_gemv_level(void) {
    if (ck_vbmi_enabled()) return CK_LEVEL_VBMI;
    if (ck_vnni_enabled()) return CK_LEVEL_VNNI;
    if (!ck_avx2_enabled()) return CK_LEVEL_SCALAR;
    return ck_avx2_int8_gemv_enabled() ? CK_LEVEL_AVX2_INT8 : CK_LEVEL_AVX2;
}

const char *ck_openblas_config(void) { return openblas_get_config(); }
const char *ck_openblas_corename(void) { return openblas_get_corename(); }
int ck_openblas_threads(void) { return openblas_get_num_threads(); }
int ck_openblas_parallel(void) { return openblas_get_parallel(); }
int ck_omp_max_threads(void) { return omp_get_max_threads(); }
int ck_omp_num_procs(void) { return omp_get_num_procs(); }

int ck_openmp_spec(void) {
#ifdef _OPENMP
    return _OPENMP;
#else
    return 0;
#endif
}

/* Resolved path (symlinks followed, so the versioned file shows) of the shared object defining `symbol`. */
static void library_of(void *symbol, char *buf, size_t size) {
    Dl_info info;
    snprintf(buf, size, "unknown");
    if (!dladdr(symbol, &info) || !info.dli_fname) return;
    char resolved[PATH_MAX];
    snprintf(buf, size, "%s", realpath(info.dli_fname, resolved) ? resolved : info.dli_fname);
}

static char omp_path[PATH_MAX], blas_path[PATH_MAX];
static pthread_once_t paths_once = PTHREAD_ONCE_INIT;
static void resolve_paths(void) {
    library_of((void *)&omp_get_max_threads, omp_path, sizeof omp_path);
    library_of((void *)&cblas_sgemm, blas_path, sizeof blas_path);
}

const char *ck_openmp_library(void) {
    pthread_once(&paths_once, resolve_paths);
    return omp_path;
}

const char *ck_openblas_library(void) {
    pthread_once(&paths_once, resolve_paths);
    return blas_path;
}

int ck_omp_distinct_threads(int n) {
    if (n < 1) return 0;
    if (n > CK_MAX_THREADS) n = CK_MAX_THREADS;
    int seen[CK_MAX_THREADS] = {0};
#pragma omp parallel num_threads(n)
    {
        int id = omp_get_thread_num();
        if (id >= 0 && id < CK_MAX_THREADS) seen[id] = 1;
        /* Keep every thread in the region a moment so a runtime that serialises would still show one id. */
#pragma omp barrier
    }
    int distinct = 0;
    for (int i = 0; i < CK_MAX_THREADS; i++) distinct += seen[i];
    return distinct;
}

/* ------------------------------------------------------------------ context */

ck_context *ck_context_create(int max_threads) {
    ck_init();
    ck_context *ctx = calloc(1, sizeof(ck_context));
    if (!ctx) return NULL;
    ctx->max_threads = max_threads < 1 ? 1 : (max_threads > CK_MAX_THREADS ? CK_MAX_THREADS : max_threads);
    pthread_mutex_init(&ctx->lock, NULL);
    return ctx;
}

void ck_context_destroy(ck_context *ctx) {
    if (!ctx) return;
    for (int i = 0; i < CK_MAX_THREADS; i++) free(ctx->thread_scratch[i].ptr);
    for (int i = 0; i < CK_SHARED_COUNT; i++) free(ctx->shared[i].ptr);
    pthread_mutex_destroy(&ctx->lock);
    free(ctx);
}

int64_t ck_context_scratch_bytes(const ck_context *ctx) {
    int64_t total = 0;
    for (int i = 0; i < CK_MAX_THREADS; i++) total += ctx->thread_scratch[i].cap;
    for (int i = 0; i < CK_SHARED_COUNT; i++) total += ctx->shared[i].cap;
    return total * (int64_t)sizeof(float);
}

float *ck_buffer_reserve(ck_buffer *b, int64_t n) {
    if (n <= b->cap) return b->ptr;
    int64_t cap = b->cap * 2 > n ? b->cap * 2 : n;
    size_t bytes = ((size_t)cap * sizeof(float) + 63) & ~(size_t)63;
    float *p = aligned_alloc(64, bytes);
    if (!p) return NULL;
    free(b->ptr);
    b->ptr = p;
    b->cap = cap;
    return p;
}

int64_t ck_row_bytes(int32_t dtype, int64_t cols) {
    switch (dtype) {
    case CK_F32: return cols * 4;
    case CK_F16:
    case CK_BF16: return cols * 2;
    case CK_Q8_0: return cols / 32 * 34;
    case CK_MXFP4: return cols / 32 * 16;
    case CK_Q4_0: return cols / 32 * 18;
    case CK_Q4_1: return cols / 32 * 20;
    case CK_Q5_0: return cols / 32 * 22;
    case CK_Q5_1: return cols / 32 * 24;
    case CK_Q4_K: return cols / 256 * 144;
    case CK_Q5_K: return cols / 256 * 176;
    case CK_Q6_K: return cols / 256 * 210;
    default: return 0;
    }
}
