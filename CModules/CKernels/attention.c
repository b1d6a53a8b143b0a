/*
 * Causal attention over a KV cache with GQA, optional sliding window and optional per-head sink logits
 * (gpt-oss.md §2.4): the sink joins the softmax denominator only and carries no value.
 *
 * Work is split over (query row, KV head) items, and each item handles the whole group of query heads sharing
 * that KV head: every cached key/value row is read once per group instead of once per query head (at long
 * contexts K/V do not fit in L2, so this divides the cache traffic by the group size). Each thread keeps a score
 * block of group × slots floats in the context's scratch.
 */
#include "ck_internal.h"
#include <math.h>
#include <omp.h>

int ck_attention(ck_context *ctx, const float *q, int64_t T, const float *keys, const float *values,
                 const float *sinks, const ck_attention_params *p, float *out, int threads) {
    const int64_t H = p->heads, KV = p->kv_heads, D = p->head_dim, slots = p->slots;
    if (H < 1 || KV < 1 || D < 1 || H % KV != 0 || slots < 1 || T < 1) return CK_ERR_ARGUMENT;
    const int64_t G = H / KV, qw = H * D, kw = KV * D;
    pthread_mutex_lock(&ctx->lock);
    if (threads > ctx->max_threads) threads = ctx->max_threads;
    const int64_t keys_max = p->window > 0 && p->window < slots ? p->window : slots;
    const int team = ck_team(threads, T * H * keys_max * D, 16384);
    for (int i = 0; i < team; i++) {
        if (!ck_buffer_reserve(&ctx->thread_scratch[i], G * keys_max)) {
            pthread_mutex_unlock(&ctx->lock);
            return CK_ERR_NOMEM;
        }
    }
    /* Cyclic static schedule balances the causal triangle. (Not schedule(dynamic): Swift's clang emits
       __kmpc_dispatch_deinit for it, which Debian's libomp 16 lacks, so release links fail.) */
#pragma omp parallel for num_threads(team) if (team > 1) schedule(static, 1)
    for (int64_t item = 0; item < T * KV; item++) {
        const int64_t t = item / KV, g = item % KV;
        const int64_t pos = p->first_position + t;
        const int64_t lo = p->window > 0 && pos - p->window + 1 > 0 ? pos - p->window + 1 : 0;
        const int64_t n = pos - lo + 1; /* ≤ keys_max: validated by the caller */
        const float *qg = q + t * qw + g * G * D;
        float *og = out + t * qw + g * G * D;
        float *score = ctx->thread_scratch[omp_get_thread_num()].ptr; /* [G, n] */
        for (int64_t j = 0; j < n; j++) {
            const float *k = keys + ((lo + j) % slots) * kw + g * D;
            for (int64_t hh = 0; hh < G; hh++) score[hh * n + j] = p->scale * ck_dot_f32(qg + hh * D, k, D);
        }
        for (int64_t hh = 0; hh < G; hh++) {
            float *s = score + hh * n;
            float m = -INFINITY;
            for (int64_t j = 0; j < n; j++) m = s[j] > m ? s[j] : m;
            const float sink = sinks ? sinks[g * G + hh] : -INFINITY;
            if (sinks && sink > m) m = sink;
            const float den = (sinks ? expf(sink - m) : 0.f) + ck_exp_sum(s, m, s, n);
            ck_scale_f32(1.0f / den, s, n); /* probabilities; the sink's share is dropped */
        }
        for (int64_t i = 0; i < G * D; i++) og[i] = 0.f;
        for (int64_t j = 0; j < n; j++) {
            const float *v = values + ((lo + j) % slots) * kw + g * D;
            for (int64_t hh = 0; hh < G; hh++) ck_axpy_f32(score[hh * n + j], v, og + hh * D, D);
        }
    }
    pthread_mutex_unlock(&ctx->lock);
    return CK_OK;
}
