/*
 * Linear layers and the cblas bridge.
 *
 * One thread pool: OpenBLAS is held at one thread (ck_init) and every parallel region below is our libomp team, each
 * thread calling cblas on its own slice of output columns. Paths of y[T,out] = x[T,in]·W[out,in]ᵀ + b:
 *   any, T ≤ 4        our GEMV kernels (quant.c): each weight row decoded once in registers, dotted with all T rows
 *                     (F32/F16/BF16: T ≤ 16 on the AVX2 and AVX-512 paths, register blocks of rows × vectors in
 *                     gemv_batch.c from T = 2: each row read from memory once per call, batched decode)
 *                     (MXFP4: T ≤ 64 on the AVX2 path, T ≤ 256 on the AVX512-VNNI path; Q4_0 … Q5_1, Q4_K, Q5_K:
 *                     T ≤ 32, Q6_K T ≤ 16 on AVX2 and 32 on VNNI; the integer kernels beat the GEMM paths below up
 *                     to there)
 *                     (f32 T = 1 too: sgemm with M = 1 is ~4× slower than sgemv, and our kernel measured 1.1–1.8×
 *                     cblas_sgemv side by side in `oss bench` on a 2880-wide f32 weight larger than L3)
 *   T > 4, path OWN   our AVX-512 GEMM (gemm512.c): W decoded straight into packed panels, threads over outputs;
 *                     MXFP4, Q8_0 and the GGUF block types on VNNI CPUs as integers (gemm_vnni.c: int16 through
 *                     vpdpwssd, MXFP4 and the block types by default int8 through vpdpbusd; MXFP4 from T = 13,
 *                     or 33 on 16 bits)
 *   no AVX-512        MXFP4 and the block types on 8-bit activations past the GEMV limits (level AVX2_INT8): the
 *                     AVX2 8-bit tiles (gemm_avx2_int8.c, vpmaddubsw or AVX-VNNI's vpdpbusd ymm)
 *   f32, T > 4        cblas_sgemm per thread on a slice of W's rows
 *   other, T > 4      per thread: decode tiles of W rows into kept scratch, cblas_sgemm per tile
 * ck_gemm_path_for picks OWN or cblas per context and dtype (see there).
 */
#include "ck_internal.h"
#include "ck_probe.h"
#include <cblas.h>
#include <strings.h>

enum {
    GEMV_MAX_T = 4,        /* up to this many activation rows run the GEMV kernels */
    FLOAT_GEMV_MAX_T = 16, /* F32/F16/BF16 on the AVX2 and AVX-512 paths: the batched GEMV (gemv_batch.c) */
    /* MXFP4: the integer GEMV (4 activation rows per pass over the weights) beats decoding float tiles for sgemm up
     * to here. gate_up 2880→5760 (`oss bench`, tiled → integer, 1 / 2 threads): AVX2 path T = 32 1.1× / 1.0–1.2×,
     * T = 64 equal, T = 128 0.85× / 0.7–0.8×; VNNI path T = 128 1.2–1.4× / 1.2–1.4×, T = 256 1.1–1.4× /
     * 1.1–1.4×, T = 512 1.1–1.3× / equal. */
    MXFP4_GEMV_MAX_T = 64,
    MXFP4_VNNI_GEMV_MAX_T = 256,
    /* Q4_0 … Q5_1, Q4_K, Q5_K: the integer GEMV (quant_legacy.c, quant_k.c) against the GEMM past it, attn_out
     * 4096→2880 on one thread of the VNNI path (`oss bench`, a loaded machine, 2 runs each): against our GEMM
     * (gemm512.c, AVX-512 CPUs) T = 16 1.7–3×, T = 32 0.9–1.4×, T = 64 about equal; against decoded tiles + sgemm
     * (other CPUs) T = 16 1.7–5×, T = 32 1.8–2.7×, T = 64 1.2–1.9×, T = 128 equal, T = 512 0.6–0.7×. Against the
     * VNNI GEMM that took these types over on VNNI CPUs (gemm_vnni.c; llama_up 2048→8192, one thread, a loaded
     * machine, 2 runs): Q4_K T = 16 1.4×, T = 24 1.1–1.2×, T = 32 0.97–1.0×; Q4_0 T = 32 0.75×; Q6_K T = 16 0.97×. */
    QB_GEMV_MAX_T = 32,
    /* Q6_K: our GEMM T = 16 1.0–1.3×, T = 32 0.8–0.9×; tiles + sgemm T = 16 2×, T = 32 about equal. */
    Q6K_GEMV_MAX_T = 16,
    /* ... on the AVX2 path; on the VNNI one its 8-bit GEMV (quant_k8.c) against the 8-bit VNNI GEMM (llama_up /
     * llama_down, one thread, a loaded machine, 2 runs): T = 24 1.2–1.5×, T = 32 0.9–1.1×, so QB_GEMV_MAX_T there. */
    /* ... unless our GEMM takes MXFP4 (path OWN on a VNNI CPU: the VNNI GEMM tiles of gemm_vnni.c), which beats the
     * integer GEMV from about T = 36 on (gate_up 2880→5760, one thread, interleaved; GEMV → VNNI GEMM: T = 32
     * 0.93–0.97×, 48 1.14×, 64 1.14–1.22×, 128 1.30×, 256 1.40×). */
    MXFP4_VNNI_GEMM_GEMV_MAX_T = 32,
    /* ... and with its 8-bit tiles (the default, ck_set_int8_gemm): from about T = 14 on (same shapes; GEMV → 8-bit
     * GEMM, 2 runs: T = 8 0.73–0.74×, 12 0.93–0.97×, 16 1.08–1.18×, 24 1.38–1.44×, 32 1.43–2.06×). */
    MXFP4_VNNI8_GEMM_GEMV_MAX_T = 12,
    /* The 8-bit AVX2 GEMVs (CK_LEVEL_AVX2_INT8, four vectors per pass over a thread's rows, which stay in L2/L3)
     * against decoded float tiles + OpenBLAS sgemm (core Haswell), `--simd avx2`, llama_up / llama_down 2048↔8192, two
     * threads (Zen 5 VM, 5 reps): Q4_0 T = 64 1.5–1.7×, T = 128 1.2–1.4×; Q4_1 T = 128 1.3–1.4×; Q4_K 1.25–1.36× /
     * 1.25×; Q5_K T = 64 1.2×, 128 1.1×; Q6_K T = 24–32 1.4–1.8×, 64 1.2×, 128 1.16×; Q8_0 T = 64 1.17–1.19×, 128
     * 1.0×; Q5_0 / Q5_1 (their fifth bits cost a lookup per pair) T = 64 0.94×, 128 0.9–1.0×; every type at T = 512
     * 0.5–0.8×. One thread, T = 128: Q4_0 1.36×, Q6_K 1.22×. */
    AVX2_INT8_GEMV_MAX_T = 128, /* Q4_0, Q4_1, Q4_K, Q5_K, Q6_K */
    /* ... and against Q8_0's vpmaddubsw tiles (gemm_avx2_int8.c, same shapes, 2 runs): GEMV ÷ tiles time T = 32
     * 0.8–1.5, 64 0.8–1.0, 96 0.8–1.0. */
    AVX2_INT8_Q8_GEMV_MAX_T = 64,
    /* ... unless the AVX2 8-bit GEMM tiles take the GEMM (gemm_avx2_int8.c; AVX-512 off): against them (llama_up
     * 2048→8192, `--simd avx2` / `avx-vnni`, two threads, 2 runs each, a noisy VM) the GEMV of Q4_0 / Q4_K / Q6_K is
     * 2× faster at T = 16, about equal at T = 64 on vpmaddubsw (0.9–1.5×) and at T = 32 on AVX-VNNI, 0.8–0.9× at
     * T = 128 on vpmaddubsw and T = 48 on AVX-VNNI; MXFP4 (gate_up 2880→5760, 16-bit GEMV) about equal at T = 32,
     * 0.6–0.7× at T = 64 on either. */
    AVX2_TILES_GEMV_MAX_T = 64,
    AVX_VNNI_TILES_GEMV_MAX_T = 32,
    /* Q8_0's 8-bit GEMV against its AVX-VNNI tiles (`--simd avx-vnni`, llama_up / llama_down 2048↔8192, two
     * threads, 2 runs each): the GEMV 1.3–1.9× faster at T = 8, 0.9–1.3× at T = 12, equal at T = 16, 0.9–1.6× at
     * T = 24, 1.1–1.6× slower at T = 32, 2× at T = 64. */
    AVX_VNNI_Q8_TILES_GEMV_MAX_T = 16,
    AVX2_TILES_MXFP4_GEMV_MAX_T = 32,
    TILE_BYTES = 8 << 20,  /* decoded float32 tile per thread in the tiled path (each sgemm call repacks x, so
                              tiles are large: x[T, in] packing is < 3% of a T ≥ 64 tile's FLOPs) */
    MIN_WORK_PER_THREAD = 2048, /* weight elements below which a second thread costs more than it saves */
};

static void add_bias_rows(float *y, int64_t T, int64_t ld, int64_t c0, int64_t c1, const float *bias) {
    if (!bias) return;
    for (int64_t t = 0; t < T; t++) {
        float *row = y + t * ld;
        for (int64_t c = c0; c < c1; c++) row[c] += bias[c];
    }
}

static void linear_f32_gemm(const float *x, int64_t T, const ck_weight *w, const float *bias, float *y, int team) {
    const int64_t in = w->cols, out = w->rows;
    const float *W = (const float *)w->data;
    CK_PARALLEL(team, nt, id, {
        int64_t r0, r1;
        ck_split(out, nt, id, 16, &r0, &r1);
        if (r1 > r0) {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)T, (int)(r1 - r0), (int)in, 1.0f, x, (int)in,
                        W + r0 * in, (int)in, 0.0f, y + r0, (int)out);
            add_bias_rows(y, T, out, r0, r1, bias);
        }
    });
}

static int linear_gemv(ck_context *ctx, const float *x, int64_t T, const ck_weight *w, const float *bias, float *y,
                       int team, int level) {
    const int64_t in = w->cols, out = w->rows;
    const float *xp = x;
    int64_t xs = in;
    if (ck_needs_prepared_x(w, level)) {
        xs = ck_prepared_x_floats(w);
        float *buf = ck_buffer_reserve(&ctx->shared[CK_SHARED_XPERM], T * xs);
        if (!buf) return CK_ERR_NOMEM;
        for (int64_t t = 0; t < T; t++) ck_prepare_x(w, x + t * in, buf + t * xs, level);
        xp = buf;
    }
    CK_PARALLEL(team, nt, id, {
        int64_t r0, r1;
        ck_split(out, nt, id, 16, &r0, &r1);
        if (r1 > r0) ck_gemv_rows(w, r0, r1, xp, xs, (int)T, bias, y + r0, out, level);
    });
    return CK_OK;
}

static int linear_tiled(ck_context *ctx, const float *x, int64_t T, const ck_weight *w, const float *bias, float *y,
                        int team, int avx2) {
    const int64_t in = w->cols, out = w->rows;
    int64_t tile = TILE_BYTES / (in * 4) / 16 * 16;
    tile = tile < 64 ? 64 : tile;
    const int64_t slice = ((out + team - 1) / team + 15) / 16 * 16;
    tile = tile < slice ? tile : slice;
    for (int i = 0; i < team; i++)
        if (!ck_buffer_reserve(&ctx->thread_scratch[i], tile * in)) return CK_ERR_NOMEM;
    CK_PARALLEL(team, nt, id, {
        float *scratch = ctx->thread_scratch[id].ptr;
        int64_t r0, r1;
        ck_split(out, nt, id, 16, &r0, &r1);
        for (int64_t t0 = r0; t0 < r1; t0 += tile) {
            int64_t n = r1 - t0 < tile ? r1 - t0 : tile;
            for (int64_t r = 0; r < n; r++) ck_decode_row_any(w, t0 + r, scratch + r * in, avx2);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)T, (int)n, (int)in, 1.0f, x, (int)in, scratch,
                        (int)in, 0.0f, y + t0, (int)out);
        }
        if (r1 > r0) add_bias_rows(y, T, out, r0, r1, bias);
    });
    return CK_OK;
}

/* The GEMM path asked for `dtype` on this context: the process-wide override, else the context's (tuning) choice. */
static int gemm_choice(const ck_context *ctx, int32_t dtype) {
    const int path = ck_get_gemm_override();
    if (path == CK_GEMM_AUTO && ctx && dtype >= 0 && dtype < CK_DTYPE_SLOTS) return ctx->gemm_path[dtype];
    return path;
}

/* Whether the AVX2 8-bit tiles (gemm_avx2_int8.c) run `dtype`'s GEMM at GEMV level `level`: AVX-512 off (our AVX-512
 * GEMM runs it otherwise), 8-bit activations on at that level (off for exact-x callers and `--gemv-path avx2`), a
 * dtype they take (`_run`), and OpenBLAS not asked for on this context. */
static int avx2_int8_tiles_run(int32_t dtype, int level) {
    return level == CK_LEVEL_AVX2_INT8 && !ck_avx512_enabled() && ck_gemm_avx2_int8_takes(dtype);
}
static int avx2_int8_tiles(const ck_context *ctx, int32_t dtype, int level) {
    return avx2_int8_tiles_run(dtype, level) && gemm_choice(ctx, dtype) != CK_GEMM_CBLAS;
}

/* The largest T the GEMV kernels take for `dtype` at `level` on this context. */
static int64_t gemv_max_t(const ck_context *ctx, int32_t dtype, int level) {
    const int forced = ck_get_gemv_max_rows();
    if (forced > 0) return forced;
    if (dtype <= CK_BF16 && level >= CK_LEVEL_AVX2) return FLOAT_GEMV_MAX_T;
    const int tiles = avx2_int8_tiles(ctx, dtype, level);
    if (level == CK_LEVEL_AVX2_INT8 && dtype == CK_Q8_0)
        return tiles && ck_avx_vnni_enabled() ? AVX_VNNI_Q8_TILES_GEMV_MAX_T : AVX2_INT8_Q8_GEMV_MAX_T;
    if (tiles && dtype == CK_MXFP4) return AVX2_TILES_MXFP4_GEMV_MAX_T;
    if (level == CK_LEVEL_AVX2_INT8 && ck_is_qblock(dtype) && dtype != CK_Q5_0 && dtype != CK_Q5_1)
        return !tiles                 ? AVX2_INT8_GEMV_MAX_T
               : ck_avx_vnni_enabled() ? AVX_VNNI_TILES_GEMV_MAX_T
                                       : AVX2_TILES_GEMV_MAX_T;
    if (ck_is_qblock(dtype) && level >= CK_LEVEL_AVX2)
        return dtype == CK_Q6_K && level < CK_LEVEL_VNNI ? Q6K_GEMV_MAX_T : QB_GEMV_MAX_T;
    if (dtype != CK_MXFP4 || level < CK_LEVEL_AVX2) return GEMV_MAX_T;
    if (level < CK_LEVEL_VNNI) return MXFP4_GEMV_MAX_T;
    if (ck_gemm_path_for(ctx, dtype) != CK_GEMM_OWN) return MXFP4_VNNI_GEMV_MAX_T;
    return ck_gemm_vnni8_takes(dtype) ? MXFP4_VNNI8_GEMM_GEMV_MAX_T : MXFP4_VNNI_GEMM_GEMV_MAX_T;
}

/* Which kernel ck_linear runs on this context for a weight of `dtype` at T activation rows and GEMV level `level`. */
typedef enum { PATH_GEMV, PATH_OWN, PATH_AVX2_INT8, PATH_F32_GEMM, PATH_TILED } linear_path_kind;
static linear_path_kind linear_path(const ck_context *ctx, int32_t dtype, int64_t T, int level) {
    if (T <= gemv_max_t(ctx, dtype, level)) return PATH_GEMV;
    if (avx2_int8_tiles(ctx, dtype, level)) return PATH_AVX2_INT8;
    if (ck_avx512_enabled() && ck_gemm_path_for(ctx, dtype) == CK_GEMM_OWN) return PATH_OWN;
    return dtype == CK_F32 ? PATH_F32_GEMM : PATH_TILED;
}

int ck_gemm_own_available(int32_t dtype) { return ck_avx512_enabled() || avx2_int8_tiles_run(dtype, ck_gemv_level()); }

int ck_avx2_int8_gemm_active(void) { return avx2_int8_tiles_run(CK_Q4_0, ck_gemv_level()); /* any type they take */ }

int ck_linear_uses_gemm(const ck_context *ctx, int32_t dtype, int64_t T) {
    return linear_path(ctx, dtype, T, ck_gemv_level()) != PATH_GEMV;
}

int ck_linear_rounds_x_bf16(const ck_context *ctx, int32_t dtype, int64_t T) {
    return dtype == CK_BF16 && ck_linear_uses_gemm(ctx, dtype, T) && ck_gemm_path_for(ctx, dtype) == CK_GEMM_OWN &&
           ck_bf16_dot_enabled();
}

int ck_linear_rounds_x_int8(const ck_context *ctx, int32_t dtype, int64_t T) {
    /* the GEMV on VNNI of Q8_0 and the block types (K-quants per 256: quant_k8.c; the others per 32: quant.c,
     * quant_legacy.c) or the block types' 8-bit GEMM tiles (gemm_vnni.c, per 32) */
    const int level = ck_gemv_level();
    const linear_path_kind path = linear_path(ctx, dtype, T, level);
    if (path == PATH_AVX2_INT8) return 1;
    if (path != PATH_GEMV) return path == PATH_OWN && ck_gemm_vnni8_takes(dtype) && ck_vnni_enabled();
    return ck_level_rounds_x_int8(dtype, level);
}

int ck_linear_impl_flags(ck_context *ctx, const float *x, int64_t T, const ck_weight *w, const float *bias, float *y,
                         int threads, int flags) {
    ck_init();
    if (!ck_dtype_valid(w->dtype)) return CK_ERR_DTYPE;
    if (T < 1 || w->rows < 1 || w->cols < 1) return CK_ERR_ARGUMENT;
    if (threads > ctx->max_threads) threads = ctx->max_threads;
    int level = ck_gemv_level();
    /* the 8-bit GEMVs of Q8_0 and the block types (VNNI, AVX2_INT8) round x: exact-x callers take their AVX2 GEMV
     * (float x for Q8_0, 16-bit for the block types) */
    if ((flags & CK_LINEAR_EXACT_X) && ck_level_rounds_x_int8(w->dtype, level)) level = CK_LEVEL_AVX2;
    const int avx2 = level >= CK_LEVEL_AVX2;
    const int team = ck_team(threads, w->rows * w->cols, MIN_WORK_PER_THREAD);
    switch (linear_path(ctx, w->dtype, T, level)) {
    case PATH_GEMV: return linear_gemv(ctx, x, T, w, bias, y, team, level);
    case PATH_OWN: return ck_gemm512(ctx, x, T, w, bias, y, team, (flags & CK_LINEAR_EXACT_X) != 0);
    case PATH_AVX2_INT8: return ck_gemm_avx2_int8(ctx, x, T, w, bias, y, team);
    case PATH_F32_GEMM: linear_f32_gemm(x, T, w, bias, y, team); return CK_OK;
    default: return linear_tiled(ctx, x, T, w, bias, y, team, avx2);
    }
}

int ck_linear_impl(ck_context *ctx, const float *x, int64_t T, const ck_weight *w, const float *bias, float *y,
                   int threads) {
    return ck_linear_impl_flags(ctx, x, T, w, bias, y, threads, 0);
}

int ck_openblas_class(void) {
    /* OpenBLAS's SGEMM kernels of these core types use 512-bit FMAs; every other x86-64 core type uses 256 bits or
     * less (Haswell, Zen, SandyBridge, …). */
    static const char *const avx512_cores[] = {"SkylakeX", "Cooperlake", "SapphireRapids"};
    const char *core = openblas_get_corename();
    for (size_t i = 0; core && i < sizeof avx512_cores / sizeof *avx512_cores; i++)
        if (strcasecmp(core, avx512_cores[i]) == 0) return CK_ICLASS_FMA512;
    return CK_ICLASS_FMA256;
}

int ck_linear_class(const ck_context *ctx, int32_t dtype, int64_t T, int *products_per_mac) {
    const int level = ck_gemv_level();
    int cls = CK_ICLASS_FMA256, products = 1;
    const linear_path_kind path = linear_path(ctx, dtype, T, level);
    if (path == PATH_AVX2_INT8) { /* gemm_avx2_int8.c */
        cls = ck_avx_vnni_enabled() ? CK_ICLASS_INT8_VNNI256 : CK_ICLASS_INT8_MADDUBS256;
    } else if (path == PATH_OWN) { /* gemm512.c / gemm_vnni.c */
        if (ck_gemm_vnni8_takes(dtype) && ck_vnni_enabled()) cls = CK_ICLASS_INT8_VNNI512;
        else if (ck_gemm_vnni_takes(dtype) && ck_vnni_enabled()) cls = CK_ICLASS_INT16_VNNI512;
        else if (dtype == CK_BF16 && ck_bf16_dot_enabled()) cls = CK_ICLASS_BF16_DOT512;
        else cls = CK_ICLASS_FMA512;
    } else if (path != PATH_GEMV) {
        cls = ck_openblas_class();
    } else if (dtype <= CK_BF16 && (T >= 2 || ck_float_gemv_512_enabled()) && ck_avx512_enabled()) {
        cls = CK_ICLASS_FMA512; /* gemv_batch.c from 2 vectors on, one too where ck_float_gemv_512_enabled() */
    } else if (dtype == CK_MXFP4 && level >= CK_LEVEL_VNNI) {
        cls = CK_ICLASS_INT8_VNNI512; /* 16-bit activations as two byte halves: 2 byte products per weight */
        products = 2;
    } else if (dtype == CK_MXFP4 && level >= CK_LEVEL_AVX2) {
        cls = CK_ICLASS_INT8_MADDUBS256;
        products = 2;
    } else if (dtype == CK_Q8_0 && level >= CK_LEVEL_VNNI) {
        cls = CK_ICLASS_INT8_VNNI512;
        products = 2;
    } else if (level == CK_LEVEL_AVX2_INT8 && ck_level_rounds_x_int8(dtype, level)) {
        cls = CK_ICLASS_INT8_MADDUBS256; /* 8-bit x: one vpmaddubsw + vpmaddwd pair per 32 products, as the probe */
    } else if (ck_is_qblock(dtype) && level >= CK_LEVEL_AVX2) {
        /* Q4_0 … Q6_K (quant_legacy.c, quant_k.c): 16-bit activations as two byte halves, like MXFP4; the K-quants'
         * 8-bit ones on VNNI (quant_k8.c) also take two instructions per 64 products (vpmaddubsw, vpdpwssd) */
        cls = level >= CK_LEVEL_VNNI ? CK_ICLASS_INT8_VNNI512 : CK_ICLASS_INT8_MADDUBS256;
        products = 2;
    }
    if (products_per_mac) *products_per_mac = products;
    return cls;
}

int ck_float_class(void) { return ck_avx512_enabled() ? CK_ICLASS_FMA512 : CK_ICLASS_FMA256; }

int ck_linear(ck_context *ctx, const float *x, int64_t T, const ck_weight *w, const float *bias, float *y,
              int threads) {
    pthread_mutex_lock(&ctx->lock);
    int rc = ck_linear_impl(ctx, x, T, w, bias, y, threads);
    pthread_mutex_unlock(&ctx->lock);
    return rc;
}

/* ------------------------------------------------------------------ GEMM path */

int ck_context_set_gemm_path(ck_context *ctx, int32_t dtype, int path) {
    if (dtype < 0 || dtype >= CK_DTYPE_SLOTS) return CK_ERR_DTYPE;
    if (path != CK_GEMM_AUTO && path != CK_GEMM_CBLAS && path != CK_GEMM_OWN) return CK_ERR_ARGUMENT;
    ctx->gemm_path[dtype] = path;
    return CK_OK;
}

int ck_gemm_path_for(const ck_context *ctx, int32_t dtype) {
    /* without AVX-512 ours is the AVX2 8-bit tiles, for MXFP4 and the block types only */
    if (!ck_avx512_enabled()) return avx2_int8_tiles(ctx, dtype, ck_gemv_level()) ? CK_GEMM_OWN : CK_GEMM_CBLAS;
    const int path = gemm_choice(ctx, dtype);
    if (path != CK_GEMM_AUTO) return path;
    /* built-in rule: float32 weights keep OpenBLAS where it runs its AVX-512 kernel (equal speed, see README; elsewhere
     * on an AVX-512 CPU, e.g. OPENBLAS_CORETYPE=Haswell, its sgemm runs 256-bit FMAs, half the rate of two 512-bit
     * pipes); every other dtype gains from decoding into our panels instead of float tiles. */
    return dtype == CK_F32 && ck_openblas_class() == CK_ICLASS_FMA512 ? CK_GEMM_CBLAS : CK_GEMM_OWN;
}

/* ------------------------------------------------------------------ direct OpenBLAS baselines */

void ck_sgemm_direct(int64_t M, int64_t N, int64_t K, const float *A, const float *B, int transB, float *C,
                     int threads) {
    ck_init();
    openblas_set_num_threads(threads < 1 ? 1 : threads);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, transB ? CblasTrans : CblasNoTrans, (int)M, (int)N, (int)K, 1.0f, A,
                (int)K, B, transB ? (int)K : (int)N, 0.0f, C, (int)N);
    openblas_set_num_threads(1);
}

void ck_sgemv_direct(int64_t M, int64_t N, const float *A, const float *x, float *y, int threads) {
    ck_init();
    openblas_set_num_threads(threads < 1 ? 1 : threads);
    cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)M, (int)N, 1.0f, A, (int)N, x, 1, 0.0f, y, 1);
    openblas_set_num_threads(1);
}
