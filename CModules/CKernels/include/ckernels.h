#ifndef CKERNELS_H
#define CKERNELS_H
/*
 * CKernels: the C half of SwiftOSS's BLAS backend.
 *
 * One thread pool: OpenBLAS (pthread flavour) is held at ONE thread; all parallelism is an LLVM libomp team
 * (`#pragma omp parallel num_threads(n)`), whose threads call cblas_sgemm / cblas_sgemv on their own slices.
 * Activations and accumulators are float32; weights stay in their stored dtype and are decoded in registers.
 * Not a stable API: use it through BLASBackend. All sizes are element counts unless named *_bytes.
 */
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- weights */

/** Stored weight dtypes (same order as Swift's DType). */
typedef enum {
    CK_F32 = 0,   /**< IEEE binary32 */
    CK_F16 = 1,   /**< IEEE binary16 */
    CK_BF16 = 2,  /**< bfloat16 */
    CK_Q8_0 = 3,  /**< GGUF Q8_0: 34-byte blocks {f16 d; int8 qs[32]} */
    CK_MXFP4 = 4, /**< gpt-oss MXFP4: 16-byte blocks (low nibble = even element), separate E8M0 scales */
    CK_Q4_0 = 5,  /**< GGUF Q4_0: 18-byte blocks of 32 {f16 d; u8 qs[16]}, y = d(q − 8) */
    CK_Q4_1 = 6,  /**< GGUF Q4_1: 20-byte blocks of 32 {f16 d, m; u8 qs[16]}, y = d·q + m */
    CK_Q5_0 = 7,  /**< GGUF Q5_0: 22-byte blocks of 32 {f16 d; u8 qh[4], qs[16]}, y = d(q − 16) */
    CK_Q5_1 = 8,  /**< GGUF Q5_1: 24-byte blocks of 32 {f16 d, m; u8 qh[4], qs[16]}, y = d·q + m */
    CK_Q4_K = 9,  /**< GGUF Q4_K: 144-byte super-blocks of 256 {f16 d, dmin; u8 scales[12], qs[128]} */
    CK_Q5_K = 10, /**< GGUF Q5_K: 176-byte super-blocks of 256 {f16 d, dmin; u8 scales[12], qh[32], qs[128]} */
    CK_Q6_K = 11  /**< GGUF Q6_K: 210-byte super-blocks of 256 {u8 ql[128], qh[64]; i8 scales[16]; f16 d} */
} ck_dtype;

/** A row-major weight matrix `[rows, cols]` in its stored dtype. No alignment beyond one byte is assumed. */
typedef struct {
    int32_t dtype;          /**< ck_dtype */
    const void *data;       /**< row r starts at data + r * ck_row_bytes(dtype, cols) */
    const uint8_t *scales;  /**< MXFP4 only: cols/32 E8M0 bytes per row; NULL otherwise */
    int64_t rows;           /**< output features (all stacked matrices for an expert stack) */
    int64_t cols;           /**< input features (multiple of the dtype's block: 32, or 256 for the K-quants) */
} ck_weight;

/** Bytes of one stored row of `cols` weights (MXFP4: block bytes only); 0 for an unknown dtype. */
int64_t ck_row_bytes(int32_t dtype, int64_t cols);

/** Return codes. */
enum {
    CK_OK = 0,
    CK_ERR_NOMEM = 1,      /**< scratch allocation failed */
    CK_ERR_DTYPE = 2,      /**< unknown dtype */
    CK_ERR_ARGUMENT = 3    /**< invalid sizes (the Swift side validates first; this is a second line) */
};

/* ---------------------------------------------------------------- runtime, threads, reports */

/** Holds OpenBLAS at one thread (idempotent; every kernel entry calls it). */
void ck_init(void);
/** Puts the idle workers of our OpenMP team (up to `threads` of them) to sleep now: one empty parallel region with
 *  libomp's blocktime at 0, then the blocktime back. After each region they otherwise spin for KMP_BLOCKTIME (200 ms
 *  by default) and take the cores of another runtime's threads that run next (the Swift backend's worker pool, a
 *  peer process). The next parallel region wakes them (tens of µs, once). */
void ck_quiet_workers(int threads);
/** libomp's blocktime for regions this thread starts: how long idle workers spin before they sleep, in ms. */
int ck_worker_blocktime(void);
/** 1 when the CPU (cpuid + OS xsave state) supports AVX2, FMA and F16C. */
int ck_has_avx2_fma(void);
/** 1 when the CPU and OS support AVX512 F, DQ, BW and VL with ZMM state (the 512-bit float kernels: element-wise ops,
 *  RMSNorm, RoPE, softmax, attention, the f32/f16/bf16 GEMVs and our GEMM microkernel; and the probes). */
int ck_has_avx512(void);
/** 1 when the CPU also has AVX512-BF16 (vdpbf16ps: the default BF16 GEMM path and its probe). */
int ck_has_avx512_bf16(void);
/** 1 when the CPU has AVX-VNNI (VEX-encoded 256-bit vpdpbusd, e.g. Alder Lake; Zen 4/5 have the EVEX form only). */
int ck_has_avx_vnni(void);
/** Forces the portable scalar kernels (1) or lets AVX2 run when the CPU has it (0). Process-wide. */
void ck_set_force_scalar(int on);
/** Current value of the force-scalar switch. */
int ck_get_force_scalar(void);
/** 1 when kernels will take the AVX2+FMA path right now. */
int ck_using_avx2(void);
/** Keeps every kernel on its 256-bit AVX2 path (1) even where AVX-512 exists (0: use it when present): the 512-bit
 *  float kernels, the VNNI integer GEMVs and our GEMM. Process-wide; for tests and measurements. */
void ck_set_disable_avx512(int on);
/** Current value of the disable-AVX-512 switch. */
int ck_get_disable_avx512(void);
/** 1 when the 512-bit kernels will run right now (AVX2 path on, AVX-512 present and not disabled). */
int ck_avx512_enabled(void);
/** Our BF16 GEMM (past the GEMV) through vdpbf16ps where AVX512-BF16 exists (1, the default): twice the multiply-adds
 *  per instruction of the f32 microkernel, the activations rounded to bf16 once per call as the official BF16
 *  reference does (NMSE ≈ 3e-6 per linear instead of ~1e-12). 0: float32 activations. Process-wide. */
void ck_set_bf16_dot(int on);
/** Current value of the BF16-dot switch. */
int ck_get_bf16_dot(void);
/** 1 when the BF16 GEMM will use vdpbf16ps right now (AVX-512 on, AVX512-BF16 present, the switch on). */
int ck_bf16_dot_enabled(void);

/** 1 when the CPU and OS support AVX512 F, BW, VL and VNNI with ZMM state (the MXFP4 GEMV's 512-bit vpdpbusd path). */
int ck_has_vnni(void);
/** 1 when the CPU also has AVX512 VBMI (the 512-bit path then looks weights up with vpermb, not vpshufb). */
int ck_has_vbmi(void);
/** Keeps the MXFP4 GEMV on its AVX2 vpmaddubsw path (1) even where VNNI exists (0: use VNNI when present; VNNI also
 *  needs AVX-512 on, see ck_set_disable_avx512).
 *  All paths give bit-identical results; the switches exist to test and measure each. Process-wide. */
void ck_set_disable_vnni(int on);
/** Current value of the disable-VNNI switch. */
int ck_get_disable_vnni(void);
/** Keeps the 512-bit MXFP4 GEMV on its vpshufb lookup (1) even where VBMI exists (the path of VNNI CPUs without
 *  VBMI, e.g. Cascade Lake). Process-wide. */
void ck_set_disable_vbmi(int on);
/** Current value of the disable-VBMI switch. */
int ck_get_disable_vbmi(void);
/** Keeps the AVX2 8-bit GEMM tiles on vpmaddubsw (1) even where AVX-VNNI (VEX vpdpbusd ymm) exists, as on AVX2 CPUs
 *  without it (Haswell … Zen 3). Process-wide. */
void ck_set_disable_avx_vnni(int on);
/** Current value of the disable-AVX-VNNI switch. */
int ck_get_disable_avx_vnni(void);
/** 1 when the AVX2 8-bit GEMM tiles use AVX-VNNI right now (AVX2 on, AVX-VNNI present and not disabled). */
int ck_avx_vnni_enabled(void);
/** 1 when the MXFP4 GEMV will use VNNI right now (AVX2 path on, VNNI present and not disabled). */
int ck_vnni_enabled(void);
/** 1 when the VNNI path will also use VBMI's vpermb right now. */
int ck_vbmi_enabled(void);

/** `openblas_get_config()`: build options, e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Zen MAX_THREADS=64". */
const char *ck_openblas_config(void);
/** `openblas_get_corename()`: the kernel set OpenBLAS chose, e.g. "Zen". */
const char *ck_openblas_corename(void);
/** `openblas_get_num_threads()`. */
int ck_openblas_threads(void);
/** `openblas_get_parallel()`: 0 sequential, 1 pthreads, 2 OpenMP build. */
int ck_openblas_parallel(void);
/** `omp_get_max_threads()`. */
int ck_omp_max_threads(void);
/** `omp_get_num_procs()`. */
int ck_omp_num_procs(void);
/** Value of the `_OPENMP` macro the kernels were compiled with (yyyymm of the OpenMP spec), 0 without -fopenmp. */
int ck_openmp_spec(void);
/** Resolved path of the shared object providing the OpenMP runtime (e.g. /usr/lib/llvm-16/lib/libomp.so.5). */
const char *ck_openmp_library(void);
/** Resolved path of the OpenBLAS shared object (e.g. …/openblas-pthread/libopenblasp-r0.3.21.so). */
const char *ck_openblas_library(void);
/** Runs a parallel region of `n` threads and returns how many DISTINCT omp_get_thread_num() values ran in it. */
int ck_omp_distinct_threads(int n);

/* ---------------------------------------------------------------- context (scratch) */

/** Kernel context: per-thread scratch buffers that grow on demand and are reused across calls. */
typedef struct ck_context ck_context;
/** New context for up to `max_threads` threads (NULL on allocation failure). Calls ck_init(). */
ck_context *ck_context_create(int max_threads);
void ck_context_destroy(ck_context *ctx);
/** Bytes of scratch currently held. */
int64_t ck_context_scratch_bytes(const ck_context *ctx);

/* ---------------------------------------------------------------- prefill GEMM path */

/** Which GEMM runs linear for T beyond the GEMV kernels: OpenBLAS's cblas_sgemm (on decoded float tiles for other
 *  dtypes), or our own AVX-512 microkernel (gemm512.c: packed panels decoded straight from the stored dtype; BF16
 *  through vdpbf16ps when ck_set_bf16_dot is on). AUTO picks per dtype from the CPU and OpenBLAS's core type (see
 *  ck_gemm_path_for). */
enum { CK_GEMM_AUTO = 0, CK_GEMM_CBLAS = 1, CK_GEMM_OWN = 2 };
/** Forces one GEMM path for every context and dtype (CK_GEMM_AUTO: no force). Process-wide; for tests and
 *  measurements. CK_GEMM_OWN falls back to cblas where AVX-512 is off. */
void ck_set_gemm_override(int path);
/** Current value of the GEMM override. */
int ck_get_gemm_override(void);
/** Largest T (activation rows) the GEMV kernels take for every dtype, past which linear runs the GEMM (t ≤ 0: the
 *  built-in limit of each dtype and path, see gemm.c). Process-wide; for tests and for measuring where the GEMM
 *  overtakes the GEMV (T = 1 always runs the GEMV). */
void ck_set_gemv_max_rows(int t);
/** Current value of the GEMV row-limit override (0: none). */
int ck_get_gemv_max_rows(void);
/** Sets the GEMM path this context uses for weights of `dtype` (a tuning profile's choice; CK_GEMM_AUTO = the
 *  built-in rule). Returns CK_ERR_DTYPE / CK_ERR_ARGUMENT for an unknown dtype or path. */
int ck_context_set_gemm_path(ck_context *ctx, int32_t dtype, int path);
/** The path linear will take for `dtype` on this context right now (CK_GEMM_CBLAS or CK_GEMM_OWN; never AUTO):
 *  the override, else the context's choice, else the built-in rule — ours where AVX-512 is on and OpenBLAS's core
 *  type has no AVX-512 kernel (e.g. OPENBLAS_CORETYPE=Haswell on an AVX-512 CPU) or the dtype is not f32. */
int ck_gemm_path_for(const ck_context *ctx, int32_t dtype);
/** 1 when ck_linear on this context with T activation rows of a `dtype` weight runs a GEMM right now (T past the
 *  GEMV kernels). */
int ck_linear_uses_gemm(const ck_context *ctx, int32_t dtype, int64_t T);
/** 1 when ck_linear on this context with T activation rows of a `dtype` weight rounds the activations to bf16 right
 *  now (our GEMM's vdpbf16ps path), 0 when it keeps them in float32 (or 16-bit fixed point, see quant.c). */
int ck_linear_rounds_x_bf16(const ck_context *ctx, int32_t dtype, int64_t T);
/** 8-bit activations in our GEMM for GGUF's block types Q4_0 … Q6_K on AVX512-VNNI CPUs (gemm_vnni.c: vpdpbusd,
 *  x rounded per 32-block to int8; on by default). Off (0), those GEMMs run the 16-bit fixed-point tiles of
 *  gemm_vnni.c (NMSE ~4e-10 instead of ~2e-5 per linear, 1.1–1.7× slower). Process-wide. */
void ck_set_int8_gemm(int on);
/** Current value of the 8-bit GEMM switch (1 on). */
int ck_int8_gemm_enabled(void);
/** 8-bit activations in MXFP4's GEMV (T ≤ 12: decode and short expert groups) on AVX512-VNNI CPUs (quant_mx8.c:
 *  x rounded per 32-block to int8 as ggml's Q8_0 activations, two vpdpbusd per 4 blocks instead of four). Off (0,
 *  the default) it keeps the 16-bit fixed point (NMSE ~1e-10 instead of ~1.5e-5 per linear). The other quantised
 *  types' GEMVs round x to 8 bits on these CPUs either way. Process-wide. */
void ck_set_int8_gemv(int on);
/** Current value of the MXFP4 8-bit GEMV switch (1 on). */
int ck_int8_gemv_enabled(void);
/** 8-bit activations in the GEMVs of Q8_0 and the block types Q4_0 … Q6_K where VNNI does not run them (AVX2 CPUs
 *  without AVX512-VNNI, or VNNI held off): x rounded as on the VNNI path (per 32-block; the K-quants per 256, as
 *  ggml's Q8_0 / Q8_K activations) and multiplied with vpmaddubsw (on by default). Off (0), the AVX2 GEMVs keep
 *  16-bit fixed-point x (Q8_0: float x), NMSE ~1e-10 instead of ~1.5e-5 per linear, 2–4× slower. MXFP4 keeps 16
 *  bits on AVX2 either way. Process-wide. */
void ck_set_avx2_int8_gemv(int on);
/** Current value of the AVX2 8-bit GEMV switch (1 on). */
int ck_avx2_int8_gemv_enabled(void);
/** 1 when those AVX2 8-bit GEMVs run now (AVX2 kernels on, VNNI not in use, the switch on). */
int ck_avx2_int8_gemv_active(void);
/** 1 when the AVX2 8-bit GEMM tiles (gemm_avx2_int8.c) take MXFP4 and Q4_0 … Q6_K past the GEMV now (AVX-512 off or
 *  absent, the 8-bit GEMM switch and the AVX2 8-bit GEMV switch on; a context may still choose cblas per dtype). */
int ck_avx2_int8_gemm_active(void);
/** 1 when our GEMM exists for `dtype` right now, so that CK_GEMM_OWN and CK_GEMM_CBLAS differ: every dtype where
 *  AVX-512 runs, else the dtypes the AVX2 8-bit tiles take (MXFP4, Q4_0 … Q6_K, while those tiles are active). */
int ck_gemm_own_available(int32_t dtype);
/** 1 when the CPU runs 512-bit loads and FMAs at full width: AVX-512 present and not AMD family 19h (Zen 4, which
 *  splits them into 256-bit halves). */
int ck_has_full_width_512(void);
/** Which kernel runs the one-vector GEMV (decode, T = 1) of f32/f16/bf16 weights: 1 = 512-bit single rows, four
 *  accumulator chains, one L1 prefetch (gemv_batch.c), 0 = one row at a time on 256-bit AVX2 (quant.c), −1 (default)
 *  = by the CPU: the 512-bit rows where ck_has_full_width_512(). Both keep float32 activations. Without AVX-512 (or with it disabled) the AVX2 loop
 *  runs whatever this says. Process-wide. */
void ck_set_float_gemv_512(int mode);
/** Current value of the one-vector float GEMV switch (−1, 0 or 1). */
int ck_get_float_gemv_512(void);
/** 1 when the one-vector float GEMV runs the 512-bit path (gemv_batch.c) right now. */
int ck_float_gemv_512_enabled(void);
/** 1 when ck_linear on this context with T activation rows of a `dtype` weight rounds the activations to 8 bits right
 *  now: per 256 elements in the K-quants' GEMV on the AVX512-VNNI path (quant_k8.c), per 32 in the block types'
 *  8-bit GEMM tiles (gemm_vnni.c); 0 when it keeps at least 16-bit fixed point. */
int ck_linear_rounds_x_int8(const ck_context *ctx, int32_t dtype, int64_t T);

/* ---------------------------------------------------------------- direct OpenBLAS (benchmark baseline) */

/** Plain `cblas_sgemm` row-major C[M,N] = A[M,K]·B[N,K]ᵀ (transB = 1) or A·B[K,N] (transB = 0), run with OpenBLAS's own
 *  threading at `threads` threads, then OpenBLAS is put back to one thread. Baseline for benchmarks, not used by kernels. */
void ck_sgemm_direct(int64_t M, int64_t N, int64_t K, const float *A, const float *B, int transB, float *C, int threads);
/** Plain `cblas_sgemv` row-major y[M] = A[M,N]·x[N], OpenBLAS threading at `threads`, then back to one thread. */
void ck_sgemv_direct(int64_t M, int64_t N, const float *A, const float *x, float *y, int threads);

/* ---------------------------------------------------------------- ops (all run on `threads` OpenMP threads) */

/** y[T,out] = x[T,in]·W[out,in]ᵀ + bias[out] (bias may be NULL). T = 1 (and small T) run GEMV-class kernels. */
int ck_linear(ck_context *ctx, const float *x, int64_t T, const ck_weight *w, const float *bias, float *y, int threads);
/** The instruction class (ck_iclass of ck_probe.h) of the inner loop ck_linear runs right now on this context (CPU,
 *  force switches, the context's GEMM path, OpenBLAS core type; ctx may be NULL: the built-in GEMM rule) for a weight
 *  of `dtype` at T activation rows, for scoring it against that class's peak. `*products_per_mac` (may be NULL)
 *  receives how many of the class's products one counted weight × activation product costs: 2 on the integer GEMVs
 *  with 16-bit fixed-point activations split into byte halves (vpdpbusd, vpmaddubsw), else 1 (the VNNI GEMM's
 *  vpdpwssd multiplies the 16-bit values whole). */
int ck_linear_class(const ck_context *ctx, int32_t dtype, int64_t T, int *products_per_mac);
/** The class of OpenBLAS's SGEMM kernels for the core type it chose (FMA512 on SkylakeX/Cooperlake/SapphireRapids). */
int ck_openblas_class(void);
/** The class of the float kernels of the other ops (attention, norms, RoPE, softmax, SwiGLU, add) right now. */
int ck_float_class(void);
/** Decodes rows [row0, row0+n) of `w` to float32 `out[n, cols]`. */
int ck_decode_rows(const ck_weight *w, int64_t row0, int64_t n, float *out);
/** out[t] = table[tokens[t]] decoded to float32 (ids must be valid: the Swift side checks). */
int ck_embedding(const ck_weight *table, const int32_t *tokens, int64_t T, float *out, int threads);

/** Row-wise out = x / sqrt(mean(x²) + eps) · g; x, out [T, n] (out may be x). */
void ck_rms_norm(const float *x, const float *g, float eps, int64_t T, int64_t n, float *out, int threads);
/** Row-wise softmax of x[T, n] into out (out may be x). */
void ck_softmax(const float *x, int64_t T, int64_t n, float *out, int threads);
/** out = a + b, n elements (out may alias a or b). */
void ck_add(const float *a, const float *b, int64_t n, float *out, int threads);
/** gpt-oss clamped SwiGLU: gate_up[T, 2I] interleaved (even = gate) → out[T, I]. */
void ck_swiglu(const float *gate_up, int64_t T, int64_t I, float limit, float alpha, float *out, int threads);
/** Llama: out = silu(gate) · up, n elements (out may alias). */
void ck_silu_mul(const float *gate, const float *up, int64_t n, float *out, int threads);

/** RoPE styles. */
enum { CK_ROPE_NEOX = 0, CK_ROPE_INTERLEAVED = 1 };
/** Rotates x[T, heads·head_dim] in place; row t has position first_pos + t; cos/sin tables [max_pos, head_dim/2]. */
void ck_rope(float *x, int64_t T, int64_t heads, int64_t head_dim, int64_t first_pos,
             const float *cos_table, const float *sin_table, int style, int threads);

/** Attention parameters (see AttentionParams in OSSCore). */
typedef struct {
    int64_t heads, kv_heads, head_dim;
    float scale;
    int64_t window;          /**< 0 = full causal; W: query p sees keys j with p − W < j ≤ p */
    int64_t first_position;  /**< absolute position of query row 0 */
    int64_t slots;           /**< cache rows; key j lives in row j % slots */
} ck_attention_params;
/** q, out [T, heads·head_dim]; keys, values [slots, kv_heads·head_dim]; sinks [heads] or NULL. */
int ck_attention(ck_context *ctx, const float *q, int64_t T, const float *keys, const float *values,
                 const float *sinks, const ck_attention_params *p, float *out, int threads);
/** As ck_attention over an F16 cache: keys, values [slots, kv_heads·head_dim] IEEE binary16 bits. */
int ck_attention_f16(ck_context *ctx, const float *q, int64_t T, const uint16_t *keys, const uint16_t *values,
                     const float *sinks, const ck_attention_params *p, float *out, int threads);

/** gpt-oss MoE weights: router [E, H], gate_up [E·2I, H] (interleaved rows), down [E·H, I]; biases may be NULL. */
typedef struct {
    ck_weight router, gate_up, down;
    const float *router_bias;   /**< [E] */
    const float *gate_up_bias;  /**< [E, 2I] */
    const float *down_bias;     /**< [E, H] */
    int64_t experts, hidden, intermediate, top_k;
    float limit, alpha;
} ck_moe_weights;
/** x, out [T, H]: router → top-k → softmax over k → clamped SwiGLU experts → weighted sum. */
int ck_moe(ck_context *ctx, const float *x, int64_t T, const ck_moe_weights *w, float *out, int threads);

/** Index of the largest of x[n]; lowest index wins ties; NaNs are skipped (0 when all are NaN). */
int64_t ck_argmax(const float *x, int64_t n);
/** The k largest of x[n], descending, lowest index first among equals; NaNs rank lowest. Writes ids[k], values[k]. */
void ck_topk(const float *x, int64_t n, int64_t k, int32_t *ids, float *values);

#ifdef __cplusplus
}
#endif
#endif
