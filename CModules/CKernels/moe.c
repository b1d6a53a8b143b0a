/*
 * gpt-oss MoE block (gpt-oss.md §2.5): router linear + bias → top-k (descending, lowest index first on ties) →
 * softmax over the k → per selected expert: gate_up linear + bias (rows interleaved: even = gate, odd = up) →
 * clamped SwiGLU → down linear + bias → weighted sum.
 *
 * T = 1 (decode): one parallel region streams only the selected experts' rows with the GEMV kernels.
 * T > 1 (prefill): tokens are grouped by expert; each expert runs as a GEMM over its tokens (ck_linear_impl: the
 * MXFP4 integer GEMV up to 64 tokens on AVX2, then decoded tiles + sgemm; on VNNI CPUs the GEMV up to 32 tokens, then
 * the VNNI GEMM tiles), then its weighted rows are
 * added to the output in expert order, so the summation order does not depend on the thread count.
 */
#include "ck_internal.h"
#include <math.h>

enum { TOKEN_CHUNK = 256 }; /* tokens per expert GEMM (bounds the scratch) */

/* Matrix `e` of an expert stack with `rows` rows per expert. */
static ck_weight expert_matrix(const ck_weight *stack, int64_t e, int64_t rows) {
    ck_weight m = *stack;
    m.data = ck_row_ptr(stack, e * rows);
    m.scales = ck_row_scales(stack, e * rows);
    m.rows = rows;
    return m;
}

/* Top-k of one token's router logits and softmax over the selected k. */
static void route(const float *logits, int64_t E, int64_t K, int32_t *ids, float *weights) {
    ck_topk(logits, E, K, ids, weights);
    const float m = weights[0];
    float sum = 0.f;
    for (int64_t j = 0; j < K; j++) {
        weights[j] = expf(weights[j] - m);
        sum += weights[j];
    }
    for (int64_t j = 0; j < K; j++) weights[j] /= sum;
}

/* Calls f(row0_abs, row1_abs, j, first_local) for the part of the thread's share [a, b) of K·rows concatenated rows
 * that falls in selected expert j (expert ids[j], `rows` rows each). */
#define FOR_EXPERT_RANGES(a, b, rows, ids, BODY)                                                                   \
    for (int64_t pos_ = (a); pos_ < (b);) {                                                                        \
        const int64_t j = pos_ / (rows), local0 = pos_ % (rows);                                                   \
        const int64_t end_ = (b) < (j + 1) * (rows) ? (b) : (j + 1) * (rows);                                     \
        const int64_t abs0 = (int64_t)(ids)[j] * (rows) + local0, abs1 = abs0 + (end_ - pos_);                     \
        const int64_t out0 = pos_;                                                                                 \
        BODY;                                                                                                      \
        pos_ = end_;                                                                                               \
    }

static int moe_decode(ck_context *ctx, const float *x, const ck_moe_weights *w, float *out, int threads, int level) {
    const int64_t E = w->experts, H = w->hidden, I = w->intermediate, K = w->top_k;
    const int64_t xlen_gu = ck_prepared_x_floats(&w->gate_up), xlen_dn = ck_prepared_x_floats(&w->down);
    /* shared layout: logits[E] | weights[K] | xp_gu[xlen_gu] | gu[K·2I] | act_prepared[K·xlen_dn] | act[K·I] | dn[K·H] */
    float *buf =
        ck_buffer_reserve(&ctx->shared[CK_SHARED_MOE], E + K + xlen_gu + K * 2 * I + K * xlen_dn + K * I + K * H);
    int32_t *ids = (int32_t *)ck_buffer_reserve(&ctx->shared[CK_SHARED_MOE_IDX], K);
    if (!buf || !ids) return CK_ERR_NOMEM;
    float *logits = buf, *wts = logits + E, *xp = wts + K, *gu = xp + xlen_gu, *actp = gu + K * 2 * I;
    float *act = actp + K * xlen_dn, *dn = act + K * I;

    int rc = ck_linear_impl_flags(ctx, x, 1, &w->router, w->router_bias, logits, threads, CK_LINEAR_EXACT_X);
    if (rc != CK_OK) return rc;
    route(logits, E, K, ids, wts);
    ck_prepare_x(&w->gate_up, x, xp, level);

    const int team = ck_team(threads, K * 2 * I * H, 2048);
    CK_PARALLEL(team, nt, id, {
        int64_t a, b;
        /* gate_up rows of the selected experts */
        ck_split(K * 2 * I, nt, id, 16, &a, &b);
        FOR_EXPERT_RANGES(a, b, 2 * I, ids,
                          ck_gemv_rows(&w->gate_up, abs0, abs1, xp, 0, 1, w->gate_up_bias, gu + out0, 0, level));
        CK_BARRIER(nt);
        /* clamped SwiGLU, then the down projection's prepared input, one expert per iteration */
        ck_split(K, nt, id, 1, &a, &b);
        for (int64_t j = a; j < b; j++) {
            ck_swiglu_span(gu + j * 2 * I, act + j * I, I, w->limit, w->alpha);
            ck_prepare_x(&w->down, act + j * I, actp + j * xlen_dn, level);
        }
        CK_BARRIER(nt);
        /* down rows of the selected experts */
        ck_split(K * H, nt, id, 16, &a, &b);
        FOR_EXPERT_RANGES(a, b, H, ids,
                          ck_gemv_rows(&w->down, abs0, abs1, actp + j * xlen_dn, 0, 1, w->down_bias, dn + out0, 0, level));
        CK_BARRIER(nt);
        ck_split(H, nt, id, 16, &a, &b);
        for (int64_t h = a; h < b; h++) {
            float s = 0.f;
            for (int64_t j = 0; j < K; j++) s += wts[j] * dn[j * H + h];
            out[h] = s;
        }
    });
    return CK_OK;
}

static int moe_prefill(ck_context *ctx, const float *x, int64_t T, const ck_moe_weights *w, float *out, int threads) {
    const int64_t E = w->experts, H = w->hidden, I = w->intermediate, K = w->top_k;
    const int64_t C = T < TOKEN_CHUNK ? T : TOKEN_CHUNK;
    /* shared layout: logits[T·E] | sel_w[T·K] | list_w[T·K] | xg[C·H] | gu[C·2I] | act[C·I] | dn[C·H]
       idx layout:    sel_ids[T·K] | list_tok[T·K] | offsets[E+1] */
    float *buf = ck_buffer_reserve(&ctx->shared[CK_SHARED_MOE], T * E + 2 * T * K + C * (2 * H + 3 * I));
    int32_t *ib = (int32_t *)ck_buffer_reserve(&ctx->shared[CK_SHARED_MOE_IDX], 2 * T * K + E + 1);
    if (!buf || !ib) return CK_ERR_NOMEM;
    float *logits = buf, *sel_w = logits + T * E, *list_w = sel_w + T * K, *xg = list_w + T * K;
    float *gu = xg + C * H, *act = gu + C * 2 * I, *dn = act + C * I;
    int32_t *sel_ids = ib, *list_tok = sel_ids + T * K, *offsets = list_tok + T * K;

    int rc = ck_linear_impl_flags(ctx, x, T, &w->router, w->router_bias, logits, threads, CK_LINEAR_EXACT_X);
    if (rc != CK_OK) return rc;
    for (int64_t t = 0; t < T; t++) route(logits + t * E, E, K, sel_ids + t * K, sel_w + t * K);

    /* Counting sort of (token, weight) by expert; tokens stay in increasing order within an expert. */
    for (int64_t e = 0; e <= E; e++) offsets[e] = 0;
    for (int64_t i = 0; i < T * K; i++) offsets[sel_ids[i] + 1]++;
    for (int64_t e = 0; e < E; e++) offsets[e + 1] += offsets[e];
    for (int64_t t = 0; t < T; t++) {
        for (int64_t j = 0; j < K; j++) {
            int32_t e = sel_ids[t * K + j];
            int32_t slot = offsets[e]++;
            list_tok[slot] = (int32_t)t;
            list_w[slot] = sel_w[t * K + j];
        }
    }
    for (int64_t e = E; e > 0; e--) offsets[e] = offsets[e - 1]; /* restore the starts */
    offsets[0] = 0;

    const int copy_team = ck_team(threads, T * H, 65536);
    CK_PARALLEL(copy_team, nt, id, {
        int64_t a, b;
        ck_split(T * H, nt, id, 16, &a, &b);
        for (int64_t i = a; i < b; i++) out[i] = 0.f;
    });

    for (int64_t e = 0; e < E; e++) {
        const ck_weight gate_up = expert_matrix(&w->gate_up, e, 2 * I), down = expert_matrix(&w->down, e, H);
        const float *gu_bias = w->gate_up_bias ? w->gate_up_bias + e * 2 * I : NULL;
        const float *dn_bias = w->down_bias ? w->down_bias + e * H : NULL;
        for (int64_t s0 = offsets[e]; s0 < offsets[e + 1]; s0 += C) {
            const int64_t n = offsets[e + 1] - s0 < C ? offsets[e + 1] - s0 : C;
            const int team = ck_team(threads, n * H, 32768);
            CK_PARALLEL(team, nt, id, {
                int64_t a, b;
                ck_split(n, nt, id, 1, &a, &b);
                for (int64_t i = a; i < b; i++) memcpy(xg + i * H, x + (int64_t)list_tok[s0 + i] * H, (size_t)H * 4);
            });
            if ((rc = ck_linear_impl(ctx, xg, n, &gate_up, gu_bias, gu, threads)) != CK_OK) return rc;
            ck_swiglu(gu, n, I, w->limit, w->alpha, act, threads);
            if ((rc = ck_linear_impl(ctx, act, n, &down, dn_bias, dn, threads)) != CK_OK) return rc;
            /* each token appears once per expert, so rows never collide */
            CK_PARALLEL(team, nt, id, {
                int64_t a, b;
                ck_split(n, nt, id, 1, &a, &b);
                for (int64_t i = a; i < b; i++) {
                    float *o = out + (int64_t)list_tok[s0 + i] * H;
                    const float *d = dn + i * H;
                    const float wt = list_w[s0 + i];
                    for (int64_t h = 0; h < H; h++) o[h] += wt * d[h];
                }
            });
        }
    }
    return CK_OK;
}

int ck_moe(ck_context *ctx, const float *x, int64_t T, const ck_moe_weights *w, float *out, int threads) {
    if (T < 1 || w->experts < 1 || w->top_k < 1 || w->top_k > w->experts || w->hidden < 1 || w->intermediate < 1)
        return CK_ERR_ARGUMENT;
    if (!ck_dtype_valid(w->gate_up.dtype) || !ck_dtype_valid(w->down.dtype) || !ck_dtype_valid(w->router.dtype))
        return CK_ERR_DTYPE;
    ck_init();
    pthread_mutex_lock(&ctx->lock);
    if (threads > ctx->max_threads) threads = ctx->max_threads;
    int rc = T == 1 ? moe_decode(ctx, x, w, out, threads, ck_gemv_level()) : moe_prefill(ctx, x, T, w, out, threads);
    pthread_mutex_unlock(&ctx->lock);
    return rc;
}
