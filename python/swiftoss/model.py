"""Model level, mirroring the gpt-oss Metal module: ``Model(path)``, ``Context(model, context_length=…)``,
``context.append(text or tokens)``, ``process()``, ``sample(temperature=…)``, ``reset()``, ``tokens``,
``model.tokenizer.decode(token)``. Models: gpt-oss checkpoint directories and GGUF files (gpt-oss, llama, qwen2,
qwen3), each with its own tokenizer."""
from __future__ import annotations

import ctypes
from ctypes import byref, c_int32, c_int64, c_size_t, c_uint64, c_void_p
from typing import Iterable, List, Sequence, Union

import numpy as np

from ._lib import (BufferTooSmallError, Handle, InvalidArgumentError, ModelInfo, ModelOptions, SamplingParams,
                   check, lib)
from .ops import BACKEND_KINDS

KV_CACHE_TYPES = {"f32": 0, "f16": 1}  # oss_kv_cache_type
ALLOW_SPECIAL = 1  # OSS_ENCODE_ALLOW_SPECIAL
ADD_SPECIAL = 2  # OSS_ENCODE_ADD_SPECIAL


class Tokenizer(Handle):
    """A model's tokenizer: the GGUF file's own (byte-level BPE or SentencePiece), a checkpoint's tokenizer.json, or
    the bundled o200k_harmony. Immutable, usable from any thread."""

    _release_name = "oss_tokenizer_release"

    def __init__(self, model: "Model") -> None:
        h = c_void_p()
        check(lib.oss_model_get_tokenizer(model, byref(h)))
        super().__init__(h)
        n, text, special = c_int64(), c_int64(), c_int64()
        check(lib.oss_tokenizer_get_counts(self, byref(n), byref(text), byref(special)))
        self.num_tokens: int = n.value
        self.num_text_tokens: int = text.value
        self.num_special_tokens: int = special.value
        bos, eos, adds_bos, adds_eos = c_int32(), c_int32(), c_int32(), c_int32()
        check(lib.oss_tokenizer_get_bos_eos(self, byref(bos), byref(eos), byref(adds_bos), byref(adds_eos)))
        #: Beginning- and end-of-sequence ids (None when the vocabulary has none).
        self.bos: "int | None" = bos.value if bos.value >= 0 else None
        self.eos: "int | None" = eos.value if eos.value >= 0 else None
        #: Whether ``encode(..., add_special=True)`` puts BOS first / EOS last.
        self.adds_bos: bool = bool(adds_bos.value)
        self.adds_eos: bool = bool(adds_eos.value)
        n_stop = c_size_t()
        stop = np.empty(16, dtype=np.int32)
        try:
            check(lib.oss_tokenizer_get_stop_tokens(self, stop.ctypes.data, stop.size, byref(n_stop)))
        except BufferTooSmallError:
            stop = np.empty(n_stop.value, dtype=np.int32)
            check(lib.oss_tokenizer_get_stop_tokens(self, stop.ctypes.data, stop.size, byref(n_stop)))
        #: Ids that end a generation (EOS, EOT, ``<|eot_id|>``, ``<|im_end|>``; harmony ``<|return|>``, ``<|call|>`` …).
        self.stop_tokens: List[int] = stop[: n_stop.value].tolist()

    def encode(self, text: Union[str, bytes], allow_special: bool = False, add_special: bool = False) -> List[int]:
        """Token ids of ``text``; special names (``<|start|>``, ``<|im_start|>`` …) become their ids when
        ``allow_special``; ``add_special`` adds BOS (and EOS) as the vocabulary asks, as for a prompt."""
        data = text.encode("utf-8") if isinstance(text, str) else bytes(text)
        flags = (ALLOW_SPECIAL if allow_special else 0) | (ADD_SPECIAL if add_special else 0)
        n = c_size_t()
        capacity = len(data) + 4  # bytes, a SentencePiece space prefix, BOS and EOS
        while True:
            ids = np.empty(capacity, dtype=np.int32)
            try:
                check(lib.oss_tokenizer_encode(self, data, len(data), flags, ids.ctypes.data, capacity, byref(n)))
                return ids[: n.value].tolist()
            except BufferTooSmallError:
                capacity = n.value

    def decode(self, tokens: Union[int, Sequence[int]]) -> bytes:
        """The bytes of one token or of a sequence (may end inside a UTF-8 character; specials give their names)."""
        ids = np.ascontiguousarray([tokens] if isinstance(tokens, (int, np.integer)) else list(tokens), dtype=np.int32)
        n = c_size_t()
        capacity = 64 * max(ids.size, 1)
        while True:
            buf = ctypes.create_string_buffer(capacity)
            try:
                check(lib.oss_tokenizer_decode(self, ids.ctypes.data, ids.size, buf, capacity, byref(n)))
                return buf.raw[: n.value]
            except BufferTooSmallError:
                capacity = n.value

    def encode_special_token(self, name: str) -> int:
        """The id of a special token (``"<|start|>"``, ``"<|return|>"``, …); ValueError when unknown."""
        i = c_int32()
        check(lib.oss_tokenizer_special_id(self, name.encode("utf-8"), byref(i)))
        return i.value


class Model(Handle):
    """A gpt-oss checkpoint directory (config.json + safetensors) or a GGUF file (a split model by any shard) of
    architecture gpt-oss, llama, qwen2 or qwen3; weights are memory-mapped and shared by every context.

    ``backend``: ``"swift"``, ``"blas"`` or ``"auto"``; ``threads`` 0 = all cores; ``decode_threads`` for
    single-token steps (0 = ``threads``); ``context_length``: default KV positions of new contexts (0 = min(model's
    positions, 4096)); ``kv_cache``: ``"f32"`` or ``"f16"`` (IEEE halves: half the memory of every context's KV
    cache, keys and values rounded when stored). A model is shared read-only by its contexts."""

    _release_name = "oss_model_release"

    def __init__(self, path: str, backend: str = "blas", threads: int = 0, decode_threads: int = 0,
                 context_length: int = 0, prefill_chunk: int = 0, kv_cache: str = "f32") -> None:
        if backend not in BACKEND_KINDS:
            raise InvalidArgumentError(f"unknown backend {backend!r} (choose from {', '.join(BACKEND_KINDS)})", 1)
        if kv_cache not in KV_CACHE_TYPES:
            raise InvalidArgumentError(f"unknown kv_cache {kv_cache!r} (choose from {', '.join(KV_CACHE_TYPES)})", 1)
        o = ModelOptions(BACKEND_KINDS[backend], threads, decode_threads, context_length, prefill_chunk,
                         KV_CACHE_TYPES[kv_cache])
        h = c_void_p()
        check(lib.oss_model_load(str(path).encode("utf-8"), byref(o), byref(h)))
        super().__init__(h)
        info = ModelInfo()
        check(lib.oss_model_get_info(self, byref(info)))
        self.architecture: str = (info.architecture or b"").decode()
        self.vocabulary_size: int = info.vocabulary_size
        self.max_context_length: int = info.max_context_length
        self.context_length: int = info.context_length
        self.num_blocks: int = info.layers
        self.embedding_dim: int = info.hidden_size
        self.num_experts: int = info.experts
        self.num_active_experts: int = info.experts_per_token
        #: "safetensors" or "gguf"; the GGUF general.name (else the file name); matrix dtypes, e.g. "q4_k+q6_k".
        self.format: str = (info.format or b"").decode()
        self.name: str = (info.name or b"").decode()
        self.weight_dtypes: str = (info.weight_dtypes or b"").decode()
        #: The chat format detected from the model's chat template ("gpt-oss" = harmony, "llama3", "chatml", …), or
        #: None. Prompts are not rendered here (as in the gpt-oss Metal module): render them in this format.
        self.chat_format: "str | None" = info.chat_format.decode() if info.chat_format else None
        self._tokenizer: "Tokenizer | None" = None

    @property
    def tokenizer(self) -> Tokenizer:
        if self._tokenizer is None:
            self._tokenizer = Tokenizer(self)
        return self._tokenizer


class Context(Handle):
    """A token sequence and the KV cache of its processed part (``context_length`` positions, 0 = the model's
    default). ``process()`` keeps the longest common prefix of what the cache holds and the current tokens, so
    ``reset()`` + ``append(...)`` of a sequence sharing a prefix only runs the rest. Drive one context from one
    thread at a time; contexts are independent of each other."""

    _release_name = "oss_context_release"

    def __init__(self, model: Model, context_length: int = 0) -> None:
        h = c_void_p()
        check(lib.oss_context_create(model, context_length, byref(h)))
        super().__init__(h)
        self.model = model  # keeps the Python object alive too
        self._one = np.zeros(1, dtype=np.int32)
        self._token = c_int32()
        self._params = SamplingParams()

    def append(self, item: Union[str, bytes, int, Iterable[int]], allow_special: bool = False,
               add_special: bool = False) -> int:
        """Appends text (tokenized; special names only when ``allow_special``; BOS as the vocabulary asks when
        ``add_special``), one token id, or a sequence of ids. Returns the number of tokens appended. Tokens run at
        the next ``process()``/``sample()``."""
        if isinstance(item, (str, bytes)):
            data = item.encode("utf-8") if isinstance(item, str) else item
            flags = (ALLOW_SPECIAL if allow_special else 0) | (ADD_SPECIAL if add_special else 0)
            n = c_size_t()
            check(lib.oss_context_append_text(self, data, len(data), flags, byref(n)))
            return n.value
        if isinstance(item, (int, np.integer)):
            if not -2**31 <= int(item) < 2**31:
                raise OverflowError(f"token {item} does not fit in int32")
            self._one[0] = item
            check(lib.oss_context_append_tokens(self, self._one.ctypes.data, 1))
            return 1
        ids = np.ascontiguousarray(list(item), dtype=np.int64)
        if ids.size and (ids.min() < -2**31 or ids.max() >= 2**31):
            raise OverflowError("token ids must fit in int32")
        ids32 = ids.astype(np.int32)
        check(lib.oss_context_append_tokens(self, ids32.ctypes.data, ids32.size))
        return int(ids32.size)

    def process(self) -> None:
        """Runs every token not yet in the KV cache."""
        check(lib.oss_context_process(self))

    def sample(self, temperature: float = 1.0, seed: int = 0, top_k: int = 0, top_p: float = 1.0,
               min_p: float = 0.0) -> int:
        """The next token (not appended); ``temperature`` ≤ 0 = greedy. The draw depends on ``seed`` and the token
        count only."""
        p = self._params
        p.temperature, p.top_k, p.top_p, p.min_p, p.seed = temperature, top_k, top_p, min_p, seed
        check(lib.oss_context_sample(self, byref(p), byref(self._token)))
        return self._token.value

    def reset(self) -> None:
        """Forgets the tokens (the KV cache stays for prefix reuse)."""
        check(lib.oss_context_reset(self))

    def truncate(self, num_tokens: int) -> None:
        """Keeps the first ``num_tokens`` tokens."""
        if num_tokens < 0:
            raise InvalidArgumentError(f"cannot truncate to {num_tokens} tokens", 1)
        check(lib.oss_context_truncate(self, num_tokens))

    @property
    def num_tokens(self) -> int:
        n = c_size_t()
        check(lib.oss_context_get_counts(self, byref(n), None))
        return n.value

    @property
    def max_tokens(self) -> int:
        n = c_size_t()
        check(lib.oss_context_get_counts(self, None, byref(n)))
        return n.value

    @property
    def tokens(self) -> List[int]:
        n = self.num_tokens
        buf = np.empty(max(n, 1), dtype=np.int32)
        got = c_size_t()
        check(lib.oss_context_get_tokens(self, buf.ctypes.data, buf.size, byref(got)))
        return buf[: got.value].tolist()

    @property
    def kv_tokens(self) -> int:
        """Leading tokens whose keys and values are cached."""
        n = c_size_t()
        check(lib.oss_context_get_cache_stats(self, byref(n), None))
        return n.value

    @property
    def tokens_run(self) -> int:
        """Tokens run through the model since the context was created (prefix reuse keeps this low)."""
        n = c_uint64()
        check(lib.oss_context_get_cache_stats(self, None, byref(n)))
        return n.value

    @property
    def logits(self) -> np.ndarray:
        """A copy of the last token's logits ``[vocabulary_size]`` (pending tokens are processed first)."""
        ptr, n = c_void_p(), c_size_t()
        check(lib.oss_context_get_logits(self, byref(ptr), byref(n)))
        return np.ctypeslib.as_array((ctypes.c_float * n.value).from_address(ptr.value)).copy()
