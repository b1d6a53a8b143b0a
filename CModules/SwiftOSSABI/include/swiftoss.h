/*
 * swiftoss.h — the C ABI of SwiftOSS (libswiftoss.so). C99, usable from C++.
 *
 * Two levels:
 *   - op level: a backend runs one transformer op on memory the caller owns (no copies);
 *   - model level: load a model (a gpt-oss safetensors checkpoint directory, or a GGUF file of architecture
 *     gpt-oss, llama, qwen2 or qwen3), tokenize with the model's own tokenizer, and drive contexts (append /
 *     process / sample), each with its own KV cache over the model's shared weights.
 *
 * Conventions
 *   - Every function returns an oss_status; OSS_OK (0) is success. On failure, oss_last_error() gives a readable
 *     message for the calling thread, and out-parameters are left as documented (handles: set to NULL).
 *   - Nothing aborts across this boundary: NULL pointers, wrong shapes, unknown dtypes, out-of-range tokens and
 *     handles that were already released (where detectable: the library keeps a registry of live handles) give a
 *     status. What cannot be detected is a buffer shorter than the shape that describes it.
 *   - Handles (oss_backend, oss_rope_table, oss_model, oss_tokenizer, oss_context) are opaque and reference
 *     counted: *_create / *_load / *_get_* return a handle holding one reference; *_retain adds one, *_release drops
 *     one, and the object goes when the last reference and every object using it (a context uses its model) go.
 *     Releasing NULL is OSS_OK.
 *   - Activations are float32, row-major, last dimension contiguous, 4-byte aligned. Weights stay in their stored
 *     dtype and are decoded inside the kernels.
 *
 * Thread safety, per handle
 *   - oss_backend: may be used from any thread; ops on one backend take turns (each backend serialises its own
 *     calls). Use one backend per thread for ops that should run at the same time.
 *   - oss_rope_table, oss_tokenizer: immutable, shared freely.
 *   - oss_model: immutable after load and shared read-only by its contexts; any thread may create contexts.
 *   - oss_context: independent of other contexts. Calls on one context are serialised by a lock inside it (so a
 *     mistake cannot corrupt memory), but the order of tokens is the caller's business: drive a context from one
 *     thread at a time. Contexts of one model share the model's backend and take turns op by op.
 *   - oss_last_error(): per thread.
 */
#ifndef SWIFTOSS_H
#define SWIFTOSS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Version of this header's ABI; oss_abi_version() returns the library's. They must be equal. */
#define OSS_ABI_VERSION 3

/* ------------------------------------------------------------------------------------------------------------ */
/* Status codes and errors                                                                                      */
/* ------------------------------------------------------------------------------------------------------------ */

typedef enum oss_status {
    OSS_OK = 0,
    /** A NULL pointer where one is required, an unknown enum value, a parameter out of range. */
    OSS_ERROR_INVALID_ARGUMENT = 1,
    /** Shapes that do not fit together, or an empty tensor where the op needs elements. */
    OSS_ERROR_SHAPE = 2,
    /** A dtype the op or the weight's role does not accept, or MXFP4 without scales / scales with another dtype. */
    OSS_ERROR_DTYPE = 3,
    /** A handle that is NULL where required, already released, or of another kind. */
    OSS_ERROR_INVALID_HANDLE = 4,
    /** A token id outside 0 ..< vocabulary size. */
    OSS_ERROR_TOKEN_OUT_OF_RANGE = 5,
    /** More tokens than the context holds. */
    OSS_ERROR_CONTEXT_OVERFLOW = 6,
    /** A file that is missing, unreadable or malformed (model directory, config, safetensors, GGUF, tokenizer), or
     *  a model of an architecture the library does not run. */
    OSS_ERROR_MODEL_FILE = 7,
    /** An output buffer too small; the *_count / *_length out-parameter says how much is needed. */
    OSS_ERROR_BUFFER_TOO_SMALL = 8,
    /** The operation is not possible in the object's current state (e.g. logits before any token was processed). */
    OSS_ERROR_INVALID_STATE = 9,
    /** Memory could not be allocated. */
    OSS_ERROR_OUT_OF_MEMORY = 10,
    /** A failure with no better code (the message says what). */
    OSS_ERROR_INTERNAL = 11
} oss_status;

/** The library's ABI version (compare with OSS_ABI_VERSION). */
int32_t oss_abi_version(void);

/** A short name of a status ("ok", "invalid argument", …); never NULL. */
const char *oss_status_name(oss_status status);

/**
 * The message of the latest failing call on the calling thread ("" if none). Valid until the next failing call on
 * this thread; successful calls leave it unchanged.
 */
const char *oss_last_error(void);

/** Number of live handles of every kind in the process (diagnostics: leak checks). */
oss_status oss_live_handles(int64_t *count_out);

/* ------------------------------------------------------------------------------------------------------------ */
/* Op level: tensors, weights, backends                                                                         */
/* ------------------------------------------------------------------------------------------------------------ */

/**
 * Storage type of a weight. Values are stable; new dtypes get new values (16…63: the GGUF block types). Layout of
 * `data` per row of `in` weights (in must be a multiple of the block):
 *   F32   : in × float32                          F16 : in × IEEE binary16        BF16 : in × bfloat16
 *   Q8_0  : in/32 blocks of 34 bytes { f16 d; int8 q[32] }, value = d·q[k] (GGUF layout)
 *   MXFP4 : in/32 blocks of 16 bytes (E2M1 codes, low nibble = even element, high nibble = odd element);
 *           scales: a separate buffer of in/32 E8M0 bytes per row, value = code · 2^(scale − 127)
 *           (the gpt-oss safetensors layout: `*.blocks` and `*.scales`).
 *   Q4_0, Q4_1, Q5_0, Q5_1 : in/32 blocks of 18, 20, 22, 24 bytes; Q4_K, Q5_K, Q6_K : in/256 super-blocks of 144,
 *           176, 210 bytes — ggml's GGUF layouts, byte for byte (value formulas: docs/gguf.md §3).
 * oss_dtype_block() gives the block size and bytes of any dtype.
 */
typedef enum oss_dtype {
    OSS_DTYPE_F32 = 0,
    OSS_DTYPE_F16 = 1,
    OSS_DTYPE_BF16 = 2,
    OSS_DTYPE_Q8_0 = 3,
    OSS_DTYPE_MXFP4 = 4,
    OSS_DTYPE_Q4_0 = 16,
    OSS_DTYPE_Q4_1 = 17,
    OSS_DTYPE_Q5_0 = 18,
    OSS_DTYPE_Q5_1 = 19,
    OSS_DTYPE_Q4_K = 20,
    OSS_DTYPE_Q5_K = 21,
    OSS_DTYPE_Q6_K = 22
} oss_dtype;

/**
 * Block geometry of a dtype: `*elements` weights share one block of `*bytes` bytes in `data` (1 and the element
 * size for plain float types); `*scale_bytes` bytes per block live in the separate scales buffer (MXFP4: 1, else 0).
 * Any out-pointer may be NULL.
 */
oss_status oss_dtype_block(int32_t dtype, int64_t *elements, int64_t *bytes, int64_t *scale_bytes);

/** The dtype's name ("f32", "mxfp4", …), or NULL for an unknown value. */
const char *oss_dtype_name(int32_t dtype);

/** A float32 activation tensor on caller memory: `shape[0..rank)` row-major, contiguous. rank 1…4. */
typedef struct oss_tensor {
    float *data;
    int32_t rank;
    int64_t shape[4];
} oss_tensor;

/**
 * A weight in its stored dtype, on caller memory: shape `[out, in]` (rank 2), `[E, out, in]` (rank 3, stacked
 * experts) or `[n]` (rank 1); the last dimension is the contiguous input dimension.
 */
typedef struct oss_weight {
    int32_t dtype;          /* an oss_dtype */
    int32_t rank;           /* 1…3 */
    int64_t shape[3];
    const void *data;       /* rows of (in / block elements) × block bytes, see oss_dtype */
    const uint8_t *scales;  /* MXFP4: (in / 32) bytes per row; NULL for every other dtype */
} oss_weight;

/** Backend kinds: pure Swift (SIMD), OpenBLAS + OpenMP C kernels, or per-op routing by a tuning profile. */
typedef enum oss_backend_kind {
    OSS_BACKEND_SWIFT = 0,
    OSS_BACKEND_BLAS = 1,
    OSS_BACKEND_AUTO = 2
} oss_backend_kind;

typedef struct oss_backend oss_backend;

/** A backend of `kind` running each op on `threads` threads (0 = all online cores; at most 1024). */
oss_status oss_backend_create(int32_t kind, int32_t threads, oss_backend **backend_out);
oss_status oss_backend_retain(oss_backend *backend);
oss_status oss_backend_release(oss_backend *backend);
/** The backend's name ("swift", "blas", "auto") and thread count; either out-pointer may be NULL. */
oss_status oss_backend_info(oss_backend *backend, const char **name_out, int32_t *threads_out);

/**
 * Process-wide activation rounding of the BLAS backend's GEMM (linear past its GEMV kernels: T > 12 for MXFP4, T > 16
 * for BF16, T > 32 for the GGUF block types) where the CPU has the instructions. int8_gemm = 1: MXFP4 and Q4_0 … Q6_K
 * weights meet x rounded to int8 per 32-block (AVX512-VNNI, or without AVX-512 the AVX2 8-bit tiles, which also take
 * Q8_0; as ggml's Q8_0 activations; NMSE ≈ 2e-5 per linear).
 * bf16_dot = 1: BF16 weights meet x rounded to bf16 (vdpbf16ps on AVX512-BF16, as the official BF16 reference; NMSE ≈
 * 3e-6). Both default 1 (about twice the prefill speed); 0 keeps the GEMVs' rounding at every T (16-bit fixed point,
 * float32), so a linear's result does not depend on how many rows it gets. Other values: OSS_ERROR_INVALID_ARGUMENT.
 */
oss_status oss_set_gemm_roundings(int32_t int8_gemm, int32_t bf16_dot);
/** The current switches of oss_set_gemm_roundings (0 or 1); either out-pointer may be NULL. */
oss_status oss_get_gemm_roundings(int32_t *int8_gemm_out, int32_t *bf16_dot_out);
/**
 * Process-wide: on = 1 runs MXFP4's GEMV (T ≤ 12: decode and short prompts' expert groups) on x rounded to int8 per
 * 32-block where the CPU has AVX512-VNNI (as llama.cpp for every MXFP4 product; NMSE ≈ 1.5e-5 per linear against ~1e-10
 * for the default 16-bit fixed point; up to ~1.2× faster decode of MXFP4 experts on one core). Default 0. Other values:
 * OSS_ERROR_INVALID_ARGUMENT.
 */
oss_status oss_set_int8_gemv(int32_t on);
/** The current switch of oss_set_int8_gemv (0 or 1); the out-pointer may be NULL. */
oss_status oss_get_int8_gemv(int32_t *on_out);
/**
 * Process-wide: on CPUs without AVX512-VNNI (AVX2), on = 1 (default) runs the GEMVs (decode) of Q8_0 and Q4_0 … Q6_K
 * on x rounded to int8 as the VNNI path and llama.cpp do (per 32-block; the K-quants per 256; NMSE ≈ 1.5e-5 per
 * linear); 0 keeps 16-bit fixed-point x (Q8_0: float x; ~1e-10), 1.3–3× slower. No effect where VNNI runs them. Other
 * values: OSS_ERROR_INVALID_ARGUMENT.
 */
oss_status oss_set_avx2_int8_gemv(int32_t on);
/** The current switch of oss_set_avx2_int8_gemv (0 or 1); the out-pointer may be NULL. */
oss_status oss_get_avx2_int8_gemv(int32_t *on_out);
/**
 * Process-wide: which kernel runs the one-vector GEMV (T = 1: decode) of F32, F16 and BF16 weights. width = 512: blocks
 * of four rows with 512-bit loads (AVX-512 CPUs); 256: one row at a time with 256-bit loads; 0 (default): by the CPU,
 * the blocks where it runs 512-bit loads at full width (every AVX-512 CPU but AMD Zen 4, where the 256-bit rows stream
 * faster). Both keep float32 activations (the bits differ, each within f32 rounding of the exact sum); without AVX-512
 * the 256-bit loop runs whatever this says. Other values: OSS_ERROR_INVALID_ARGUMENT.
 */
oss_status oss_set_float_gemv(int32_t width);
/** The switch of oss_set_float_gemv (0, 256 or 512) and the width the GEMV runs now (256 or 512); either out-pointer
 * may be NULL. */
oss_status oss_get_float_gemv(int32_t *width_out, int32_t *active_out);

/** `out[T, out] = x[T, in] · w[out, in]ᵀ + bias[out]` (bias may be NULL). T = 1 runs the GEMV kernels. */
oss_status oss_linear(oss_backend *backend, const oss_tensor *x, const oss_weight *w, const oss_tensor *bias,
                      const oss_tensor *out);

/** Row-wise `out = x / sqrt(mean(x²) + eps) · weight`; x, out `[T, n]`, weight `[n]`. out may be x. */
oss_status oss_rms_norm(oss_backend *backend, const oss_tensor *x, const oss_tensor *weight, float eps,
                        const oss_tensor *out);

/** Row-wise softmax of x `[T, n]` into out (out may be x). */
oss_status oss_softmax(oss_backend *backend, const oss_tensor *x, const oss_tensor *out);

/** gpt-oss clamped SwiGLU on interleaved gate_up `[T, 2I]` (even = gate, odd = up) → out `[T, I]`:
 *  g = min(g, limit), u = clamp(u, ±limit), out = g·σ(alpha·g)·(u + 1). (gpt-oss: limit 7, alpha 1.702.) */
oss_status oss_swiglu(oss_backend *backend, const oss_tensor *gate_up, float limit, float alpha,
                      const oss_tensor *out);

/** Llama SiLU gate: out = silu(gate) · up, same element counts; out may alias either input. */
oss_status oss_silu_mul(oss_backend *backend, const oss_tensor *gate, const oss_tensor *up, const oss_tensor *out);

/** out = a + b, same element counts; out may alias either input. */
oss_status oss_add(oss_backend *backend, const oss_tensor *a, const oss_tensor *b, const oss_tensor *out);

/** Row gather out[t] = table[tokens[t]] from a `[V, H]` weight of any dtype; out `[count, H]`. */
oss_status oss_embedding(oss_backend *backend, const oss_weight *table, const int32_t *tokens, size_t count,
                         const oss_tensor *out);

/** Index of the largest element of x (lowest index among equals). */
oss_status oss_argmax(oss_backend *backend, const oss_tensor *x, int64_t *index_out);

/** The k largest elements of x, descending (lowest index first among equals): ids_out[k], values_out[k]. */
oss_status oss_top_k(oss_backend *backend, const oss_tensor *x, int64_t k, int32_t *ids_out, float *values_out);

/** RoPE pairing: NeoX / gpt-oss half split (x[i], x[i + d/2]), or llama / GGUF interleaved (x[2i], x[2i+1]). */
typedef enum oss_rope_style {
    OSS_ROPE_NEOX = 0,
    OSS_ROPE_INTERLEAVED = 1
} oss_rope_style;

typedef struct oss_rope_table oss_rope_table;

/** cos/sin for positions 0 ..< max_positions: inv_freq[i] = theta^(−2i/head_dim), no scaling. */
oss_status oss_rope_table_create(int32_t head_dim, double theta, int32_t max_positions, oss_rope_table **table_out);
/** YaRN as in gpt-oss (factor 32, original context 4096, beta_fast 32, beta_slow 1, truncate 0 for gpt-oss). */
oss_status oss_rope_table_create_yarn(int32_t head_dim, double theta, double factor, int32_t original_context,
                                      double beta_fast, double beta_slow, int32_t truncate, int32_t max_positions,
                                      oss_rope_table **table_out);
oss_status oss_rope_table_retain(oss_rope_table *table);
oss_status oss_rope_table_release(oss_rope_table *table);

/** Rotates x `[T, heads·head_dim]` in place; row t has position first_position + t (< the table's positions). */
oss_status oss_rope(oss_backend *backend, const oss_tensor *x, int32_t heads, int64_t first_position,
                    oss_rope_table *table, int32_t style);

/** Attention parameters (see oss_attention). */
typedef struct oss_attention_params {
    int32_t heads;           /* query heads */
    int32_t kv_heads;        /* key/value heads; query head h reads kv head h / (heads / kv_heads) */
    int32_t head_dim;
    float scale;             /* score scale, 1/sqrt(head_dim) for gpt-oss */
    int32_t window;          /* sliding window W (query p sees keys p−W < j ≤ p); 0 = full causal */
    int64_t first_position;  /* absolute position of query row 0 */
} oss_attention_params;

/**
 * Causal attention over a KV cache with GQA, optional sliding window and optional per-head sink logits.
 * q, out `[T, heads·head_dim]`; keys, values `[slots, kv_heads·head_dim]`: the key of absolute position j is row
 * j % slots (a full cache, or a ring buffer). sinks `[heads]` or NULL.
 */
oss_status oss_attention(oss_backend *backend, const oss_tensor *q, const oss_tensor *keys, const oss_tensor *values,
                         const oss_tensor *sinks, const oss_attention_params *params, const oss_tensor *out);

/** Weights of one gpt-oss MoE block; biases may be NULL. */
typedef struct oss_moe_weights {
    oss_weight router;          /* [E, H] */
    const oss_tensor *router_bias;   /* [E] */
    oss_weight gate_up;         /* [E, 2I, H], rows interleaved: 2j = gate j, 2j+1 = up j */
    const oss_tensor *gate_up_bias;  /* [E, 2I] */
    oss_weight down;            /* [E, H, I] */
    const oss_tensor *down_bias;     /* [E, H] */
    int32_t top_k;              /* experts per token, 1…E */
    float swiglu_limit;         /* 7 for gpt-oss */
    float swiglu_alpha;         /* 1.702 for gpt-oss */
} oss_moe_weights;

/** gpt-oss MoE: router → top-k → softmax over the k → clamped SwiGLU experts → weighted sum. x, out `[T, H]`. */
oss_status oss_moe(oss_backend *backend, const oss_tensor *x, const oss_moe_weights *weights, const oss_tensor *out);

/* ------------------------------------------------------------------------------------------------------------ */
/* Model level                                                                                                  */
/* ------------------------------------------------------------------------------------------------------------ */

typedef struct oss_model oss_model;
typedef struct oss_tokenizer oss_tokenizer;
typedef struct oss_context oss_context;

/** KV cache element types: float32 (the reference's arithmetic), or IEEE half (half the memory and the bytes attention
 *  reads per token at depth; keys and values rounded to nearest even when stored). */
typedef enum oss_kv_cache_type {
    OSS_KV_CACHE_F32 = 0,
    OSS_KV_CACHE_F16 = 1
} oss_kv_cache_type;

/** Load options; oss_model_options_default() fills the defaults. */
typedef struct oss_model_options {
    int32_t backend;         /* oss_backend_kind; default OSS_BACKEND_BLAS */
    int32_t threads;         /* 0 = all online cores; at most 1024 */
    int32_t decode_threads;  /* threads of single-token steps; 0 = threads */
    int32_t context_length;  /* default KV positions of new contexts; 0 = min(model's positions, 4096) */
    int32_t prefill_chunk;   /* tokens per batched forward step; 0 = 512 */
    int32_t kv_cache;        /* oss_kv_cache_type of every context's KV cache; default OSS_KV_CACHE_F32 (ABI 3) */
} oss_model_options;

void oss_model_options_default(oss_model_options *options);

/**
 * Loads a model: a gpt-oss checkpoint directory (config.json + safetensors: one file, or shards with
 * model.safetensors.index.json; original or Hugging Face tensor names; a checkpoint in original/ is found too), or a
 * GGUF file (a split model by any of its shards) of architecture gpt-oss, llama, qwen2 or qwen3, in any weight dtype
 * of oss_dtype. Weights are mapped, not copied, and shared by every context of the model.
 * The tokenizer: a GGUF file's own (byte-level BPE or SentencePiece, with its special tokens); for a directory its
 * tokenizer.json when present, else the bundled o200k_harmony vocabulary ($OSS_O200K_VOCAB, else the
 * SwiftOSS_OSSTokenizer.resources directory beside libswiftoss.so or beside the executable).
 * options may be NULL (defaults). A path that is neither gives OSS_ERROR_MODEL_FILE, as do malformed files and
 * unsupported architectures (the message names the file and the reason).
 */
oss_status oss_model_load(const char *path, const oss_model_options *options, oss_model **model_out);
oss_status oss_model_retain(oss_model *model);
oss_status oss_model_release(oss_model *model);

/** What a model is. Its strings are valid while the model lives. */
typedef struct oss_model_info {
    const char *architecture;  /* GGUF general.architecture names: "gpt-oss", "llama", "qwen2", "qwen3" */
    int64_t vocabulary_size;   /* rows of the embedding / unembedding (logits per position) */
    int64_t max_context_length;/* the model's own positions (config, or GGUF {arch}.context_length) */
    int64_t context_length;    /* default KV positions of a new context (options.context_length resolved) */
    int64_t layers;
    int64_t hidden_size;
    int64_t experts;           /* MoE experts per layer; 0 for dense models */
    int64_t experts_per_token; /* 0 for dense models */
    const char *format;        /* "safetensors" (a checkpoint directory) or "gguf" */
    const char *name;          /* GGUF general.name, else the file or directory name */
    const char *weight_dtypes; /* dtypes of the weight matrices joined by '+', e.g. "bf16+mxfp4", "q4_k+q6_k" */
    /**
     * The chat format of the model's prompts, named as llama.cpp names its built-in templates: "gpt-oss" (harmony,
     * also for checkpoint directories), "llama3", "chatml", "llama2", "mistral-v7", …, detected from the GGUF
     * tokenizer.chat_template; NULL when the model has no template or one of no known format. The library does not
     * render chats (the gpt-oss Metal library does not either: use openai-harmony for gpt-oss); this names the format
     * a caller renders, with special-token names the tokenizer turns into ids (OSS_ENCODE_ALLOW_SPECIAL).
     */
    const char *chat_format;
} oss_model_info;

oss_status oss_model_get_info(oss_model *model, oss_model_info *info_out);

/** The model's tokenizer (a new reference: release it). */
oss_status oss_model_get_tokenizer(oss_model *model, oss_tokenizer **tokenizer_out);

oss_status oss_tokenizer_retain(oss_tokenizer *tokenizer);
oss_status oss_tokenizer_release(oss_tokenizer *tokenizer);

/** Token counts: all ids (one past the largest with a token), text (non-special) tokens, special tokens. */
oss_status oss_tokenizer_get_counts(oss_tokenizer *tokenizer, int64_t *num_tokens, int64_t *num_text_tokens,
                                    int64_t *num_special_tokens);

/** Flags of oss_tokenizer_encode and oss_context_append_text (bitwise or; 0 = plain text). */
typedef enum oss_encode_flags {
    /** Special token names in the text (<|start|>, <|im_start|>, <s> …) become their ids. */
    OSS_ENCODE_ALLOW_SPECIAL = 1,
    /** BOS first (and EOS last) as the vocabulary asks (GGUF add_bos_token / add_eos_token), as for a prompt. */
    OSS_ENCODE_ADD_SPECIAL = 2
} oss_encode_flags;

/**
 * Encodes `length` bytes of UTF-8 text with `flags` (oss_encode_flags; other bits: OSS_ERROR_INVALID_ARGUMENT).
 * Writes up to `capacity` ids; `*count_out` is always the full count (OSS_ERROR_BUFFER_TOO_SMALL when larger than
 * capacity: call again with a larger buffer). tokens_out may be NULL when capacity is 0.
 */
oss_status oss_tokenizer_encode(oss_tokenizer *tokenizer, const char *text, size_t length, int32_t flags,
                                int32_t *tokens_out, size_t capacity, size_t *count_out);

/**
 * The bytes of `count` tokens concatenated (UTF-8 that may end in a split character; special ids give their
 * names). Writes up to `capacity` bytes (no terminator); `*length_out` is the full length
 * (OSS_ERROR_BUFFER_TOO_SMALL when larger). Ids with no token give OSS_ERROR_TOKEN_OUT_OF_RANGE.
 */
oss_status oss_tokenizer_decode(oss_tokenizer *tokenizer, const int32_t *tokens, size_t count, char *bytes_out,
                                size_t capacity, size_t *length_out);

/** The id of a special token by name ("<|start|>", "<|eot_id|>", "</s>", …); OSS_ERROR_INVALID_ARGUMENT if unknown. */
oss_status oss_tokenizer_special_id(oss_tokenizer *tokenizer, const char *name, int32_t *id_out);

/**
 * The beginning- and end-of-sequence ids (−1 when the vocabulary has none), and whether OSS_ENCODE_ADD_SPECIAL adds
 * them (1 or 0). Any out-pointer may be NULL.
 */
oss_status oss_tokenizer_get_bos_eos(oss_tokenizer *tokenizer, int32_t *bos_out, int32_t *eos_out,
                                     int32_t *adds_bos_out, int32_t *adds_eos_out);

/**
 * The ids that end a generation, ascending (llama.cpp's end-of-generation set: EOS, EOT, <|eot_id|>, <|im_end|>, …;
 * o200k_harmony: <|endoftext|>, <|return|>, <|call|>). Copies up to capacity; *count_out is the full count
 * (OSS_ERROR_BUFFER_TOO_SMALL when larger).
 */
oss_status oss_tokenizer_get_stop_tokens(oss_tokenizer *tokenizer, int32_t *tokens_out, size_t capacity,
                                         size_t *count_out);

/**
 * A context: a token sequence and the KV cache of the part already processed, with its own model instance (KV cache
 * and activation buffers; the weights are the model's, never copied). context_length = KV positions (0 = the
 * model's default; at most the model's max_context_length). Memory per context: the KV cache (dense models:
 * 2 · layers · context_length · kv_heads · head_dim floats) plus the activations of one prefill chunk.
 */
oss_status oss_context_create(oss_model *model, int64_t context_length, oss_context **context_out);
oss_status oss_context_retain(oss_context *context);
oss_status oss_context_release(oss_context *context);

/** Appends tokens (checked against the vocabulary; nothing is appended on error). They run at the next process. */
oss_status oss_context_append_tokens(oss_context *context, const int32_t *tokens, size_t count);

/** Tokenizes UTF-8 text with `flags` (oss_encode_flags) and appends it; count_out may be NULL. */
oss_status oss_context_append_text(oss_context *context, const char *text, size_t length, int32_t flags,
                                   size_t *count_out);

/**
 * Runs every token not yet in the KV cache. The cache keeps the longest common prefix of what it holds and the
 * current tokens (after reset + append of a sequence sharing a prefix, or truncate, only the rest is run); when a
 * sliding-window layer can no longer rewind that far, the whole sequence is run again.
 */
oss_status oss_context_process(oss_context *context);

/** Sampling parameters; oss_sampling_params_default() gives temperature 1 and every filter off. */
typedef struct oss_sampling_params {
    float temperature;  /* ≤ 0 = greedy (argmax) */
    int32_t top_k;      /* keep the k most likely; 0 = off */
    float top_p;        /* nucleus mass in (0, 1]; 1 = off */
    float min_p;        /* drop tokens below min_p × the top probability, [0, 1]; 0 = off */
    uint64_t seed;      /* the same seed, tokens and parameters give the same choice */
} oss_sampling_params;

void oss_sampling_params_default(oss_sampling_params *params);

/**
 * Processes pending tokens, then chooses the next token from the last position's logits. The token is NOT
 * appended (append it to continue). Ids the tokenizer has no token for and never-trained ids (o200k: ≥ 200013) are
 * never chosen. The random draw depends on the seed and the number of tokens only, so it is reproducible.
 * params may be NULL (greedy).
 */
oss_status oss_context_sample(oss_context *context, const oss_sampling_params *params, int32_t *token_out);

/** Forgets the tokens (the KV cache keeps its content for prefix reuse by the next process). */
oss_status oss_context_reset(oss_context *context);

/** Keeps the first `count` tokens (count ≤ the token count). */
oss_status oss_context_truncate(oss_context *context, size_t count);

/** Tokens in the context (`num_tokens`) and the most it holds (`max_tokens`); either may be NULL. */
oss_status oss_context_get_counts(oss_context *context, size_t *num_tokens, size_t *max_tokens);

/**
 * The KV cache's state: `*kv_tokens` leading tokens have their keys and values cached (after process: all of them),
 * `*tokens_run` counts every token run through the model since the context was created (prefix reuse shows as a
 * count that grows by less than the tokens appended). Either may be NULL.
 */
oss_status oss_context_get_cache_stats(oss_context *context, size_t *kv_tokens, uint64_t *tokens_run);

/** Copies the tokens (up to capacity); *count_out is the full count (OSS_ERROR_BUFFER_TOO_SMALL when larger). */
oss_status oss_context_get_tokens(oss_context *context, int32_t *tokens_out, size_t capacity, size_t *count_out);

/**
 * Processes pending tokens, then gives the logits of the last token: `*logits_out` points at `*count_out`
 * (= vocabulary size) floats inside the context, valid until the next call that changes the context.
 * OSS_ERROR_INVALID_STATE when the context has no tokens.
 */
oss_status oss_context_get_logits(oss_context *context, const float **logits_out, size_t *count_out);

#ifdef __cplusplus
}
#endif

#endif /* SWIFTOSS_H */
