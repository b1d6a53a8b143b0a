/*
 * Fuzz target "abi": the C ABI (swiftoss.h) driven by arbitrary bytes, as a C program calls it.
 *
 * Each input is a program of up to 8 calls; every argument comes from the input: handles (live, NULL, released,
 * of another kind, never created), tensor and weight descriptors (ranks, dimensions, dtypes, NULL and misaligned
 * data, missing or extra scales), op parameters (NaN, negative, huge), token ids, buffer capacities, thread counts,
 * load options, text, sampling parameters. Buffers always match what their descriptor claims (the header says a
 * shorter buffer cannot be detected); dimensions outside that are only ones the library must reject (negative,
 * above 4·INT32_MAX), so any read or write outside the harness's buffers is a library bug that AddressSanitizer
 * reports.
 *
 * Properties, besides no crash, leak or out-of-bounds access:
 *   - every status is a defined oss_status; a failure sets a non-empty oss_last_error(); failed *_create / *_load
 *     calls leave their handle out-parameter NULL;
 *   - a call that succeeds had consistent arguments (the shapes of linear/add/rms_norm/softmax, k ≤ elements, ids
 *     inside the vocabulary, an appended count that fits the context);
 *   - tokenizer: a successful encode of valid UTF-8 decodes back to the same bytes; reported counts match writes;
 *   - the number of live handles is the same before and after each input (everything created is released).
 *
 * Built by `make fuzz` with clang -fsanitize=fuzzer,address,undefined against a libswiftoss.so built with
 * --sanitize=fuzzer --sanitize=address; replayed (Fuzz/abi_replay.c) against the plain library in `make test`.
 * The model-level calls use the model directory in $SWIFTOSS_FUZZ_MODEL (`oss synth --preset tiny`), if set.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swiftoss.h"

/* ---------- reading the input ---------- */
typedef struct { const uint8_t *p; size_t n, at; } reader;

static uint8_t u8(reader *r) { return r->at < r->n ? r->p[r->at++] : 0; }
static uint32_t u32(reader *r) { uint32_t v = 0; for (int i = 0; i < 4; i++) v |= (uint32_t)u8(r) << (8 * i); return v; }
static uint64_t u64(reader *r) { return (uint64_t)u32(r) | (uint64_t)u32(r) << 32; }

/* A dimension: mostly small, sometimes a block (32, 64), sometimes a value the library must reject on its own
 * (negative, above 4·INT32_MAX). Large values it would accept (2^40) are left out: no buffer could back them. */
static int64_t dimension(reader *r) {
    uint8_t b = u8(r);
    if (b < 0xF0) return b % 9;
    switch (b) {
    case 0xF0: return -1;
    case 0xF1: return INT64_MIN;
    case 0xF2: return INT64_MAX;
    case 0xF3: return 4 * (int64_t)INT32_MAX + 1;
    case 0xF5: return 32;
    case 0xF6: return 64;
    default: return b % 5;
    }
}

/* A float parameter: ordinary, or NaN / ±Inf / negative / zero / huge. */
static float param(reader *r, float ordinary) {
    switch (u8(r) % 10) {
    case 0: return NAN;
    case 1: return INFINITY;
    case 2: return -1.0f;
    case 3: return 0.0f;
    case 4: return 3.0e38f;
    case 5: { uint32_t bits = u32(r); float f; memcpy(&f, &bits, 4); return f; }
    default: return ordinary;
    }
}

/* An int32 parameter: small, or a bad value. */
static int32_t int_param(reader *r, int32_t small_mod) {
    uint8_t b = u8(r);
    switch (b) {
    case 0xFF: return -1;
    case 0xFE: return INT32_MIN;
    case 0xFD: return INT32_MAX;
    case 0xFC: return 1 << 20;
    default: return small_mod > 0 ? b % small_mod : b;
    }
}

/* ---------- property failures ---------- */
static void fail(const char *what, oss_status s) {
    fprintf(stderr, "==abi_fuzz== property violated: %s (status %d %s, last error: %s)\n", what, (int)s,
            oss_status_name(s), oss_last_error());
    abort();
}

/* Every status is defined; a failure has a message. */
static oss_status checked(oss_status s, const char *call) {
    if ((int)s < OSS_OK || (int)s > OSS_ERROR_INTERNAL) fail(call, s);
    if (s != OSS_OK && oss_last_error()[0] == '\0') fail(call, s);
    return s;
}

/* ---------- buffers owned by one input ---------- */
/* Zeroed allocations freed after the input; never NULL (the list grows: one input may make any number of calls). */
static void **buffers;
static int buffer_count, buffer_capacity;

static void *scratch(size_t bytes) {
    if (buffer_count == buffer_capacity) {
        buffer_capacity = buffer_capacity ? 2 * buffer_capacity : 64;
        buffers = realloc(buffers, (size_t)buffer_capacity * sizeof *buffers);
        if (!buffers) abort();
    }
    void *p = calloc(1, bytes ? bytes : 1);
    if (!p) abort();
    buffers[buffer_count++] = p;
    return p;
}

static void free_buffers(void) {
    for (int i = 0; i < buffer_count; i++) free(buffers[i]);
    buffer_count = 0;
}

/* Elements a descriptor claims; -1 when its rank or a dimension is one the library must reject. */
static int64_t claimed(int32_t rank, const int64_t *shape, int32_t max_rank) {
    if (rank < 1 || rank > max_rank) return -1;
    int64_t n = 1;
    for (int i = 0; i < rank; i++) {
        if (shape[i] < 0 || shape[i] > 4 * (int64_t)INT32_MAX) return -1;
        n *= shape[i];
    }
    return n;
}

/* The last dimension and the rows (elements / last) of a tensor the library accepted. */
static int64_t last(const oss_tensor *t) { return t->rank >= 1 && t->rank <= 4 ? t->shape[t->rank - 1] : -1; }
static int64_t rows(const oss_tensor *t) {
    int64_t n = claimed(t->rank, t->shape, 4), l = last(t);
    return n >= 0 && l > 0 ? n / l : -1;
}

/* A tensor descriptor and a buffer of exactly the elements it claims (NULL, misaligned or absent sometimes). */
static oss_tensor tensor(reader *r) {
    oss_tensor t;
    memset(&t, 0, sizeof t);
    t.rank = (int32_t)(u8(r) % 6);
    for (int i = 0; i < 4; i++) t.shape[i] = i < t.rank ? dimension(r) : (int64_t)u8(r) - 128;
    int64_t n = claimed(t.rank, t.shape, 4);
    uint8_t mode = u8(r) % 16;
    if (mode == 0) return t; /* data NULL */
    float *data = scratch((size_t)(n > 0 ? n : 1) * sizeof(float) + sizeof(float));
    if (data) for (int64_t i = 0; i < n; i++) data[i] = (float)((int)u8(r) - 128) / 16.0f;
    t.data = mode == 1 ? (float *)((char *)data + 1) : data;
    return t;
}

/* Bytes a weight of dtype d and [rows, in] needs (-1 for an unknown dtype), and its scale bytes. */
static int64_t weight_bytes(int32_t dtype, int64_t rows, int64_t in, int64_t *scale_bytes) {
    int64_t elements = 0, bytes = 0, scales = 0;
    if (oss_dtype_block(dtype, &elements, &bytes, &scales) != OSS_OK || elements <= 0) return -1;
    int64_t blocks = rows * ((in + elements - 1) / elements);
    *scale_bytes = blocks * scales;
    return blocks * bytes;
}

static oss_weight weight(reader *r) {
    oss_weight w;
    memset(&w, 0, sizeof w);
    w.dtype = (int32_t)(u8(r) % 7) - (u8(r) == 0xFF ? 100 : 0);
    w.rank = (int32_t)(u8(r) % 5);
    for (int i = 0; i < 3; i++) w.shape[i] = i < w.rank ? dimension(r) : 0;
    int valid_rank = w.rank >= 1 && w.rank <= 3;
    if (valid_rank && u8(r) % 2) w.shape[w.rank - 1] = 32 * (1 + u8(r) % 2); /* a whole block */
    int64_t n = claimed(w.rank, w.shape, 3);
    int64_t in = valid_rank ? w.shape[w.rank - 1] : 0, rows = (n > 0 && in > 0) ? n / in : 0;
    int64_t scale_bytes = 0, bytes = n >= 0 ? weight_bytes(w.dtype, rows, in, &scale_bytes) : -1;
    uint8_t mode = u8(r) % 8;
    if (mode != 0) {
        uint8_t *data = scratch((size_t)(bytes > 0 ? bytes : 1));
        if (data) for (int64_t i = 0; i < bytes; i++) data[i] = u8(r);
        w.data = data;
    }
    if ((w.dtype == OSS_DTYPE_MXFP4) != (mode == 7)) {
        uint8_t *s = scratch((size_t)(scale_bytes > 0 ? scale_bytes : 1));
        if (s) for (int64_t i = 0; i < scale_bytes; i++) s[i] = 120 + u8(r) % 16;
        w.scales = s;
    }
    return w;
}

/* ---------- handles ---------- */
static oss_backend *backends[2];
static oss_rope_table *rope_table;
static oss_model *model;
static oss_tokenizer *tokenizer;
static oss_context *context;
static void *stale_handle;  /* a backend handle that was released */
static int64_t vocabulary = 1;  /* the model's vocabulary size */
static int64_t live_baseline;

/* A handle argument: live, NULL, released, another kind, or a pointer that never was a handle. */
static void *handle(reader *r, void *live) {
    static int never;
    switch (u8(r) % 12) {
    case 0: return NULL;
    case 1: return stale_handle;
    case 2: return rope_table;
    case 3: return backends[0];
    case 4: return &never;
    default: return live;
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc; (void)argv;
    if (oss_abi_version() != OSS_ABI_VERSION) { fprintf(stderr, "abi_fuzz: ABI version mismatch\n"); exit(2); }
    oss_backend *gone = NULL;
    if (oss_backend_create(OSS_BACKEND_SWIFT, 1, &backends[0]) != OSS_OK
        || oss_backend_create(OSS_BACKEND_BLAS, 1, &backends[1]) != OSS_OK
        || oss_backend_create(OSS_BACKEND_SWIFT, 1, &gone) != OSS_OK
        || oss_rope_table_create(16, 10000.0, 64, &rope_table) != OSS_OK) {
        fprintf(stderr, "abi_fuzz: setup failed: %s\n", oss_last_error());
        exit(2);
    }
    stale_handle = gone;
    oss_backend_release(gone);
    const char *dir = getenv("SWIFTOSS_FUZZ_MODEL");
    if (dir && *dir) {
        oss_model_options o;
        oss_model_options_default(&o);
        o.backend = OSS_BACKEND_SWIFT; o.threads = 1; o.context_length = 64; o.prefill_chunk = 8;
        if (oss_model_load(dir, &o, &model) != OSS_OK || oss_model_get_tokenizer(model, &tokenizer) != OSS_OK
            || oss_context_create(model, 32, &context) != OSS_OK) {
            fprintf(stderr, "abi_fuzz: cannot load the model %s: %s\n", dir, oss_last_error());
            exit(2);
        }
        oss_model_info info;
        oss_model_get_info(model, &info);
        vocabulary = info.vocabulary_size;
    }
    oss_live_handles(&live_baseline);
    return 0;
}

/* ---------- the calls ---------- */
static void op_linear(reader *r) {
    oss_tensor x = tensor(r), b = tensor(r), out = tensor(r);
    oss_weight w = weight(r);
    int with_bias = u8(r) % 2;
    oss_status s = checked(oss_linear(handle(r, backends[u8(r) % 2]), u8(r) % 8 ? &x : NULL, u8(r) % 8 ? &w : NULL,
                                      with_bias ? &b : NULL, &out), "oss_linear");
    if (s == OSS_OK) {
        int ok = w.rank == 2 && w.shape[0] > 0 && last(&x) == w.shape[1] && last(&out) == w.shape[0]
                 && rows(&x) == rows(&out) && (!with_bias || claimed(b.rank, b.shape, 4) == w.shape[0]);
        if (!ok) fail("oss_linear accepted inconsistent shapes", s);
    }
}

static void op_elementwise(reader *r) {
    oss_tensor a = tensor(r), b = tensor(r), out = u8(r) % 4 ? tensor(r) : a;
    oss_backend *be = handle(r, backends[u8(r) % 2]);
    oss_status s;
    int64_t na = claimed(a.rank, a.shape, 4), nb = claimed(b.rank, b.shape, 4), no = claimed(out.rank, out.shape, 4);
    switch (u8(r) % 5) {
    case 0:
        s = checked(oss_add(be, &a, &b, &out), "oss_add");
        if (s == OSS_OK && !(na == nb && nb == no)) fail("oss_add accepted different element counts", s);
        break;
    case 1:
        s = checked(oss_silu_mul(be, &a, &b, &out), "oss_silu_mul");
        if (s == OSS_OK && !(na == nb && nb == no)) fail("oss_silu_mul accepted different element counts", s);
        break;
    case 2:
        s = checked(oss_rms_norm(be, &a, &b, param(r, 1e-5f), &out), "oss_rms_norm");
        if (s == OSS_OK && !(na > 0 && na == no && nb == last(&a) && last(&out) == last(&a)))
            fail("oss_rms_norm accepted inconsistent shapes", s);
        break;
    case 3:
        s = checked(oss_softmax(be, &a, &out), "oss_softmax");
        if (s == OSS_OK && na != no) fail("oss_softmax accepted different element counts", s);
        break;
    default:
        checked(oss_swiglu(be, &a, param(r, 7.0f), param(r, 1.702f), &out), "oss_swiglu");
        break;
    }
}

static void op_select(reader *r) {
    oss_tensor x = tensor(r);
    oss_backend *be = handle(r, backends[u8(r) % 2]);
    int64_t n = claimed(x.rank, x.shape, 4);
    if (u8(r) % 2) {
        int64_t index = -7;
        oss_status s = checked(oss_argmax(be, &x, u8(r) % 8 ? &index : NULL), "oss_argmax");
        if (s == OSS_OK && !(index >= 0 && index < n)) fail("oss_argmax returned an index outside x", s);
        return;
    }
    int64_t k = dimension(r);
    size_t slots = k > 0 && k <= 4096 ? (size_t)k : 1;
    int32_t *ids = scratch(slots * sizeof(int32_t));
    float *values = scratch(slots * sizeof(float));
    oss_status s = checked(oss_top_k(be, &x, k, u8(r) % 8 ? ids : NULL, u8(r) % 8 ? values : NULL), "oss_top_k");
    if (s == OSS_OK) {
        if (!(k >= 1 && k <= n)) fail("oss_top_k accepted k outside 1...elements", s);
        for (int64_t i = 0; i < k; i++) if (ids[i] < 0 || ids[i] >= n) fail("oss_top_k returned an id outside x", s);
    }
}

static void op_embedding(reader *r) {
    oss_weight table = weight(r);
    oss_tensor out = tensor(r);
    size_t count = u8(r) % 6;
    int32_t *tokens = scratch((count ? count : 1) * sizeof(int32_t));
    for (size_t i = 0; i < count; i++) tokens[i] = u8(r) < 0xF0 ? (int32_t)(u8(r) % 10) : (int32_t)u32(r);
    oss_status s = checked(oss_embedding(handle(r, backends[u8(r) % 2]), u8(r) % 8 ? &table : NULL,
                                         u8(r) % 8 ? tokens : NULL, count, &out), "oss_embedding");
    if (s == OSS_OK) {
        int64_t rows = table.rank == 2 ? table.shape[0] : -1;
        for (size_t i = 0; i < count; i++) if (tokens[i] < 0 || tokens[i] >= rows) fail("oss_embedding accepted a bad id", s);
    }
}

static void op_rope_attention(reader *r) {
    oss_tensor q = tensor(r), k = tensor(r), v = tensor(r), sinks = tensor(r), out = tensor(r);
    oss_backend *be = handle(r, backends[u8(r) % 2]);
    if (u8(r) % 2) {
        int64_t position = u8(r) < 0xF0 ? u8(r) % 70 : (int64_t)u64(r);
        checked(oss_rope(be, &q, int_param(r, 9), position, handle(r, rope_table), int_param(r, 3)), "oss_rope");
        return;
    }
    oss_attention_params p = {int_param(r, 9), int_param(r, 9), int_param(r, 20), param(r, 0.25f), int_param(r, 10),
                              u8(r) < 0xF0 ? u8(r) % 70 : (int64_t)u64(r)};
    checked(oss_attention(be, &q, &k, &v, u8(r) % 2 ? &sinks : NULL, u8(r) % 8 ? &p : NULL, &out), "oss_attention");
}

static void op_moe(reader *r) {
    oss_tensor x = tensor(r), out = tensor(r), rb = tensor(r), gb = tensor(r), db = tensor(r);
    oss_moe_weights w;
    memset(&w, 0, sizeof w);
    w.router = weight(r); w.gate_up = weight(r); w.down = weight(r);
    w.router_bias = u8(r) % 2 ? &rb : NULL;
    w.gate_up_bias = u8(r) % 2 ? &gb : NULL;
    w.down_bias = u8(r) % 2 ? &db : NULL;
    w.top_k = int_param(r, 5);
    w.swiglu_limit = param(r, 7.0f);
    w.swiglu_alpha = param(r, 1.702f);
    checked(oss_moe(handle(r, backends[u8(r) % 2]), &x, u8(r) % 8 ? &w : NULL, &out), "oss_moe");
}

static void op_handles(reader *r) {
    oss_backend *b = (oss_backend *)&live_baseline;
    oss_status s = checked(oss_backend_create(int_param(r, 4), int_param(r, 4), u8(r) % 8 ? &b : NULL), "oss_backend_create");
    if (s != OSS_OK && b != NULL && b != (oss_backend *)&live_baseline) fail("failed oss_backend_create left a handle", s);
    if (s == OSS_OK) {
        const char *name = NULL; int32_t threads = 0;
        checked(oss_backend_info(b, u8(r) % 2 ? &name : NULL, u8(r) % 2 ? &threads : NULL), "oss_backend_info");
        if (u8(r) % 2) { checked(oss_backend_retain(b), "oss_backend_retain"); checked(oss_backend_release(b), "oss_backend_release"); }
        if (checked(oss_backend_release(b), "oss_backend_release") != OSS_OK) fail("releasing a live backend failed", s);
    }
    oss_rope_table *t = (oss_rope_table *)&live_baseline;
    int32_t head_dim = int_param(r, 40), positions = int_param(r, 100);
    s = u8(r) % 2 ? checked(oss_rope_table_create(head_dim, param(r, 10000.0f), positions, &t), "oss_rope_table_create")
                  : checked(oss_rope_table_create_yarn(head_dim, param(r, 150000.0f), param(r, 32.0f), int_param(r, 0),
                                                       param(r, 32.0f), param(r, 1.0f), int_param(r, 2), positions, &t),
                            "oss_rope_table_create_yarn");
    if (s != OSS_OK && t != NULL) fail("failed rope table create left a handle", s);
    if (s == OSS_OK) checked(oss_rope_table_release(t), "oss_rope_table_release");
    /* Handles of the wrong kind, released or never created: statuses, no effect. */
    void *h = handle(r, NULL);
    checked(oss_backend_retain(h), "oss_backend_retain (bad)");
    checked(oss_model_release((oss_model *)handle(r, NULL)), "oss_model_release (bad)");
    checked(oss_tokenizer_retain((oss_tokenizer *)handle(r, NULL)), "oss_tokenizer_retain (bad)");
    checked(oss_context_release((oss_context *)handle(r, NULL)), "oss_context_release (bad)");
    int64_t e = 0, bytes = 0, sb = 0;
    checked(oss_dtype_block(int_param(r, 8), u8(r) % 2 ? &e : NULL, u8(r) % 2 ? &bytes : NULL, &sb), "oss_dtype_block");
    (void)oss_dtype_name(int_param(r, 8));
    if (oss_status_name((oss_status)int_param(r, 14)) == NULL) fail("oss_status_name returned NULL", OSS_OK);
    checked(oss_live_handles(u8(r) % 8 ? &e : NULL), "oss_live_handles");
}

/* Text from the input: up to 32 bytes, sometimes NULL with a length. */
static const char *text(reader *r, size_t *length) {
    size_t n = u8(r) % 33;
    char *t = scratch(n + 1);
    for (size_t i = 0; i < n; i++) t[i] = (char)u8(r);
    *length = n;
    if (u8(r) % 16 == 0) return NULL;
    return t;
}

static int valid_utf8(const unsigned char *s, size_t n) {
    for (size_t i = 0; i < n;) {
        unsigned c = s[i], len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        if (!len || i + len > n) return 0;
        uint32_t cp = len == 1 ? c : len == 2 ? c & 0x1F : len == 3 ? c & 0x0F : c & 0x07;
        for (unsigned k = 1; k < len; k++) { if ((s[i + k] & 0xC0) != 0x80) return 0; cp = cp << 6 | (s[i + k] & 0x3F); }
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF))
            || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
        i += len;
    }
    return 1;
}

static void op_tokenizer(reader *r) {
    if (!tokenizer) return;
    oss_tokenizer *t = handle(r, tokenizer);
    size_t length = 0, count = 0, capacity = u8(r) % 48;
    const char *s = text(r, &length);
    int allow = u8(r) % 2, with_ids = u8(r) % 16 != 0, with_count = u8(r) % 16 != 0;
    int32_t *ids = scratch((capacity ? capacity : 1) * sizeof(int32_t));
    oss_status st = checked(oss_tokenizer_encode(t, s, length, allow, with_ids ? ids : NULL, capacity,
                                                 with_count ? &count : NULL), "oss_tokenizer_encode");
    if (st == OSS_OK && t == tokenizer && with_ids && with_count && s && valid_utf8((const unsigned char *)s, length)) {
        char *back = scratch(length + 1);
        size_t back_length = 0;
        oss_status d = checked(oss_tokenizer_decode(t, ids, count, back, length, &back_length), "oss_tokenizer_decode");
        if (d != OSS_OK || back_length != length || memcmp(back, s, length) != 0) fail("decode(encode(text)) != text", d);
    }
    if (st == OSS_OK && count > capacity) fail("encode succeeded with more ids than capacity", st);
    size_t n = u8(r) % 6, out_length = 0, out_capacity = u8(r) % 64;
    int32_t *tokens = scratch((n ? n : 1) * sizeof(int32_t));
    for (size_t i = 0; i < n; i++) tokens[i] = u8(r) < 0xE0 ? (int32_t)(u32(r) % 1100) : (int32_t)u32(r);
    char *bytes = scratch(out_capacity + 1);
    st = checked(oss_tokenizer_decode(t, u8(r) % 16 ? tokens : NULL, n, u8(r) % 16 ? bytes : NULL, out_capacity,
                                      &out_length), "oss_tokenizer_decode");
    if (st == OSS_OK && out_length > out_capacity) fail("decode succeeded with more bytes than capacity", st);
    char name[24];
    size_t name_length = u8(r) % sizeof name;
    for (size_t i = 0; i < name_length; i++) name[i] = (char)(u8(r) % 2 ? "<|start|>"[i % 9] : u8(r));
    name[name_length] = '\0';
    int32_t id = -1;
    checked(oss_tokenizer_special_id(t, u8(r) % 16 ? name : NULL, &id), "oss_tokenizer_special_id");
    int64_t a, b, c;
    checked(oss_tokenizer_get_counts(t, &a, u8(r) % 2 ? &b : NULL, &c), "oss_tokenizer_get_counts");
}

static void op_context(reader *r) {
    if (!context) return;
    oss_context *c = handle(r, context);
    size_t before = 0, max = 0;
    oss_context_get_counts(context, &before, &max);
    switch (u8(r) % 10) {
    case 0: case 1: {
        size_t n = u8(r) % 6;
        int32_t *ids = scratch((n ? n : 1) * sizeof(int32_t));
        int bad = 0;
        for (size_t i = 0; i < n; i++) {
            ids[i] = u8(r) < 0xF0 ? (int32_t)(u32(r) % (uint32_t)vocabulary) : (int32_t)u32(r);
            bad |= ids[i] < 0 || ids[i] >= vocabulary;
        }
        oss_status s = checked(oss_context_append_tokens(c, u8(r) % 16 ? ids : NULL, n), "oss_context_append_tokens");
        size_t after = 0;
        oss_context_get_counts(context, &after, NULL);
        if (s == OSS_OK && (bad || after != before + n)) fail("append_tokens accepted bad ids or miscounted", s);
        if (s != OSS_OK && after != before) fail("a failed append_tokens changed the context", s);
        break;
    }
    case 2: {
        size_t length = 0, count = 0;
        const char *s = text(r, &length);
        checked(oss_context_append_text(c, s, length, u8(r) % 2, u8(r) % 2 ? &count : NULL), "oss_context_append_text");
        break;
    }
    case 3:
        checked(oss_context_process(c), "oss_context_process");
        break;
    case 4: {
        oss_sampling_params p;
        oss_sampling_params_default(&p);
        p.temperature = param(r, 0.7f); p.top_k = int_param(r, 50); p.top_p = param(r, 0.9f);
        p.min_p = param(r, 0.05f); p.seed = u64(r);
        int32_t token = -1;
        oss_status s = checked(oss_context_sample(c, u8(r) % 4 ? &p : NULL, u8(r) % 16 ? &token : NULL), "oss_context_sample");
        if (s == OSS_OK && (token < 0 || token >= vocabulary)) fail("sample returned an id outside the vocabulary", s);
        break;
    }
    case 5: {
        size_t to = u8(r) < 0xF0 ? u8(r) % 40 : (size_t)u64(r);
        oss_status s = checked(oss_context_truncate(c, to), "oss_context_truncate");
        if (s == OSS_OK && to > before) fail("truncate past the end succeeded", s);
        break;
    }
    case 6: {
        size_t capacity = u8(r) % 40, count = 0;
        int32_t *ids = scratch((capacity ? capacity : 1) * sizeof(int32_t));
        oss_status s = checked(oss_context_get_tokens(c, u8(r) % 16 ? ids : NULL, capacity, &count), "oss_context_get_tokens");
        if (s == OSS_OK && count > capacity) fail("get_tokens succeeded with more tokens than capacity", s);
        break;
    }
    case 7: {
        const float *logits = NULL; size_t count = 0;
        oss_status s = checked(oss_context_get_logits(c, u8(r) % 16 ? &logits : NULL, &count), "oss_context_get_logits");
        if (s == OSS_OK) { volatile float sum = 0; for (size_t i = 0; i < count; i++) sum += logits[i]; (void)sum; }
        break;
    }
    case 8: {
        size_t kv = 0; uint64_t run = 0;
        checked(oss_context_get_cache_stats(c, u8(r) % 2 ? &kv : NULL, &run), "oss_context_get_cache_stats");
        checked(oss_context_reset(c), "oss_context_reset");
        break;
    }
    default: {
        oss_context *fresh = (oss_context *)&live_baseline;
        int64_t length = u8(r) < 0xF0 ? u8(r) % 80 : (int64_t)u64(r);
        oss_status s = checked(oss_context_create(handle(r, model), length, u8(r) % 16 ? &fresh : NULL), "oss_context_create");
        if (s != OSS_OK && fresh != NULL && fresh != (oss_context *)&live_baseline) fail("failed context_create left a handle", s);
        if (s == OSS_OK) checked(oss_context_release(fresh), "oss_context_release");
        break;
    }
    }
    size_t now = 0;
    oss_context_get_counts(context, &now, NULL);
    if (now + 8 > max) oss_context_reset(context);
}

static void op_model(reader *r) {
    oss_model_options o;
    oss_model_options_default(&o);
    o.backend = int_param(r, 3) ; o.threads = int_param(r, 3); o.decode_threads = int_param(r, 3);
    o.context_length = int_param(r, 80); o.prefill_chunk = int_param(r, 16);
    const char *dir = getenv("SWIFTOSS_FUZZ_MODEL");
    const char *paths[] = {dir, NULL, "", "/nonexistent/model", "/dev/null", "/"};
    const char *path = paths[u8(r) % 6];
    oss_model *m = (oss_model *)&live_baseline;
    oss_status s = checked(oss_model_load(path, u8(r) % 4 ? &o : NULL, u8(r) % 16 ? &m : NULL), "oss_model_load");
    if (s != OSS_OK && m != NULL && m != (oss_model *)&live_baseline) fail("failed model_load left a handle", s);
    if (s == OSS_OK) {
        oss_model_info info;
        checked(oss_model_get_info(m, u8(r) % 8 ? &info : NULL), "oss_model_get_info");
        checked(oss_model_release(m), "oss_model_release");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    reader r = {data, size, 0};
    int calls = 1 + u8(&r) % 8;
    for (int i = 0; i < calls && r.at < r.n; i++) {
        switch (u8(&r) % 11) {
        case 0: case 1: op_linear(&r); break;
        case 2: op_elementwise(&r); break;
        case 3: op_select(&r); break;
        case 4: op_embedding(&r); break;
        case 5: op_rope_attention(&r); break;
        case 6: op_moe(&r); break;
        case 7: op_handles(&r); break;
        case 8: op_tokenizer(&r); break;
        case 9: op_context(&r); break;
        default: if (u8(&r) % 8 == 0) op_model(&r); break;
        }
    }
    free_buffers();
    int64_t live = 0;
    oss_live_handles(&live);
    if (live != live_baseline) fail("live handle count changed (a handle leaked or was over-released)", OSS_OK);
    return 0;
}
