"""SwiftOSS from Python: ops on NumPy arrays (``Backend``, ``Weight``, ``RopeTable``) and models — gpt-oss checkpoint
directories and GGUF files of gpt-oss, llama, qwen2, qwen3 — (``Model``, ``Context``, ``Tokenizer``,
``gpt_oss.setup_model``) over ``libswiftoss.so`` (ctypes)."""
from ._lib import (ABI_VERSION, BufferTooSmallError, ContextOverflowError, DTypeError, InvalidArgumentError,
                   InvalidHandleError, InvalidStateError, ModelFileError, OutOfMemoryError, ShapeError,
                   SwiftOSSError, TokenOutOfRangeError, library_path, live_handles)
from .model import Context, Model, Tokenizer
from .ops import (Backend, RopeTable, Weight, avx2_int8_gemv, dtype_block, float_gemv, gemm_roundings, int8_gemv,
                  set_avx2_int8_gemv, set_float_gemv, set_gemm_roundings, set_int8_gemv)
from . import gpt_oss

__all__ = [
    "ABI_VERSION", "Backend", "BufferTooSmallError", "avx2_int8_gemv", "Context", "ContextOverflowError", "DTypeError",
    "InvalidArgumentError", "InvalidHandleError", "InvalidStateError", "Model", "ModelFileError", "OutOfMemoryError",
    "RopeTable", "ShapeError", "SwiftOSSError", "TokenOutOfRangeError", "Tokenizer", "Weight", "dtype_block",
    "float_gemv", "gemm_roundings", "gpt_oss", "int8_gemv", "library_path", "live_handles", "set_float_gemv",
    "set_avx2_int8_gemv", "set_gemm_roundings", "set_int8_gemv",
]
