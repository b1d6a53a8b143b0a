"""Loading libswiftoss.so, the ctypes declarations of swiftoss.h, and status → exception mapping."""
from __future__ import annotations

import ctypes
import os
from ctypes import POINTER, c_char_p, c_double, c_float, c_int32, c_int64, c_size_t, c_uint64, c_void_p
from pathlib import Path
from typing import Optional

ABI_VERSION = 3
LIBRARY_NAME = "libswiftoss.so"


# ----------------------------------------------------------------------------------------------------------------
# Errors
# ----------------------------------------------------------------------------------------------------------------

class SwiftOSSError(Exception):
    """A failing libswiftoss call: `status` is the oss_status code, the message is the library's."""

    status: int = -1

    def __init__(self, message: str, status: Optional[int] = None) -> None:
        super().__init__(message)
        if status is not None:
            self.status = status


class InvalidArgumentError(SwiftOSSError, ValueError):
    status = 1


class ShapeError(SwiftOSSError, ValueError):
    status = 2


class DTypeError(SwiftOSSError, TypeError):
    status = 3


class InvalidHandleError(SwiftOSSError, ValueError):
    status = 4


class TokenOutOfRangeError(SwiftOSSError, IndexError):
    status = 5


class ContextOverflowError(SwiftOSSError, OverflowError):
    status = 6


class ModelFileError(SwiftOSSError, OSError):
    status = 7


class BufferTooSmallError(SwiftOSSError):
    status = 8


class InvalidStateError(SwiftOSSError, RuntimeError):
    status = 9


class OutOfMemoryError(SwiftOSSError, MemoryError):
    status = 10


_ERRORS = {cls.status: cls for cls in (
    InvalidArgumentError, ShapeError, DTypeError, InvalidHandleError, TokenOutOfRangeError, ContextOverflowError,
    ModelFileError, BufferTooSmallError, InvalidStateError, OutOfMemoryError)}


# ----------------------------------------------------------------------------------------------------------------
# Structures (layouts of swiftoss.h; data pointers as c_void_p so NumPy addresses go in without casts)
# ----------------------------------------------------------------------------------------------------------------

class Tensor(ctypes.Structure):
    _fields_ = [("data", c_void_p), ("rank", c_int32), ("shape", c_int64 * 4)]


class WeightStruct(ctypes.Structure):
    _fields_ = [("dtype", c_int32), ("rank", c_int32), ("shape", c_int64 * 3), ("data", c_void_p),
                ("scales", c_void_p)]


class AttentionParams(ctypes.Structure):
    _fields_ = [("heads", c_int32), ("kv_heads", c_int32), ("head_dim", c_int32), ("scale", c_float),
                ("window", c_int32), ("first_position", c_int64)]


class MoEWeights(ctypes.Structure):
    _fields_ = [("router", WeightStruct), ("router_bias", POINTER(Tensor)),
                ("gate_up", WeightStruct), ("gate_up_bias", POINTER(Tensor)),
                ("down", WeightStruct), ("down_bias", POINTER(Tensor)),
                ("top_k", c_int32), ("swiglu_limit", c_float), ("swiglu_alpha", c_float)]


class ModelOptions(ctypes.Structure):
    _fields_ = [("backend", c_int32), ("threads", c_int32), ("decode_threads", c_int32),
                ("context_length", c_int32), ("prefill_chunk", c_int32), ("kv_cache", c_int32)]


class ModelInfo(ctypes.Structure):
    _fields_ = [("architecture", c_char_p), ("vocabulary_size", c_int64), ("max_context_length", c_int64),
                ("context_length", c_int64), ("layers", c_int64), ("hidden_size", c_int64), ("experts", c_int64),
                ("experts_per_token", c_int64), ("format", c_char_p), ("name", c_char_p), ("weight_dtypes", c_char_p),
                ("chat_format", c_char_p)]


class SamplingParams(ctypes.Structure):
    _fields_ = [("temperature", c_float), ("top_k", c_int32), ("top_p", c_float), ("min_p", c_float),
                ("seed", c_uint64)]


# ----------------------------------------------------------------------------------------------------------------
# Locating and loading the library
# ----------------------------------------------------------------------------------------------------------------

def library_path() -> Path:
    """`$SWIFTOSS_LIBRARY`, else the copy bundled in this package at install, else `.build/release` of the checkout
    this file sits in (editable installs and running from the source tree)."""
    given = os.environ.get("SWIFTOSS_LIBRARY")
    if given:
        return Path(given)
    here = Path(__file__).resolve().parent
    candidates = [here / LIBRARY_NAME, here.parent.parent / ".build" / "release" / LIBRARY_NAME]
    for c in candidates:
        if c.is_file():
            return c
    raise ImportError(f"{LIBRARY_NAME} not found (looked at {', '.join(map(str, candidates))}); build it with "
                      "`swift build -c release --product swiftoss` or set SWIFTOSS_LIBRARY")


def _declare(lib: ctypes.CDLL) -> None:
    status = c_int32
    H = c_void_p  # every handle
    T = c_void_p  # oss_tensor *, passed as an int address (fastest conversion)
    W = c_void_p  # oss_weight *
    signatures = {
        "oss_abi_version": (c_int32, []),
        "oss_status_name": (c_char_p, [c_int32]),
        "oss_last_error": (c_char_p, []),
        "oss_live_handles": (status, [POINTER(c_int64)]),
        "oss_dtype_block": (status, [c_int32, POINTER(c_int64), POINTER(c_int64), POINTER(c_int64)]),
        "oss_dtype_name": (c_char_p, [c_int32]),
        "oss_backend_create": (status, [c_int32, c_int32, POINTER(H)]),
        "oss_backend_retain": (status, [H]),
        "oss_backend_release": (status, [H]),
        "oss_backend_info": (status, [H, POINTER(c_char_p), POINTER(c_int32)]),
        "oss_set_gemm_roundings": (status, [c_int32, c_int32]),
        "oss_set_int8_gemv": (status, [c_int32]),
        "oss_get_int8_gemv": (status, [POINTER(c_int32)]),
        "oss_set_avx2_int8_gemv": (status, [c_int32]),
        "oss_get_avx2_int8_gemv": (status, [POINTER(c_int32)]),
        "oss_set_float_gemv": (status, [c_int32]),
        "oss_get_float_gemv": (status, [POINTER(c_int32), POINTER(c_int32)]),
        "oss_get_gemm_roundings": (status, [POINTER(c_int32), POINTER(c_int32)]),
        "oss_linear": (status, [H, T, W, T, T]),
        "oss_rms_norm": (status, [H, T, T, c_float, T]),
        "oss_softmax": (status, [H, T, T]),
        "oss_swiglu": (status, [H, T, c_float, c_float, T]),
        "oss_silu_mul": (status, [H, T, T, T]),
        "oss_add": (status, [H, T, T, T]),
        "oss_embedding": (status, [H, W, c_void_p, c_size_t, T]),
        "oss_argmax": (status, [H, T, POINTER(c_int64)]),
        "oss_top_k": (status, [H, T, c_int64, c_void_p, c_void_p]),
        "oss_rope_table_create": (status, [c_int32, c_double, c_int32, POINTER(H)]),
        "oss_rope_table_create_yarn": (status, [c_int32, c_double, c_double, c_int32, c_double, c_double, c_int32,
                                                c_int32, POINTER(H)]),
        "oss_rope_table_retain": (status, [H]),
        "oss_rope_table_release": (status, [H]),
        "oss_rope": (status, [H, T, c_int32, c_int64, H, c_int32]),
        "oss_attention": (status, [H, T, T, T, T, POINTER(AttentionParams), T]),
        "oss_moe": (status, [H, T, POINTER(MoEWeights), T]),
        "oss_model_options_default": (None, [POINTER(ModelOptions)]),
        "oss_model_load": (status, [c_char_p, POINTER(ModelOptions), POINTER(H)]),
        "oss_model_retain": (status, [H]),
        "oss_model_release": (status, [H]),
        "oss_model_get_info": (status, [H, POINTER(ModelInfo)]),
        "oss_model_get_tokenizer": (status, [H, POINTER(H)]),
        "oss_tokenizer_retain": (status, [H]),
        "oss_tokenizer_release": (status, [H]),
        "oss_tokenizer_get_counts": (status, [H, POINTER(c_int64), POINTER(c_int64), POINTER(c_int64)]),
        "oss_tokenizer_encode": (status, [H, c_char_p, c_size_t, c_int32, c_void_p, c_size_t, POINTER(c_size_t)]),
        "oss_tokenizer_decode": (status, [H, c_void_p, c_size_t, c_void_p, c_size_t, POINTER(c_size_t)]),
        "oss_tokenizer_special_id": (status, [H, c_char_p, POINTER(c_int32)]),
        "oss_tokenizer_get_bos_eos": (status, [H, POINTER(c_int32), POINTER(c_int32), POINTER(c_int32),
                                               POINTER(c_int32)]),
        "oss_tokenizer_get_stop_tokens": (status, [H, c_void_p, c_size_t, POINTER(c_size_t)]),
        "oss_context_create": (status, [H, c_int64, POINTER(H)]),
        "oss_context_retain": (status, [H]),
        "oss_context_release": (status, [H]),
        "oss_context_append_tokens": (status, [H, c_void_p, c_size_t]),
        "oss_context_append_text": (status, [H, c_char_p, c_size_t, c_int32, POINTER(c_size_t)]),
        "oss_context_process": (status, [H]),
        "oss_sampling_params_default": (None, [POINTER(SamplingParams)]),
        "oss_context_sample": (status, [H, POINTER(SamplingParams), POINTER(c_int32)]),
        "oss_context_reset": (status, [H]),
        "oss_context_truncate": (status, [H, c_size_t]),
        "oss_context_get_counts": (status, [H, POINTER(c_size_t), POINTER(c_size_t)]),
        "oss_context_get_cache_stats": (status, [H, POINTER(c_size_t), POINTER(c_uint64)]),
        "oss_context_get_tokens": (status, [H, c_void_p, c_size_t, POINTER(c_size_t)]),
        "oss_context_get_logits": (status, [H, POINTER(c_void_p), POINTER(c_size_t)]),
    }
    for name, (restype, argtypes) in signatures.items():
        f = getattr(lib, name)
        f.restype = restype
        f.argtypes = argtypes


def _load() -> ctypes.CDLL:
    path = library_path()
    lib = ctypes.CDLL(str(path))
    _declare(lib)
    version = lib.oss_abi_version()
    if version != ABI_VERSION:
        raise ImportError(f"{path}: ABI version {version}, this package speaks {ABI_VERSION}")
    return lib


lib = _load()


def raise_for(status: int) -> None:
    """Raises the exception of a non-zero status with the library's message for this thread."""
    if status == 0:
        return
    message = (lib.oss_last_error() or b"").decode("utf-8", "replace")
    cls = _ERRORS.get(status, SwiftOSSError)
    raise cls(message, status)


def check(status: int) -> None:
    if status != 0:
        raise_for(status)


def live_handles() -> int:
    """Handles of every kind alive in the process (leak checks)."""
    n = c_int64()
    check(lib.oss_live_handles(ctypes.byref(n)))
    return n.value


class Handle:
    """Owner of one C reference; released on `close()`, `with` exit or garbage collection."""

    _release_name = ""

    def __init__(self, raw: c_void_p) -> None:
        self._handle = raw

    @property
    def _as_parameter_(self) -> c_void_p:
        # A closed object passes NULL: the library answers OSS_ERROR_INVALID_HANDLE (InvalidHandleError).
        return self._handle if self._handle is not None else c_void_p()

    def close(self) -> None:
        h, self._handle = getattr(self, "_handle", None), None
        if h is not None and h.value and lib is not None:
            getattr(lib, self._release_name)(h)

    def __enter__(self):  # type: ignore[no-untyped-def]
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass
