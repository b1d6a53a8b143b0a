/* Embedding gather, argmax and top-k. */
#include "ck_internal.h"
#include <math.h>

int ck_embedding(const ck_weight *table, const int32_t *tokens, int64_t T, float *out, int threads) {
    if (!ck_dtype_valid(table->dtype)) return CK_ERR_DTYPE;
    const int avx2 = ck_avx2_enabled();
    const int team = ck_team(threads, T * table->cols, 65536);
    CK_PARALLEL(team, nt, id, {
        int64_t t0, t1;
        ck_split(T, nt, id, 1, &t0, &t1);
        for (int64_t t = t0; t < t1; t++) ck_decode_row_any(table, tokens[t], out + t * table->cols, avx2);
    });
    return CK_OK;
}

int64_t ck_argmax(const float *x, int64_t n) {
    int64_t best = -1;
    float bv = 0.f;
    for (int64_t i = 0; i < n; i++) {
        float v = x[i];
        if (isnan(v)) continue;
        if (best < 0 || v > bv) { best = i; bv = v; }
    }
    return best < 0 ? 0 : best;
}

/* Total order of the output: larger value first, NaN last, lower index first among equals. */
static inline int better(const float *x, int32_t a, int32_t b) {
    float va = x[a], vb = x[b];
    int an = isnan(va), bn = isnan(vb);
    if (an != bn) return bn;
    if (!an && va != vb) return va > vb;
    return a < b;
}

/* Min-heap on `better`: the root is the worst of the kept k. */
static void sift_down(const float *x, int32_t *h, int64_t k, int64_t i) {
    for (;;) {
        int64_t l = 2 * i + 1, r = l + 1, w = i;
        if (l < k && better(x, h[w], h[l])) w = l;
        if (r < k && better(x, h[w], h[r])) w = r;
        if (w == i) return;
        int32_t tmp = h[i]; h[i] = h[w]; h[w] = tmp;
        i = w;
    }
}

void ck_topk(const float *x, int64_t n, int64_t k, int32_t *ids, float *values) {
    if (k > n) k = n;
    if (k <= 0) return;
    for (int64_t i = 0; i < k; i++) ids[i] = (int32_t)i;
    for (int64_t i = k / 2 - 1; i >= 0; i--) sift_down(x, ids, k, i);
    for (int64_t i = k; i < n; i++) {
        if (better(x, (int32_t)i, ids[0])) {
            ids[0] = (int32_t)i;
            sift_down(x, ids, k, 0);
        }
    }
    /* Heap sort: repeatedly move the worst to the end → best first. */
    for (int64_t end = k - 1; end > 0; end--) {
        int32_t tmp = ids[0]; ids[0] = ids[end]; ids[end] = tmp;
        sift_down(x, ids, end, 0);
    }
    for (int64_t i = 0; i < k; i++) values[i] = x[ids[i]];
}
