/*
 * C test of libswiftoss: compiled against swiftoss.h (C99) and linked to the library.
 *   1. every op on the swift and blas backends against a float64 reference written plainly here (NMSE per op; the
 *      thresholds are those of Tests/BackendConformanceTests/Tolerance.swift, reasons beside them; NaN/Inf fail;
 *      outputs are poisoned with NaN before each call);
 *   2. the tiny gpt-oss model of gpt-oss.md §6 to its golden argmaxes and max logits, as a safetensors directory
 *      (argv[1]) and as a GGUF file (argv[2]);
 *   3. a Llama-family GGUF model (argv[3]): its tokenizer, and greedy generation after the prompt argv[4] in two
 *      interleaved contexts of one model, each giving the ids `oss generate --token-ids` printed (argv[5]);
 *   4. bad arguments and bad model files give statuses, never a crash.
 * Prints one line per check and, last, "C ABI: N passed, N failed". Exit status 1 when anything failed.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swiftoss.h"

static int passed = 0, failed = 0;

static void check(int ok, const char *what) {
    if (ok) { passed++; } else { failed++; printf("FAIL %s (last error: %s)\n", what, oss_last_error()); }
}

static void check_status(oss_status got, oss_status want, const char *what) {
    if (got == want) { passed++; return; }
    failed++;
    printf("FAIL %s: status %s, expected %s (last error: %s)\n", what, oss_status_name(got), oss_status_name(want),
           oss_last_error());
}

/* ---------- random inputs ---------- */
static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t next_u64(void) {
    rng_state ^= rng_state << 13; rng_state ^= rng_state >> 7; rng_state ^= rng_state << 17;
    return rng_state;
}
static float uniform(float lo, float hi) { return lo + (hi - lo) * (float)((next_u64() >> 40) * 0x1.0p-24); }
static float *random_floats(size_t n, float lo, float hi) {
    float *p = malloc(n * sizeof(float));
    for (size_t i = 0; i < n; i++) p[i] = uniform(lo, hi);
    return p;
}
static float *poisoned(size_t n) {
    float *p = malloc(n * sizeof(float));
    for (size_t i = 0; i < n; i++) p[i] = NAN;
    return p;
}

/* ---------- tensors and weights ---------- */
static oss_tensor t1(float *d, int64_t a) { oss_tensor t = {d, 1, {a, 0, 0, 0}}; return t; }
static oss_tensor t2(float *d, int64_t a, int64_t b) { oss_tensor t = {d, 2, {a, b, 0, 0}}; return t; }
static oss_weight w2(int32_t dtype, const void *data, const uint8_t *scales, int64_t out, int64_t in) {
    oss_weight w = {dtype, 2, {out, in, 0}, data, scales}; return w;
}
static oss_weight w3(int32_t dtype, const void *data, const uint8_t *scales, int64_t e, int64_t out, int64_t in) {
    oss_weight w = {dtype, 3, {e, out, in}, data, scales}; return w;
}

/* ---------- float64 reference decoders of the stored dtypes ---------- */
static double half_to_double(uint16_t h) {
    int e = (h >> 10) & 31, m = h & 1023;
    double v = e == 0 ? ldexp(m, -24) : e == 31 ? (m ? NAN : INFINITY) : ldexp(1024 + m, e - 25);
    return (h & 0x8000) ? -v : v;
}
static const double e2m1[16] = {0, 0.5, 1, 1.5, 2, 3, 4, 6, -0.0, -0.5, -1, -1.5, -2, -3, -4, -6};

/* Random weight bytes of `rows` × `in` in `dtype`, and their exact decoded values. */
typedef struct { void *data; uint8_t *scales; double *values; } weight_data;
static weight_data random_weight(int32_t dtype, int64_t rows, int64_t in) {
    weight_data w = {0};
    size_t n = (size_t)(rows * in);
    w.values = malloc(n * sizeof(double));
    if (dtype == OSS_DTYPE_F32) {
        float *f = random_floats(n, -1, 1);
        for (size_t i = 0; i < n; i++) w.values[i] = f[i];
        w.data = f;
    } else if (dtype == OSS_DTYPE_BF16 || dtype == OSS_DTYPE_F16) {
        uint16_t *h = malloc(n * 2);
        for (size_t i = 0; i < n; i++) {
            if (dtype == OSS_DTYPE_BF16) {
                float f = uniform(-1, 1); uint32_t bits; memcpy(&bits, &f, 4);
                h[i] = (uint16_t)(bits >> 16); bits = (uint32_t)h[i] << 16; memcpy(&f, &bits, 4); w.values[i] = f;
            } else {
                h[i] = (uint16_t)(((next_u64() >> 60) << 10 | (next_u64() & 1023)) + (8u << 10)); /* exp 8…23 */
                if (next_u64() & 1) h[i] |= 0x8000;
                w.values[i] = half_to_double(h[i]);
            }
        }
        w.data = h;
    } else if (dtype == OSS_DTYPE_Q8_0) {
        uint8_t *b = malloc(n / 32 * 34);
        for (size_t blk = 0; blk < n / 32; blk++) {
            uint16_t d = (uint16_t)((uint16_t)(8 + (next_u64() % 4)) << 10 | (next_u64() & 1023)); /* 2^-7…2^-4 */
            memcpy(b + 34 * blk, &d, 2);
            for (int k = 0; k < 32; k++) {
                int8_t q = (int8_t)(next_u64() & 255);
                b[34 * blk + 2 + k] = (uint8_t)q;
                w.values[32 * blk + k] = half_to_double(d) * q;
            }
        }
        w.data = b;
    } else { /* MXFP4 */
        uint8_t *b = malloc(n / 2), *s = malloc(n / 32);
        for (size_t blk = 0; blk < n / 32; blk++) {
            s[blk] = (uint8_t)(124 + next_u64() % 5);
            for (int k = 0; k < 16; k++) {
                uint8_t byte = (uint8_t)next_u64();
                b[16 * blk + k] = byte;
                w.values[32 * blk + 2 * k] = e2m1[byte & 15] * ldexp(1, s[blk] - 127);
                w.values[32 * blk + 2 * k + 1] = e2m1[byte >> 4] * ldexp(1, s[blk] - 127);
            }
        }
        w.data = b; w.scales = s;
    }
    return w;
}
static void free_weight(weight_data w) { free(w.data); free(w.scales); free(w.values); }

/* The float64 reference of a linear: ref[t, out] = x[t, in] · wᵀ (exact decoded values) + bias (NULL: none); malloc'd. */
static double *reference_linear(const float *x, int64_t t, const weight_data *w, const float *bias, int64_t out,
                                int64_t in) {
    double *ref = malloc((size_t)(t * out) * sizeof(double));
    for (int64_t r = 0; r < t; r++) for (int64_t o = 0; o < out; o++) {
        double s = bias ? bias[o] : 0;
        for (int64_t i = 0; i < in; i++) s += (double)x[r * in + i] * w->values[o * in + i];
        ref[r * out + o] = s;
    }
    return ref;
}

/* NMSE Σ(a−b)²/Σb² of float32 results against the float64 reference; any NaN/Inf fails. */
static int close_enough(const float *got, const double *want, size_t n, double threshold, const char *what) {
    double num = 0, den = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(got[i])) { printf("FAIL %s: element %zu is %f\n", what, i, got[i]); failed++; return 0; }
        num += (got[i] - want[i]) * (got[i] - want[i]);
        den += want[i] * want[i];
    }
    double nmse = den > 0 ? num / den : num;
    if (nmse > threshold) { printf("FAIL %s: NMSE %.3g > %.3g\n", what, nmse, threshold); failed++; return 0; }
    passed++;
    return 1;
}

/* Thresholds (Tests/BackendConformanceTests/Tolerance.swift). */
static const double TOL_ADD = 1e-10;        /* one rounded f32 addition per element */
static const double TOL_ACTIVATION = 1e-10; /* one exp and 3–4 rounded products per element */
static const double TOL_SOFTMAX = 1e-9;     /* exp per element plus an n-term f32 sum */
static const double TOL_RMSNORM = 1e-10;    /* n-term f32 sum of squares, rsqrt, two products */
static const double TOL_ROPE = 1e-10;       /* f32 cos/sin table, two products and a sum */
static const double TOL_LINEAR = 1e-9;      /* f32 dot products; weights compared after exact decoding */
static const double TOL_LINEAR_FIXED = 1e-8;/* blas MXFP4 GEMV: activations rounded to 16-bit fixed point */
static const double TOL_LINEAR_INT8 = 2e-4; /* blas Q8_0 GEMV on AVX2 / AVX512-VNNI CPUs: 8 bits per 32-block (ggml's Q8_0) */
static const double TOL_ATTENTION = 1e-9;   /* head_dim-term dots, exp of scores, sums over ≤ 40 keys */
static const double TOL_MOE = 2e-8;         /* two fixed-point linears (MXFP4 experts) add their errors */
static const double TOL_EMBEDDING = 1e-14;  /* a row gather, decoding exact in f32 */

/* Whether the blas backend's integer GEMVs round activations to 8 bits here (an AVX512-VNNI CPU, as the library's
 * run-time dispatch requires; BLASBackend.linearRoundsActivationsToInt8 in Swift). */
static int cpu_has_vnni(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni");
}

/* Whether the blas backend's Q8_0 GEMV rounds activations to 8 bits here by default: wherever its AVX2 kernels run (VNNI,
 * or vpmaddubsw with oss_set_avx2_int8_gemv on; AVX2 + FMA + F16C, the library's run-time dispatch). */
static int cpu_has_avx2(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
}

/* Whether the blas backend's AVX-512 kernels run here (F, DQ, BW, VL: the library's run-time dispatch). */
static int cpu_has_avx512(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
           __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
}

/* ---------- ops ---------- */
static void test_linear(oss_backend *b, const char *name) {
    const int32_t dtypes[] = {OSS_DTYPE_F32, OSS_DTYPE_F16, OSS_DTYPE_BF16, OSS_DTYPE_Q8_0, OSS_DTYPE_MXFP4};
    const int64_t ts[] = {1, 3};
    for (int d = 0; d < 5; d++) for (int ti = 0; ti < 2; ti++) {
        int64_t t = ts[ti], in = dtypes[d] >= OSS_DTYPE_Q8_0 ? 96 : 67, out = 13;
        weight_data w = random_weight(dtypes[d], out, in);
        float *x = random_floats((size_t)(t * in), -1, 1), *bias = random_floats((size_t)out, -1, 1);
        float *y = poisoned((size_t)(t * out));
        double *ref = reference_linear(x, t, &w, bias, out, in);
        oss_tensor xt = t2(x, t, in), bt = t1(bias, out), yt = t2(y, t, out);
        oss_weight wt = w2(dtypes[d], w.data, w.scales, out, in);
        char what[96];
        snprintf(what, sizeof what, "%s linear %s T=%lld", name, oss_dtype_name(dtypes[d]), (long long)t);
        check_status(oss_linear(b, &xt, &wt, &bt, &yt), OSS_OK, what);
        const int int8 = dtypes[d] == OSS_DTYPE_Q8_0 && strcmp(name, "swift") != 0 && cpu_has_avx2();
        close_enough(y, ref, (size_t)(t * out),
                     int8 ? TOL_LINEAR_INT8 : dtypes[d] >= OSS_DTYPE_Q8_0 ? TOL_LINEAR_FIXED : TOL_LINEAR, what);
        free_weight(w); free(x); free(bias); free(y); free(ref);
    }
}

/* oss_set_gemm_roundings: default on, bad values refused, and an MXFP4 linear past its GEMV (T = 40) gives other bits
 * with 8-bit activations than without, each within its tolerance of the float64 reference: on a VNNI CPU the VNNI
 * tiles, on any other AVX2 CPU the AVX2 8-bit tiles (off: float tiles for OpenBLAS). */
static void test_gemm_roundings(oss_backend *b) {
    int32_t i8 = -1, bf = -1;
    check_status(oss_get_gemm_roundings(&i8, &bf), OSS_OK, "gemm roundings get");
    check(i8 == 1 && bf == 1, "gemm roundings default on");
    check_status(oss_set_gemm_roundings(2, 1), OSS_ERROR_INVALID_ARGUMENT, "gemm roundings int8_gemm = 2");
    check_status(oss_set_gemm_roundings(1, -1), OSS_ERROR_INVALID_ARGUMENT, "gemm roundings bf16_dot = -1");
    check_status(oss_get_gemm_roundings(NULL, NULL), OSS_OK, "gemm roundings get NULL");
    const int64_t t = 40, in = 96, out = 13;
    weight_data w = random_weight(OSS_DTYPE_MXFP4, out, in);
    float *x = random_floats((size_t)(t * in), -1, 1), *y[2] = {poisoned((size_t)(t * out)), poisoned((size_t)(t * out))};
    double *ref = reference_linear(x, t, &w, NULL, out, in);
    oss_tensor xt = t2(x, t, in);
    oss_weight wt = w2(OSS_DTYPE_MXFP4, w.data, w.scales, out, in);
    const int int8_tiles = cpu_has_vnni() || cpu_has_avx2();
    for (int on = 0; on < 2; on++) {
        check_status(oss_set_gemm_roundings(on, on), OSS_OK, "gemm roundings set");
        check_status(oss_get_gemm_roundings(&i8, &bf), OSS_OK, "gemm roundings get after set");
        check(i8 == on && bf == on, "gemm roundings read back");
        oss_tensor yt = t2(y[on], t, out);
        check_status(oss_linear(b, &xt, &wt, NULL, &yt), OSS_OK, "gemm roundings mxfp4 linear T=40");
        close_enough(y[on], ref, (size_t)(t * out), on && int8_tiles ? TOL_LINEAR_INT8 : TOL_LINEAR_FIXED,
                     on ? "mxfp4 T=40 8-bit GEMM" : "mxfp4 T=40 16-bit GEMM");
    }
    if (int8_tiles)
        check(memcmp(y[0], y[1], (size_t)(t * out) * sizeof(float)) != 0, "8-bit GEMM changes the bits");
    free_weight(w); free(x); free(y[0]); free(y[1]); free(ref);
}

/* oss_set_float_gemv: default 0 (by the CPU), bad widths refused; a BF16 and an F32 GEMV (T = 1) each within f32
 * rounding of the float64 reference on the 256-bit rows and the 512-bit blocks, which run where the CPU has AVX-512
 * (other bits there: another summation order). */
static void test_float_gemv(oss_backend *b) {
    int32_t width = -1, active = -1;
    check_status(oss_get_float_gemv(&width, &active), OSS_OK, "float gemv get");
    check(width == 0 && (active == 256 || active == 512), "float gemv default by the CPU");
    check(cpu_has_avx512() || active == 256, "float gemv 256-bit without AVX-512");
    const int32_t bad[] = {1, -1, 255, 1024};
    for (int i = 0; i < 4; i++) check_status(oss_set_float_gemv(bad[i]), OSS_ERROR_INVALID_ARGUMENT, "float gemv bad");
    check_status(oss_get_float_gemv(NULL, NULL), OSS_OK, "float gemv get NULL");
    const int32_t dtypes[] = {OSS_DTYPE_BF16, OSS_DTYPE_F32};
    const int64_t in = 203, out = 23; /* K % 32 = 11: the natural-order rest; 23 rows: five blocks of four and 3 rows */
    for (int d = 0; d < 2; d++) {
        weight_data w = random_weight(dtypes[d], out, in);
        float *x = random_floats((size_t)in, -1, 1), *y[2] = {poisoned((size_t)out), poisoned((size_t)out)};
        double *ref = reference_linear(x, 1, &w, NULL, out, in);
        oss_tensor xt = t2(x, 1, in);
        oss_weight wt = w2(dtypes[d], w.data, w.scales, out, in);
        const int32_t widths[] = {256, 512};
        for (int k = 0; k < 2; k++) {
            check_status(oss_set_float_gemv(widths[k]), OSS_OK, "float gemv set");
            check_status(oss_get_float_gemv(&width, &active), OSS_OK, "float gemv get after set");
            check(width == widths[k] && active == (k == 1 && cpu_has_avx512() ? 512 : 256), "float gemv read back");
            oss_tensor yt = t2(y[k], 1, out);
            check_status(oss_linear(b, &xt, &wt, NULL, &yt), OSS_OK, "float gemv linear T=1");
            close_enough(y[k], ref, (size_t)out, TOL_LINEAR, k ? "float T=1 512-bit blocks" : "float T=1 256-bit rows");
        }
        if (cpu_has_avx512())
            check(memcmp(y[0], y[1], (size_t)out * sizeof(float)) != 0, "512-bit blocks sum in another order");
        free_weight(w); free(x); free(y[0]); free(y[1]); free(ref);
    }
    check_status(oss_set_float_gemv(0), OSS_OK, "float gemv reset");
}

/* oss_set_int8_gemv: default off, bad values refused, and on a VNNI CPU an MXFP4 GEMV (T = 1) gives other bits with 8-bit
 * activations than with the default 16-bit ones, each within its tolerance of the float64 reference. */
static void test_int8_gemv(oss_backend *b) {
    int32_t on_now = -1;
    check_status(oss_get_int8_gemv(&on_now), OSS_OK, "int8 gemv get");
    check(on_now == 0, "int8 gemv default off");
    check_status(oss_set_int8_gemv(2), OSS_ERROR_INVALID_ARGUMENT, "int8 gemv on = 2");
    check_status(oss_get_int8_gemv(NULL), OSS_OK, "int8 gemv get NULL");
    const int64_t in = 160, out = 21;
    weight_data w = random_weight(OSS_DTYPE_MXFP4, out, in);
    float *x = random_floats((size_t)in, -1, 1), *y[2] = {poisoned((size_t)out), poisoned((size_t)out)};
    double *ref = reference_linear(x, 1, &w, NULL, out, in);
    oss_tensor xt = t2(x, 1, in);
    oss_weight wt = w2(OSS_DTYPE_MXFP4, w.data, w.scales, out, in);
    for (int on = 0; on < 2; on++) {
        check_status(oss_set_int8_gemv(on), OSS_OK, "int8 gemv set");
        check_status(oss_get_int8_gemv(&on_now), OSS_OK, "int8 gemv get after set");
        check(on_now == on, "int8 gemv read back");
        oss_tensor yt = t2(y[on], 1, out);
        check_status(oss_linear(b, &xt, &wt, NULL, &yt), OSS_OK, "int8 gemv mxfp4 linear T=1");
        close_enough(y[on], ref, (size_t)out, on && cpu_has_vnni() ? TOL_LINEAR_INT8 : TOL_LINEAR_FIXED,
                     on ? "mxfp4 T=1 8-bit GEMV" : "mxfp4 T=1 16-bit GEMV");
    }
    check_status(oss_set_int8_gemv(0), OSS_OK, "int8 gemv reset");
    if (cpu_has_vnni()) check(memcmp(y[0], y[1], (size_t)out * sizeof(float)) != 0, "8-bit GEMV changes the bits");
    free_weight(w); free(x); free(y[0]); free(y[1]); free(ref);
}

/* oss_set_avx2_int8_gemv: default on, bad values refused; on a CPU without VNNI (the switch's only reach) a Q8_0 GEMV
 * (T = 1) gives other bits with 8-bit activations than with float ones, each within its tolerance of the float64
 * reference; where VNNI runs it the switch changes nothing. */
static void test_avx2_int8_gemv(oss_backend *b) {
    int32_t on_now = -1;
    check_status(oss_get_avx2_int8_gemv(&on_now), OSS_OK, "avx2 int8 gemv get");
    check(on_now == 1, "avx2 int8 gemv default on");
    check_status(oss_set_avx2_int8_gemv(-1), OSS_ERROR_INVALID_ARGUMENT, "avx2 int8 gemv on = -1");
    check_status(oss_get_avx2_int8_gemv(NULL), OSS_OK, "avx2 int8 gemv get NULL");
    const int64_t in = 160, out = 21;
    weight_data w = random_weight(OSS_DTYPE_Q8_0, out, in);
    float *x = random_floats((size_t)in, -1, 1), *y[2] = {poisoned((size_t)out), poisoned((size_t)out)};
    double *ref = reference_linear(x, 1, &w, NULL, out, in);
    oss_tensor xt = t2(x, 1, in);
    oss_weight wt = w2(OSS_DTYPE_Q8_0, w.data, w.scales, out, in);
    for (int on = 0; on < 2; on++) {
        check_status(oss_set_avx2_int8_gemv(on), OSS_OK, "avx2 int8 gemv set");
        check_status(oss_get_avx2_int8_gemv(&on_now), OSS_OK, "avx2 int8 gemv get after set");
        check(on_now == on, "avx2 int8 gemv read back");
        oss_tensor yt = t2(y[on], 1, out);
        check_status(oss_linear(b, &xt, &wt, NULL, &yt), OSS_OK, "avx2 int8 gemv q8_0 linear T=1");
        close_enough(y[on], ref, (size_t)out, (on && cpu_has_avx2()) || cpu_has_vnni() ? TOL_LINEAR_INT8 : TOL_LINEAR,
                     on ? "q8_0 T=1 8-bit GEMV" : "q8_0 T=1 GEMV, AVX2 8-bit switch off");
    }
    check_status(oss_set_avx2_int8_gemv(1), OSS_OK, "avx2 int8 gemv reset");
    const int differ = memcmp(y[0], y[1], (size_t)out * sizeof(float)) != 0;
    if (cpu_has_vnni()) check(!differ, "VNNI runs Q8_0 whatever the AVX2 switch says");
    else if (cpu_has_avx2()) check(differ, "the AVX2 8-bit GEMV changes the bits");
    free_weight(w); free(x); free(y[0]); free(y[1]); free(ref);
}

static void test_elementwise(oss_backend *b, const char *name) {
    const int64_t rows = 3, n = 37;
    const size_t count = (size_t)(rows * n);
    float *a = random_floats(count, -4, 4), *c = random_floats(count, -4, 4), *w = random_floats((size_t)n, 0.5f, 1.5f);
    float *y = poisoned(count);
    double *ref = malloc(count * 2 * sizeof(double));
    oss_tensor at = t2(a, rows, n), ct = t2(c, rows, n), yt = t2(y, rows, n), wt = t1(w, n);
    char what[96];

    for (size_t i = 0; i < count; i++) ref[i] = (double)a[i] + c[i];
    snprintf(what, sizeof what, "%s add", name);
    check_status(oss_add(b, &at, &ct, &yt), OSS_OK, what);
    close_enough(y, ref, count, TOL_ADD, what);

    for (size_t i = 0; i < count; i++) ref[i] = a[i] / (1 + exp(-(double)a[i])) * c[i];
    for (size_t i = 0; i < count; i++) y[i] = NAN;
    snprintf(what, sizeof what, "%s silu_mul", name);
    check_status(oss_silu_mul(b, &at, &ct, &yt), OSS_OK, what);
    close_enough(y, ref, count, TOL_ACTIVATION, what);

    for (int64_t r = 0; r < rows; r++) {
        double ss = 0;
        for (int64_t i = 0; i < n; i++) ss += (double)a[r * n + i] * a[r * n + i];
        double scale = 1 / sqrt(ss / n + 1e-5);
        for (int64_t i = 0; i < n; i++) ref[r * n + i] = a[r * n + i] * scale * w[i];
    }
    for (size_t i = 0; i < count; i++) y[i] = NAN;
    snprintf(what, sizeof what, "%s rms_norm", name);
    check_status(oss_rms_norm(b, &at, &wt, 1e-5f, &yt), OSS_OK, what);
    close_enough(y, ref, count, TOL_RMSNORM, what);

    for (int64_t r = 0; r < rows; r++) {
        double m = -INFINITY, s = 0;
        for (int64_t i = 0; i < n; i++) m = fmax(m, a[r * n + i]);
        for (int64_t i = 0; i < n; i++) s += exp(a[r * n + i] - m);
        for (int64_t i = 0; i < n; i++) ref[r * n + i] = exp(a[r * n + i] - m) / s;
    }
    for (size_t i = 0; i < count; i++) y[i] = NAN;
    snprintf(what, sizeof what, "%s softmax", name);
    check_status(oss_softmax(b, &at, &yt), OSS_OK, what);
    close_enough(y, ref, count, TOL_SOFTMAX, what);

    /* swiglu on gate_up [3, 2·18] (values ±10 so both clamps act) → out [3, 18] */
    float *gu = random_floats((size_t)(rows * 36), -10, 10), *sw = poisoned((size_t)(rows * 18));
    for (int64_t r = 0; r < rows; r++) for (int64_t j = 0; j < 18; j++) {
        double g = fmin(gu[r * 36 + 2 * j], 7), u = fmax(fmin(gu[r * 36 + 2 * j + 1], 7), -7);
        ref[r * 18 + j] = g / (1 + exp(-1.702 * g)) * (u + 1);
    }
    oss_tensor gt = t2(gu, rows, 36), st = t2(sw, rows, 18);
    snprintf(what, sizeof what, "%s swiglu", name);
    check_status(oss_swiglu(b, &gt, 7, 1.702f, &st), OSS_OK, what);
    close_enough(sw, ref, (size_t)(rows * 18), TOL_ACTIVATION, what);

    /* argmax and top_k on one row with a planted maximum */
    a[17] = 100;
    oss_tensor row = t1(a, n);
    int64_t index = -1;
    snprintf(what, sizeof what, "%s argmax", name);
    check_status(oss_argmax(b, &row, &index), OSS_OK, what);
    check(index == 17, what);
    int32_t ids[5]; float vals[5];
    snprintf(what, sizeof what, "%s top_k", name);
    check_status(oss_top_k(b, &row, 5, ids, vals), OSS_OK, what);
    int sorted = ids[0] == 17;
    for (int k = 1; k < 5; k++) sorted = sorted && vals[k] <= vals[k - 1] && a[ids[k]] == vals[k];
    int64_t above = 0;
    for (int64_t i = 0; i < n; i++) above += a[i] > vals[4];
    check(sorted && above == 4, what);
    free(a); free(c); free(w); free(y); free(ref); free(gu); free(sw);
}

static void test_embedding_rope(oss_backend *b, const char *name) {
    char what[96];
    weight_data table = random_weight(OSS_DTYPE_BF16, 50, 24);
    int32_t tokens[4] = {3, 49, 0, 3};
    float *y = poisoned(4 * 24);
    double ref[4 * 24];
    for (int t = 0; t < 4; t++) for (int i = 0; i < 24; i++) ref[t * 24 + i] = table.values[tokens[t] * 24 + i];
    oss_weight wt = w2(OSS_DTYPE_BF16, table.data, NULL, 50, 24);
    oss_tensor yt = t2(y, 4, 24);
    snprintf(what, sizeof what, "%s embedding bf16", name);
    check_status(oss_embedding(b, &wt, tokens, 4, &yt), OSS_OK, what);
    close_enough(y, ref, 4 * 24, TOL_EMBEDDING, what);
    free_weight(table); free(y);

    /* NeoX RoPE: 3 rows × 2 heads × 16, positions 5…7, plain table theta 10000 */
    oss_rope_table *rt = NULL;
    check_status(oss_rope_table_create(16, 10000, 64, &rt), OSS_OK, "rope table");
    float *x = random_floats(3 * 32, -1, 1);
    double r[3 * 32];
    for (int t = 0; t < 3; t++) for (int h = 0; h < 2; h++) for (int i = 0; i < 8; i++) {
        double a = (5 + t) * pow(10000, -2.0 * i / 16), x1 = x[t * 32 + h * 16 + i], x2 = x[t * 32 + h * 16 + i + 8];
        r[t * 32 + h * 16 + i] = x1 * cos(a) - x2 * sin(a);
        r[t * 32 + h * 16 + i + 8] = x2 * cos(a) + x1 * sin(a);
    }
    oss_tensor xt = t2(x, 3, 32);
    snprintf(what, sizeof what, "%s rope neox", name);
    check_status(oss_rope(b, &xt, 2, 5, rt, OSS_ROPE_NEOX), OSS_OK, what);
    close_enough(x, r, 3 * 32, TOL_ROPE, what);
    free(x);
    oss_rope_table_release(rt);
}

static void test_attention(oss_backend *b, const char *name) {
    /* 3 query rows at positions 9…11, 4 heads over 2 kv heads of 16, window 5, sinks; a ring of 8 slots */
    enum { T = 3, H = 4, KV = 2, D = 16, SLOTS = 8, W = 5, P0 = 9 };
    float *q = random_floats(T * H * D, -1, 1), *k = random_floats(SLOTS * KV * D, -1, 1);
    float *v = random_floats(SLOTS * KV * D, -1, 1), *sinks = random_floats(H, -2, 2), *out = poisoned(T * H * D);
    double ref[T * H * D];
    const double scale = 0.25;
    for (int t = 0; t < T; t++) for (int h = 0; h < H; h++) {
        int p = P0 + t, g = h / (H / KV), lo = p - W + 1 < 0 ? 0 : p - W + 1;
        double s[W], m = sinks[h], z = 0;
        for (int j = lo; j <= p; j++) {
            double d = 0;
            for (int i = 0; i < D; i++) d += (double)q[(t * H + h) * D + i] * k[((j % SLOTS) * KV + g) * D + i];
            s[j - lo] = d * scale;
            m = fmax(m, s[j - lo]);
        }
        z = exp(sinks[h] - m);
        for (int j = lo; j <= p; j++) z += exp(s[j - lo] - m);
        for (int i = 0; i < D; i++) {
            double acc = 0;
            for (int j = lo; j <= p; j++) acc += exp(s[j - lo] - m) / z * v[((j % SLOTS) * KV + g) * D + i];
            ref[(t * H + h) * D + i] = acc;
        }
    }
    oss_tensor qt = t2(q, T, H * D), kt = t2(k, SLOTS, KV * D), vt = t2(v, SLOTS, KV * D), st = t1(sinks, H);
    oss_tensor ot = t2(out, T, H * D);
    oss_attention_params p = {H, KV, D, (float)scale, W, P0};
    char what[96];
    snprintf(what, sizeof what, "%s attention (GQA, window, sinks, ring)", name);
    check_status(oss_attention(b, &qt, &kt, &vt, &st, &p, &ot), OSS_OK, what);
    close_enough(out, ref, T * H * D, TOL_ATTENTION, what);
    free(q); free(k); free(v); free(sinks); free(out);
}

static void test_moe(oss_backend *b, const char *name) {
    /* 2 tokens, H 64, 4 experts (top 2) of I 32, MXFP4 experts, f32 router with well separated logits */
    enum { T = 2, HID = 64, E = 4, I = 32, K = 2 };
    weight_data router = random_weight(OSS_DTYPE_F32, E, HID);
    for (int i = 0; i < E * HID; i++) { ((float *)router.data)[i] *= 0.01f; router.values[i] = ((float *)router.data)[i]; }
    float rb[E] = {0, 3, 1.5f, 4.5f};
    weight_data gu = random_weight(OSS_DTYPE_MXFP4, E * 2 * I, HID), dn = random_weight(OSS_DTYPE_MXFP4, E * HID, I);
    float *gub = random_floats(E * 2 * I, -1, 1), *dnb = random_floats(E * HID, -1, 1);
    float *x = random_floats(T * HID, -1, 1), *out = poisoned(T * HID);
    double ref[T * HID];
    for (int t = 0; t < T; t++) {
        double logit[E];
        for (int e = 0; e < E; e++) {
            logit[e] = rb[e];
            for (int i = 0; i < HID; i++) logit[e] += (double)x[t * HID + i] * router.values[e * HID + i];
        }
        int sel[K]; double wsel[K], z = 0;
        for (int k = 0; k < K; k++) {
            int best = -1;
            for (int e = 0; e < E; e++) {
                int used = 0;
                for (int j = 0; j < k; j++) used |= sel[j] == e;
                if (!used && (best < 0 || logit[e] > logit[best])) best = e;
            }
            sel[k] = best;
        }
        for (int k = 0; k < K; k++) z += exp(logit[sel[k]] - logit[sel[0]]);
        for (int k = 0; k < K; k++) wsel[k] = exp(logit[sel[k]] - logit[sel[0]]) / z;
        for (int i = 0; i < HID; i++) ref[t * HID + i] = 0;
        for (int k = 0; k < K; k++) {
            int e = sel[k];
            double act[I];
            for (int j = 0; j < I; j++) {
                double g = gub[e * 2 * I + 2 * j], u = gub[e * 2 * I + 2 * j + 1];
                for (int i = 0; i < HID; i++) {
                    g += (double)x[t * HID + i] * gu.values[((size_t)e * 2 * I + 2 * j) * HID + i];
                    u += (double)x[t * HID + i] * gu.values[((size_t)e * 2 * I + 2 * j + 1) * HID + i];
                }
                g = fmin(g, 7); u = fmax(fmin(u, 7), -7);
                act[j] = g / (1 + exp(-1.702 * g)) * (u + 1);
            }
            for (int o = 0; o < HID; o++) {
                double y = dnb[e * HID + o];
                for (int j = 0; j < I; j++) y += act[j] * dn.values[((size_t)e * HID + o) * I + j];
                ref[t * HID + o] += wsel[k] * y;
            }
        }
    }
    oss_tensor rbt = t1(rb, E), gubt = t2(gub, E, 2 * I), dnbt = t2(dnb, E, HID);
    oss_moe_weights mw = {
        w2(OSS_DTYPE_F32, router.data, NULL, E, HID), &rbt,
        w3(OSS_DTYPE_MXFP4, gu.data, gu.scales, E, 2 * I, HID), &gubt,
        w3(OSS_DTYPE_MXFP4, dn.data, dn.scales, E, HID, I), &dnbt,
        K, 7, 1.702f};
    oss_tensor xt = t2(x, T, HID), ot = t2(out, T, HID);
    char what[96];
    snprintf(what, sizeof what, "%s moe (mxfp4 experts)", name);
    check_status(oss_moe(b, &xt, &mw, &ot), OSS_OK, what);
    close_enough(out, ref, T * HID, TOL_MOE, what);
    free_weight(router); free_weight(gu); free_weight(dn); free(gub); free(dnb); free(x); free(out);
}

/* ---------- the tiny model (gpt-oss.md §6) ---------- */
static const int32_t golden_argmax[12] = {793, 836, 177, 330, 409, 35, 780, 197, 562, 139, 367, 899};
static const double golden_max[12] = {7.8774, 6.6111, 7.2392, 6.3994, 7.4764, 7.3034,
                                      9.1297, 7.9859, 8.6978, 9.7270, 7.4991, 7.4214};

static void test_tiny_model(const char *path, const char *format, int32_t kind, const char *name, int32_t kv_cache) {
    oss_model_options o;
    oss_model_options_default(&o);
    check(o.kv_cache == OSS_KV_CACHE_F32, "default kv_cache is f32");
    o.backend = kind;
    o.threads = 2;
    o.kv_cache = kv_cache;
    oss_model *model = NULL;
    char what[128];
    snprintf(what, sizeof what, "%s tiny %s model load (kv cache %s)", name, format,
             kv_cache == OSS_KV_CACHE_F16 ? "f16" : "f32");
    check_status(oss_model_load(path, &o, &model), OSS_OK, what);
    if (!model) return;
    oss_model_info info;
    check_status(oss_model_get_info(model, &info), OSS_OK, "model info");
    snprintf(what, sizeof what, "%s tiny %s model info values", name, format);
    check(info.vocabulary_size == 1024 && info.layers == 4 && strcmp(info.architecture, "gpt-oss") == 0
          && info.experts == 8 && info.experts_per_token == 4 && strcmp(info.format, format) == 0
          && strcmp(info.weight_dtypes, "bf16+mxfp4") == 0, what);

    oss_context *ctx = NULL;
    check_status(oss_context_create(model, 64, &ctx), OSS_OK, "context create");
    int argmax_ok = 1, max_ok = 1;
    for (int t = 0; t < 12; t++) {
        int32_t token = (37 * t + 11) % 1024, sampled = -1;
        const float *logits = NULL;
        size_t count = 0;
        oss_status s = oss_context_append_tokens(ctx, &token, 1);
        if (s == OSS_OK) s = oss_context_get_logits(ctx, &logits, &count);
        if (s != OSS_OK || count != 1024) { check_status(s, OSS_OK, "tiny step"); return; }
        int best = 0;
        for (int i = 1; i < 1024; i++) if (logits[i] > logits[best]) best = i;
        argmax_ok &= best == golden_argmax[t];
        /* an F16 cache rounds keys and values to 11 significant bits: the max logits move by up to ~1e-2 */
        max_ok &= fabs(logits[best] - golden_max[t]) < (kv_cache == OSS_KV_CACHE_F16 ? 2e-2 : 2e-3);
        check_status(oss_context_sample(ctx, NULL, &sampled), OSS_OK, "greedy sample");
        argmax_ok &= sampled == golden_argmax[t];
    }
    snprintf(what, sizeof what, "%s tiny %s golden argmaxes (incremental, greedy sample)", name, format);
    check(argmax_ok, what);
    snprintf(what, sizeof what, "%s tiny %s golden max logits (2e-3; 2e-2 on an F16 cache)", name, format);
    check(max_ok, what);

    /* reset + the same 12 tokens at once: prefix reuse must give the same last logits */
    size_t n = 0, max = 0;
    check_status(oss_context_get_counts(ctx, &n, &max), OSS_OK, "counts");
    check(n == 12 && max == 64, "counts values");
    int32_t all[12];
    for (int t = 0; t < 12; t++) all[t] = (37 * t + 11) % 1024;
    oss_context_reset(ctx);
    oss_context_append_tokens(ctx, all, 12);
    int32_t again = -1;
    check_status(oss_context_sample(ctx, NULL, &again), OSS_OK, "sample after reset + append");
    check(again == golden_argmax[11], "reused prefix gives the golden last argmax");
    oss_context_truncate(ctx, 6);
    check_status(oss_context_sample(ctx, NULL, &again), OSS_OK, "sample after truncate");
    check(again == golden_argmax[5], "truncate to 6 gives the golden argmax of position 5");

    /* a released context is detected */
    oss_context_release(ctx);
    check_status(oss_context_process(ctx), OSS_ERROR_INVALID_HANDLE, "released context");
    oss_model_release(model);
}

/* ---------- a Llama-family GGUF model ---------- */

/* The ids of a JSON array such as "[12, 5, 7]" (any non-digit separates). Returns the count (at most max). */
static int parse_ids(const char *text, int32_t *ids, int max) {
    int n = 0;
    while (*text && n < max) {
        if (*text >= '0' && *text <= '9') {
            char *end;
            ids[n++] = (int32_t)strtol(text, &end, 10);
            text = end;
        } else {
            text++;
        }
    }
    return n;
}

static int is_stop(const int32_t *stop, size_t n_stop, int32_t token) {
    for (size_t i = 0; i < n_stop; i++) if (stop[i] == token) return 1;
    return 0;
}

/* Greedy steps on two contexts of one model in turn: each appends its sampled token and goes on until a stop token
 * (kept, as `oss generate --token-ids` prints it) or `max` tokens. */
static void generate_interleaved(oss_context *a, oss_context *b, const int32_t *stop, size_t n_stop, int32_t *out_a,
                                 int32_t *out_b, int *n_a, int *n_b, int max) {
    oss_context *ctx[2] = {a, b};
    int32_t *out[2] = {out_a, out_b};
    int *n[2] = {n_a, n_b}, done[2] = {0, 0};
    *n_a = *n_b = 0;
    for (int step = 0; step < max; step++) {
        for (int c = 0; c < 2; c++) {
            if (done[c]) continue;
            int32_t token = -1;
            if (oss_context_sample(ctx[c], NULL, &token) != OSS_OK) { done[c] = 1; continue; }
            out[c][(*n[c])++] = token;
            if (is_stop(stop, n_stop, token) || oss_context_append_tokens(ctx[c], &token, 1) != OSS_OK) done[c] = 1;
        }
    }
}

static void test_llama_model(const char *path, const char *prompt, const char *expected_text) {
    int32_t expected[64];
    int n_expected = parse_ids(expected_text, expected, 64);
    check(n_expected > 0, "oss generate printed token ids");
    oss_model_options o;
    oss_model_options_default(&o);
    o.threads = 2;
    oss_model *model = NULL;
    check_status(oss_model_load(path, &o, &model), OSS_OK, "llama gguf load");
    if (!model) return;
    oss_model_info info;
    check_status(oss_model_get_info(model, &info), OSS_OK, "llama model info");
    check(strcmp(info.architecture, "llama") == 0 && strcmp(info.format, "gguf") == 0 && info.vocabulary_size == 512
          && info.layers == 2 && info.hidden_size == 64 && info.experts == 0 && info.max_context_length == 2048
          && info.context_length == 2048 && strcmp(info.weight_dtypes, "q8_0") == 0 && info.chat_format != NULL,
          "llama model info values");

    oss_tokenizer *tok = NULL;
    check_status(oss_model_get_tokenizer(model, &tok), OSS_OK, "llama tokenizer");
    int32_t bos = 0, eos = 0, adds_bos = 0, adds_eos = 1, stop[16];
    size_t n_stop = 0;
    check_status(oss_tokenizer_get_bos_eos(tok, &bos, &eos, &adds_bos, &adds_eos), OSS_OK, "bos/eos");
    check(bos == 1 && eos == 2 && adds_bos == 1 && adds_eos == 0, "SentencePiece <s> 1, </s> 2, BOS added");
    check_status(oss_tokenizer_get_stop_tokens(tok, stop, 16, &n_stop), OSS_OK, "stop tokens");
    check(is_stop(stop, n_stop, 2), "</s> ends a generation");
    int32_t ids[256];
    size_t count = 0;
    check_status(oss_tokenizer_encode(tok, prompt, strlen(prompt), OSS_ENCODE_ADD_SPECIAL, ids, 256, &count), OSS_OK,
                 "llama encode with BOS");
    check(count > 1 && ids[0] == 1, "the prompt starts with BOS");
    char text[512];
    size_t length = 0;
    check_status(oss_tokenizer_decode(tok, ids + 1, count - 1, text, sizeof text, &length), OSS_OK, "llama decode");
    /* SentencePiece adds a space before the text (add_space_prefix) */
    check(length == strlen(prompt) + 1 && text[0] == ' ' && memcmp(text + 1, prompt, strlen(prompt)) == 0,
          "llama encode/decode round trip");
    check_status(oss_tokenizer_encode(tok, prompt, strlen(prompt), 4, ids, 256, &count), OSS_ERROR_INVALID_ARGUMENT,
                 "unknown encode flag");

    /* two contexts of one model, driven in turn: each has its own KV cache */
    oss_context *a = NULL, *b = NULL;
    check_status(oss_context_create(model, 0, &a), OSS_OK, "llama context a");
    check_status(oss_context_create(model, 128, &b), OSS_OK, "llama context b");
    if (!a || !b) return;
    size_t appended = 0;
    check_status(oss_context_append_text(a, prompt, strlen(prompt), OSS_ENCODE_ADD_SPECIAL, &appended), OSS_OK,
                 "append prompt to a");
    check_status(oss_context_append_text(b, prompt, strlen(prompt), OSS_ENCODE_ADD_SPECIAL, NULL), OSS_OK,
                 "append prompt to b");
    int32_t got_a[64], got_b[64];
    int n_a = 0, n_b = 0;
    generate_interleaved(a, b, stop, n_stop, got_a, got_b, &n_a, &n_b, n_expected);
    check(n_a == n_expected && memcmp(got_a, expected, sizeof(int32_t) * (size_t)n_a) == 0,
          "llama context a gives the tokens of oss generate (temperature 0)");
    check(n_b == n_expected && memcmp(got_b, expected, sizeof(int32_t) * (size_t)n_b) == 0,
          "llama context b, interleaved with a, gives the same tokens");
    /* rewind b to the prompt (any truncate works on a dense model) and generate again, alone */
    check_status(oss_context_truncate(b, appended), OSS_OK, "truncate b to the prompt");
    size_t kv = 0;
    uint64_t run_before = 0, run_after = 0;
    oss_context_get_cache_stats(b, NULL, &run_before);
    int32_t first = -1;
    check_status(oss_context_sample(b, NULL, &first), OSS_OK, "sample after truncate");
    oss_context_get_cache_stats(b, &kv, &run_after);
    check(first == expected[0] && kv == appended && run_after - run_before == 1,
          "truncate keeps the prompt's cache: only its last token runs again");
    int32_t bad = 512;
    check_status(oss_context_append_tokens(a, &bad, 1), OSS_ERROR_TOKEN_OUT_OF_RANGE, "token >= llama vocab");
    oss_context *too_long = NULL;
    check_status(oss_context_create(model, 4096, &too_long), OSS_ERROR_INVALID_ARGUMENT,
                 "context longer than the model's 2048 positions");
    oss_context_release(a);
    oss_context_release(b);
    oss_tokenizer_release(tok);
    oss_model_release(model);
}

/* Bad GGUF paths: missing, not GGUF, truncated. */
static void test_bad_gguf(const char *good) {
    oss_model *m = NULL;
    check_status(oss_model_load("/nonexistent/model.gguf", NULL, &m), OSS_ERROR_MODEL_FILE, "missing gguf file");
    check(m == NULL && strstr(oss_last_error(), "/nonexistent/model.gguf") != NULL, "the message names the path");
    char path[4096];
    snprintf(path, sizeof path, "%s.bad.gguf", good);
    FILE *in = fopen(good, "rb"), *out = fopen(path, "wb");
    if (!in || !out) { check(0, "temp files for bad gguf"); if (in) fclose(in); if (out) fclose(out); return; }
    char head[256];
    size_t n = fread(head, 1, sizeof head, in);
    fclose(in);
    fwrite(head, 1, n, out);
    fclose(out);
    check_status(oss_model_load(path, NULL, &m), OSS_ERROR_MODEL_FILE, "truncated gguf (256 bytes)");
    check(m == NULL && strlen(oss_last_error()) > 0, "truncated gguf: message, no handle");
    out = fopen(path, "wb");
    fputs("this is not a model file", out);
    fclose(out);
    check_status(oss_model_load(path, NULL, &m), OSS_ERROR_MODEL_FILE, "text file named .gguf");
    remove(path);
}

/* ---------- bad arguments ---------- */
static void test_bad_arguments(oss_backend *b, const char *tiny) {
    float a[8] = {0}, c[8] = {0}, y[8];
    oss_tensor at = t1(a, 8), ct = t1(c, 8), yt = t1(y, 8), small = t1(y, 7), nodata = t1(NULL, 8);
    oss_tensor badrank = {a, 5, {1, 1, 1, 8}}, negative = t2(a, -1, 8);
    check_status(oss_add(NULL, &at, &ct, &yt), OSS_ERROR_INVALID_HANDLE, "NULL backend");
    check(strlen(oss_last_error()) > 0, "last error is set");
    check_status(oss_add(b, NULL, &ct, &yt), OSS_ERROR_INVALID_ARGUMENT, "NULL tensor");
    check_status(oss_add(b, &nodata, &ct, &yt), OSS_ERROR_INVALID_ARGUMENT, "NULL data");
    check_status(oss_add(b, &at, &ct, &small), OSS_ERROR_SHAPE, "wrong shape");
    check_status(oss_add(b, &badrank, &ct, &yt), OSS_ERROR_SHAPE, "rank 5");
    check_status(oss_add(b, &negative, &ct, &yt), OSS_ERROR_SHAPE, "negative dimension");
    check_status(oss_add(b, (oss_tensor[]){{(float *)((char *)a + 1), 1, {4}}}, &ct, &yt), OSS_ERROR_INVALID_ARGUMENT,
                 "misaligned data");

    uint8_t bytes[64] = {0}, scales[4] = {127, 127, 127, 127};
    float x[32] = {0}, out[2];
    oss_tensor xt = t2(x, 1, 32), ot = t2(out, 1, 2);
    oss_weight bad_dtype = w2(99, bytes, NULL, 2, 32), no_scales = w2(OSS_DTYPE_MXFP4, bytes, NULL, 2, 32);
    oss_weight extra_scales = w2(OSS_DTYPE_F16, bytes, scales, 2, 32), odd_in = w2(OSS_DTYPE_Q8_0, bytes, NULL, 2, 31);
    check_status(oss_linear(b, &xt, &bad_dtype, NULL, &ot), OSS_ERROR_DTYPE, "unknown dtype");
    check_status(oss_linear(b, &xt, &no_scales, NULL, &ot), OSS_ERROR_DTYPE, "mxfp4 without scales");
    check_status(oss_linear(b, &xt, &extra_scales, NULL, &ot), OSS_ERROR_DTYPE, "f16 with scales");
    check_status(oss_linear(b, &xt, &odd_in, NULL, &ot), OSS_ERROR_SHAPE, "q8_0 input not a multiple of 32");
    oss_weight f32w = w2(OSS_DTYPE_F32, bytes, NULL, 2, 8);
    check_status(oss_linear(b, &xt, &f32w, NULL, &ot), OSS_ERROR_SHAPE, "linear x/weight mismatch");

    oss_weight table = w2(OSS_DTYPE_F32, bytes, NULL, 2, 8);
    int32_t token = 2;
    check_status(oss_embedding(b, &table, &token, 1, &yt), OSS_ERROR_TOKEN_OUT_OF_RANGE, "embedding token >= vocab");
    check_status(oss_embedding(b, &table, NULL, 1, &yt), OSS_ERROR_INVALID_ARGUMENT, "embedding NULL tokens");
    check_status(oss_top_k(b, &at, 9, (int32_t[9]){0}, (float[9]){0}), OSS_ERROR_INVALID_ARGUMENT, "top_k k > n");
    check_status(oss_argmax(b, &at, NULL), OSS_ERROR_INVALID_ARGUMENT, "argmax NULL out");
    oss_attention_params p = {3, 2, 4, 0.5f, 0, 0};
    check_status(oss_attention(b, &at, &ct, &ct, NULL, &p, &yt), OSS_ERROR_INVALID_ARGUMENT, "heads not a multiple");
    check_status(oss_rope(b, &at, 1, 0, NULL, OSS_ROPE_NEOX), OSS_ERROR_INVALID_HANDLE, "NULL rope table");
    oss_backend *nb = NULL;
    check_status(oss_backend_create(7, 1, &nb), OSS_ERROR_INVALID_ARGUMENT, "unknown backend kind");
    check(nb == NULL, "failed create leaves NULL");
    check_status(oss_backend_create(OSS_BACKEND_SWIFT, -1, &nb), OSS_ERROR_INVALID_ARGUMENT, "negative threads");
    check_status(oss_rope_table_create(15, 10000, 8, NULL), OSS_ERROR_INVALID_ARGUMENT, "NULL out handle");
    oss_rope_table *rt = NULL;
    check_status(oss_rope_table_create(15, 10000, 8, &rt), OSS_ERROR_INVALID_ARGUMENT, "odd head_dim");
    check_status(oss_rope(b, &at, 1, 0, (oss_rope_table *)b, OSS_ROPE_NEOX), OSS_ERROR_INVALID_HANDLE,
                 "backend passed as rope table");
    int64_t el = 0, by = 0, sb = 0;
    check_status(oss_dtype_block(OSS_DTYPE_MXFP4, &el, &by, &sb), OSS_OK, "dtype block");
    check(el == 32 && by == 16 && sb == 1, "mxfp4 block geometry");
    check(oss_dtype_name(99) == NULL, "unknown dtype name is NULL");

    oss_model *m = NULL;
    check_status(oss_model_load("/nonexistent/model", NULL, &m), OSS_ERROR_MODEL_FILE, "missing model directory");
    check_status(oss_model_load(NULL, NULL, &m), OSS_ERROR_INVALID_ARGUMENT, "NULL path");
    if (oss_model_load(tiny, NULL, &m) != OSS_OK) { check(0, "tiny load for bad-argument tests"); return; }
    oss_context *ctx = NULL;
    check_status(oss_context_create(m, -1, &ctx), OSS_ERROR_INVALID_ARGUMENT, "negative context length");
    check_status(oss_context_create(m, 8, &ctx), OSS_OK, "context of 8");
    int32_t bad = 1024, many[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, sampled;
    check_status(oss_context_append_tokens(ctx, &bad, 1), OSS_ERROR_TOKEN_OUT_OF_RANGE, "token >= vocab");
    bad = -1;
    check_status(oss_context_append_tokens(ctx, &bad, 1), OSS_ERROR_TOKEN_OUT_OF_RANGE, "negative token");
    check_status(oss_context_append_tokens(ctx, many, 9), OSS_ERROR_CONTEXT_OVERFLOW, "9 tokens into 8");
    check_status(oss_context_sample(ctx, NULL, &sampled), OSS_ERROR_INVALID_STATE, "sample with no tokens");
    const float *logits;
    check_status(oss_context_get_logits(ctx, &logits, NULL), OSS_ERROR_INVALID_STATE, "logits with no tokens");
    check_status(oss_context_truncate(ctx, 1), OSS_ERROR_INVALID_ARGUMENT, "truncate past the end");
    oss_sampling_params sp;
    oss_sampling_params_default(&sp);
    sp.top_p = 2;
    oss_context_append_tokens(ctx, many, 2);
    check_status(oss_context_sample(ctx, &sp, &sampled), OSS_ERROR_INVALID_ARGUMENT, "top_p 2");
    int32_t few[1];
    size_t need = 0;
    check_status(oss_context_get_tokens(ctx, few, 1, &need), OSS_ERROR_BUFFER_TOO_SMALL, "tokens buffer too small");
    check(need == 2, "needed count reported");
    oss_tokenizer *tok = NULL;
    check_status(oss_model_get_tokenizer(m, &tok), OSS_OK, "tokenizer");
    int32_t id = 0;
    check_status(oss_tokenizer_special_id(tok, "<|start|>", &id), OSS_OK, "special id");
    check(id == 200006, "<|start|> is 200006");
    check_status(oss_tokenizer_special_id(tok, "<|nope|>", &id), OSS_ERROR_INVALID_ARGUMENT, "unknown special");
    int32_t ids[16];
    size_t count = 0;
    check_status(oss_tokenizer_encode(tok, "hello world", 11, 0, ids, 16, &count), OSS_OK, "encode");
    char text[32];
    size_t length = 0;
    check_status(oss_tokenizer_decode(tok, ids, count, text, sizeof text, &length), OSS_OK, "decode");
    check(length == 11 && memcmp(text, "hello world", 11) == 0, "encode/decode round trip");
    check_status(oss_tokenizer_decode(tok, &bad, 1, text, sizeof text, &length), OSS_ERROR_TOKEN_OUT_OF_RANGE,
                 "decode of an id with no token");
    check_status(oss_context_append_text(ctx, "<|start|>", 9, OSS_ENCODE_ALLOW_SPECIAL, NULL),
                 OSS_ERROR_TOKEN_OUT_OF_RANGE,
                 "text whose ids the tiny model lacks");
    check_status(oss_context_release((oss_context *)tok), OSS_ERROR_INVALID_HANDLE, "tokenizer released as context");
    oss_tokenizer_release(tok);
    oss_context_release(ctx);
    oss_model_release(m);
    check_status(oss_model_release(m), OSS_ERROR_INVALID_HANDLE, "double release");
}

int main(int argc, char **argv) {
    if (argc < 6) {
        fprintf(stderr, "usage: %s TINY_MODEL_DIR TINY_GGUF LLAMA_GGUF PROMPT GENERATED_IDS\n", argv[0]);
        return 2;
    }
    check(oss_abi_version() == OSS_ABI_VERSION, "ABI version");
    const int32_t kinds[] = {OSS_BACKEND_SWIFT, OSS_BACKEND_BLAS};
    const char *names[] = {"swift", "blas"};
    for (int k = 0; k < 2; k++) {
        oss_backend *b = NULL;
        check_status(oss_backend_create(kinds[k], 2, &b), OSS_OK, "backend create");
        if (!b) continue;
        const char *name = NULL;
        int32_t threads = 0;
        check_status(oss_backend_info(b, &name, &threads), OSS_OK, "backend info");
        check(strcmp(name, names[k]) == 0 && threads == 2, "backend info values");
        test_linear(b, names[k]);
        test_elementwise(b, names[k]);
        test_embedding_rope(b, names[k]);
        test_attention(b, names[k]);
        test_moe(b, names[k]);
        if (k == 0) test_bad_arguments(b, argv[1]);
        if (k == 1) test_gemm_roundings(b);
        if (k == 1) test_int8_gemv(b);
        if (k == 1) test_avx2_int8_gemv(b);
        if (k == 1) test_float_gemv(b);
        test_tiny_model(argv[1], "safetensors", kinds[k], names[k], OSS_KV_CACHE_F32);
        test_tiny_model(argv[2], "gguf", kinds[k], names[k], OSS_KV_CACHE_F32);
        /* an F16 cache: the golden argmaxes, the max logits within 2e-2 */
        test_tiny_model(argv[1], "safetensors", kinds[k], names[k], OSS_KV_CACHE_F16);
        if (k == 0) {
            oss_model_options bad;
            oss_model_options_default(&bad);
            bad.kv_cache = 7;
            oss_model *none = NULL;
            check_status(oss_model_load(argv[1], &bad, &none), OSS_ERROR_INVALID_ARGUMENT, "kv_cache 7 is refused");
            check(none == NULL, "no model for a bad kv_cache");
        }
        oss_backend_release(b);
    }
    test_llama_model(argv[3], argv[4], argv[5]);
    test_bad_gguf(argv[3]);
    int64_t live = -1;
    oss_live_handles(&live);
    check(live == 0, "every handle released");
    printf("C ABI: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
