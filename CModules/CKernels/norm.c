/* RMSNorm, softmax and element-wise activations (rows in parallel). */
#include "ck_internal.h"
#include <math.h>

enum { ELEMS_PER_THREAD = 16384 }; /* below this, a second thread costs more than it saves */

void ck_rms_norm(const float *x, const float *g, float eps, int64_t T, int64_t n, float *out, int threads) {
    const int team = ck_team(threads, T * n, ELEMS_PER_THREAD);
    CK_PARALLEL(team, nt, id, {
        int64_t t0, t1;
        ck_split(T, nt, id, 1, &t0, &t1);
        for (int64_t t = t0; t < t1; t++) {
            const float *xr = x + t * n;
            float *o = out + t * n;
            float ss = ck_dot_f32(xr, xr, n);
            float inv = 1.0f / sqrtf(ss / (float)n + eps);
            ck_scale_mul_span(xr, inv, g, o, n);
        }
    });
}

void ck_softmax(const float *x, int64_t T, int64_t n, float *out, int threads) {
    const int team = ck_team(threads, T * n, ELEMS_PER_THREAD);
    CK_PARALLEL(team, nt, id, {
        int64_t t0, t1;
        ck_split(T, nt, id, 1, &t0, &t1);
        for (int64_t t = t0; t < t1; t++) {
            const float *xr = x + t * n;
            float *o = out + t * n;
            const float m = ck_max_f32(xr, n);
            const float inv = 1.0f / ck_exp_sum(xr, m, o, n);
            ck_scale_f32(inv, o, n);
        }
    });
}

void ck_add(const float *a, const float *b, int64_t n, float *out, int threads) {
    const int team = ck_team(threads, n, 4 * ELEMS_PER_THREAD);
    CK_PARALLEL(team, nt, id, {
        int64_t i0, i1;
        ck_split(n, nt, id, 16, &i0, &i1);
        if (i1 > i0) ck_add_span(a + i0, b + i0, out + i0, i1 - i0);
    });
}

void ck_swiglu(const float *gate_up, int64_t T, int64_t I, float limit, float alpha, float *out, int threads) {
    const int team = ck_team(threads, T * I, ELEMS_PER_THREAD / 4);
    CK_PARALLEL(team, nt, id, {
        int64_t i0, i1;
        ck_split(T * I, nt, id, 16, &i0, &i1);
        if (i1 > i0) ck_swiglu_span(gate_up + 2 * i0, out + i0, i1 - i0, limit, alpha);
    });
}

void ck_silu_mul(const float *gate, const float *up, int64_t n, float *out, int threads) {
    const int team = ck_team(threads, n, ELEMS_PER_THREAD / 4);
    CK_PARALLEL(team, nt, id, {
        int64_t i0, i1;
        ck_split(n, nt, id, 16, &i0, &i1);
        if (i1 > i0) ck_silu_mul_span(gate + i0, up + i0, out + i0, i1 - i0);
    });
}
