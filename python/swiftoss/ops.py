"""Op level: every SwiftOSS backend op on NumPy arrays, zero-copy (arrays are passed by address)."""
from __future__ import annotations

import ctypes
import weakref
from ctypes import byref, c_int32, c_int64, c_void_p
from typing import Dict, Optional, Sequence, Tuple, Union

import numpy as np

from ._lib import (AttentionParams, DTypeError, Handle, InvalidArgumentError, MoEWeights, ShapeError, Tensor,
                   WeightStruct, check, lib, raise_for)

BACKEND_KINDS = {"swift": 0, "blas": 1, "auto": 2}
DTYPES = {"f32": 0, "f16": 1, "bf16": 2, "q8_0": 3, "mxfp4": 4,
          "q4_0": 16, "q4_1": 17, "q5_0": 18, "q5_1": 19, "q4_k": 20, "q5_k": 21, "q6_k": 22}
ROPE_STYLES = {"neox": 0, "interleaved": 1}


def dtype_block(dtype: str) -> Tuple[int, int, int]:
    """(weights per block, bytes per block in `data`, bytes per block in `scales`) of a dtype name."""
    code = _dtype_code(dtype)
    e, b, s = c_int64(), c_int64(), c_int64()
    check(lib.oss_dtype_block(code, byref(e), byref(b), byref(s)))
    return e.value, b.value, s.value


def set_gemm_roundings(int8_gemm: bool = True, bf16_dot: bool = True) -> None:
    """Process-wide activation rounding of the BLAS backend's GEMM (linear past its GEMV kernels) where the CPU has the
    instructions: ``int8_gemm`` rounds x to int8 per 32-block for MXFP4 and Q4_0 … Q6_K weights (AVX512-VNNI;
    without AVX-512 the AVX2 8-bit tiles, Q8_0 too),
    ``bf16_dot`` to bf16 for BF16 weights (AVX512-BF16). Both default on; off keeps the GEMVs' rounding at every T, so
    a linear's result does not depend on its row count (``oss_set_gemm_roundings``)."""
    check(lib.oss_set_gemm_roundings(int(bool(int8_gemm)), int(bool(bf16_dot))))


def gemm_roundings() -> Tuple[bool, bool]:
    """The current ``(int8_gemm, bf16_dot)`` switches of :func:`set_gemm_roundings`."""
    a, b = c_int32(), c_int32()
    check(lib.oss_get_gemm_roundings(byref(a), byref(b)))
    return bool(a.value), bool(b.value)


def set_int8_gemv(on: bool = False) -> None:
    """Process-wide: ``on`` runs MXFP4's GEMV (T ≤ 12: decode) on x rounded to int8 per 32-block where the CPU has
    AVX512-VNNI, as llama.cpp does (NMSE ≈ 1.5e-5 per linear instead of ~1e-10; faster MXFP4 decode). Default off
    (``oss_set_int8_gemv``)."""
    check(lib.oss_set_int8_gemv(int(bool(on))))


def int8_gemv() -> bool:
    """The current switch of :func:`set_int8_gemv`."""
    on = c_int32()
    check(lib.oss_get_int8_gemv(byref(on)))
    return bool(on.value)


def set_avx2_int8_gemv(on: bool = True) -> None:
    """Process-wide: on CPUs without AVX512-VNNI, ``on`` (default) runs the GEMVs (decode) of Q8_0 and Q4_0 … Q6_K on x
    rounded to int8 as the VNNI path and llama.cpp do (NMSE ≈ 1.5e-5 per linear); off keeps 16-bit fixed-point x (Q8_0:
    float x), slower. No effect where VNNI runs them (``oss_set_avx2_int8_gemv``)."""
    check(lib.oss_set_avx2_int8_gemv(int(bool(on))))


def avx2_int8_gemv() -> bool:
    """The current switch of :func:`set_avx2_int8_gemv`."""
    on = c_int32()
    check(lib.oss_get_avx2_int8_gemv(byref(on)))
    return bool(on.value)


def set_float_gemv(width: int = 0) -> None:
    """Process-wide: the kernel of the one-vector GEMV (T = 1: decode) of f32/f16/bf16 weights. ``512``: blocks of four
    rows with 512-bit loads (AVX-512 CPUs); ``256``: one row at a time with 256-bit loads; ``0`` (default): by the CPU,
    the blocks where it runs 512-bit loads at full width (not AMD Zen 4). Both keep float32 activations
    (``oss_set_float_gemv``; other widths raise)."""
    check(lib.oss_set_float_gemv(int(width)))


def float_gemv() -> Tuple[int, int]:
    """``(setting, active)``: the switch of :func:`set_float_gemv` (0, 256 or 512) and the width the GEMV runs now."""
    width, active = c_int32(), c_int32()
    check(lib.oss_get_float_gemv(byref(width), byref(active)))
    return width.value, active.value


def _dtype_code(dtype: str) -> int:
    try:
        return DTYPES[dtype.lower()]
    except (KeyError, AttributeError):
        raise DTypeError(f"unknown dtype {dtype!r} (choose from {', '.join(DTYPES)})", 3) from None


_F32 = np.dtype(np.float32)
# oss_tensor structs of live arrays, keyed by id(array): (weak reference, shape, struct). A struct depends only on
# the array's address and shape, and an array's address changes only with its shape (resize), so an entry whose
# array is the same object with the same shape is exact. Entries leave when their array is collected. This keeps
# the per-call cost of the bindings low (`ndarray.ctypes.data` alone costs microseconds).
_tensors: Dict[int, Tuple["weakref.ref[np.ndarray]", Tuple[int, ...], Tensor, int]] = {}


def _tensor(a: np.ndarray, what: str, writable: bool = False) -> int:
    """The address of an oss_tensor over `a` (float32, C-contiguous, rank 1…4), kept alive by the cache while `a`
    lives. No copy is made, so anything else is an error. (An int address converts fastest in a ctypes call.)"""
    entry = _tensors.get(id(a))
    if (entry is not None and entry[0]() is a and a.dtype is _F32 and entry[1] == a.shape and a.flags.c_contiguous
            and (not writable or a.flags.writeable)):
        return entry[3]
    return ctypes.addressof(_tensor_struct(a, what, writable))


def _tensor_struct(a: np.ndarray, what: str, writable: bool = False) -> Tensor:
    """The cached oss_tensor struct of `a` (see `_tensor`), after validating `a`."""
    entry = _tensors.get(id(a))
    if (entry is not None and entry[0]() is a and a.dtype is _F32 and entry[1] == a.shape and a.flags.c_contiguous
            and (not writable or a.flags.writeable)):
        return entry[2]
    if not isinstance(a, np.ndarray):
        raise TypeError(f"{what} must be a numpy.ndarray, got {type(a).__name__}")
    if a.dtype != np.float32:
        raise TypeError(f"{what} must be float32, got {a.dtype} (convert with .astype(np.float32))")
    if not a.flags.c_contiguous:
        raise ValueError(f"{what} must be C-contiguous (use np.ascontiguousarray)")
    if writable and not a.flags.writeable:
        raise ValueError(f"{what} must be writeable")
    if not 1 <= a.ndim <= 4:
        raise ShapeError(f"{what} must have rank 1…4, got shape {a.shape}", 2)
    t = Tensor()
    t.data = a.ctypes.data
    t.rank = a.ndim
    for i, d in enumerate(a.shape):
        t.shape[i] = d
    key = id(a)
    _tensors[key] = (weakref.ref(a, lambda _, k=key: _tensors.pop(k, None)), a.shape, t, ctypes.addressof(t))
    return t


def _out(out: Optional[np.ndarray], shape: Tuple[int, ...]) -> np.ndarray:
    return np.empty(shape, dtype=np.float32) if out is None else out


class Weight:
    """A weight in its stored dtype over NumPy buffers (kept alive by this object; never copied).

    - ``f32``: float32 ``[out, in]`` / ``[E, out, in]``; ``f16``: float16 or uint16 bits; ``bf16``: uint16 bits.
    - ``q8_0``: uint8 rows of ``in/32`` blocks of 34 bytes (``{f16 d; int8 q[32]}``), shape ``[..., in/32*34]``.
    - ``mxfp4``: uint8 blocks ``[..., in/32, 16]`` (gpt-oss ``*.blocks``) and ``scales`` uint8 ``[..., in/32]``.
    - ``q4_0``, ``q4_1``, ``q5_0``, ``q5_1``, ``q4_k``, ``q5_k``, ``q6_k``: uint8 rows of whole GGUF blocks (18, 20,
      22, 24 bytes per 32 weights; 144, 176, 210 per 256), shape ``[..., blocks*bytes]``.

    ``shape`` (the logical ``[out, in]`` or ``[E, out, in]``) is derived from the arrays unless given.
    """

    def __init__(self, array: np.ndarray, dtype: str = "f32", scales: Optional[np.ndarray] = None,
                 shape: Optional[Sequence[int]] = None) -> None:
        self.dtype = dtype.lower()
        code = _dtype_code(self.dtype)
        if not isinstance(array, np.ndarray) or not array.flags.c_contiguous:
            raise ValueError("weight data must be a C-contiguous numpy.ndarray")
        elements, block_bytes, _ = dtype_block(self.dtype)
        if shape is None:
            shape = self._logical_shape(array, elements, block_bytes)
        shape = tuple(int(d) for d in shape)
        if not 1 <= len(shape) <= 3:
            raise ShapeError(f"weight shape must have rank 1…3, got {shape}", 2)
        if shape[-1] % elements:
            raise ShapeError(f"{self.dtype} needs the input dimension to be a multiple of {elements}, got {shape}", 2)
        rows = int(np.prod(shape[:-1], dtype=np.int64)) if len(shape) > 1 else 1
        need = rows * (shape[-1] // elements) * block_bytes
        if array.nbytes != need:
            raise ShapeError(f"{self.dtype} weight {shape} needs {need} data bytes, the array has {array.nbytes}", 2)
        if self.dtype == "mxfp4":
            if scales is None:
                raise DTypeError("mxfp4 weight without scales", 3)
            if not isinstance(scales, np.ndarray) or not scales.flags.c_contiguous or scales.nbytes != rows * (
                    shape[-1] // 32):
                raise ShapeError(f"mxfp4 scales must be {rows * (shape[-1] // 32)} contiguous bytes", 2)
        elif scales is not None:
            raise DTypeError(f"{self.dtype} weight with scales", 3)
        if self.dtype == "f32" and array.dtype != np.float32:
            raise TypeError(f"f32 weight data must be float32, got {array.dtype}")
        self.array, self.scales, self.shape = array, scales, shape
        self._struct = WeightStruct()
        self._struct.dtype = code
        self._struct.rank = len(shape)
        for i, d in enumerate(shape):
            self._struct.shape[i] = d
        self._struct.data = array.ctypes.data
        self._struct.scales = scales.ctypes.data if scales is not None else None
        self._address = ctypes.addressof(self._struct)

    def _logical_shape(self, array: np.ndarray, elements: int, block_bytes: int) -> Tuple[int, ...]:
        if self.dtype == "mxfp4":
            if array.ndim < 3 or array.shape[-1] != 16:
                raise ShapeError(f"mxfp4 blocks must be [..., groups, 16], got {array.shape} (or pass shape=)", 2)
            return tuple(array.shape[:-2]) + (array.shape[-2] * 32,)
        if elements > 1:  # q8_0 and the GGUF block types: rows of whole blocks
            if array.shape[-1] % block_bytes:
                raise ShapeError(f"{self.dtype} rows must be whole {block_bytes}-byte blocks, got {array.shape} "
                                 "(or pass shape=)", 2)
            return tuple(array.shape[:-1]) + (array.shape[-1] // block_bytes * elements,)
        return tuple(array.shape)

    def __repr__(self) -> str:
        return f"Weight({self.dtype}, {list(self.shape)})"


class RopeTable(Handle):
    """cos/sin of positions ``0 ..< max_positions``: plain (``theta``), or YaRN when ``yarn_factor`` > 1 (gpt-oss:
    factor 32, original context 4096, beta fast 32, beta slow 1)."""

    _release_name = "oss_rope_table_release"

    def __init__(self, head_dim: int, theta: float, max_positions: int, yarn_factor: float = 1.0,
                 original_context: int = 4096, beta_fast: float = 32.0, beta_slow: float = 1.0,
                 truncate: bool = False) -> None:
        h = c_void_p()
        if yarn_factor > 1:
            check(lib.oss_rope_table_create_yarn(head_dim, theta, yarn_factor, original_context, beta_fast, beta_slow,
                                                 int(truncate), max_positions, byref(h)))
        else:
            check(lib.oss_rope_table_create(head_dim, theta, max_positions, byref(h)))
        super().__init__(h)
        self.head_dim, self.max_positions = head_dim, max_positions


class Backend(Handle):
    """A SwiftOSS backend (``"swift"``, ``"blas"`` or ``"auto"``) running ops on ``threads`` threads (0 = all cores).

    Ops take float32 C-contiguous arrays, used in place (never copied); ``out`` is allocated when not given and
    returned. A backend may be shared between threads (its ops take turns)."""

    _release_name = "oss_backend_release"

    def __init__(self, kind: str = "blas", threads: int = 0) -> None:
        if kind not in BACKEND_KINDS:
            raise InvalidArgumentError(f"unknown backend {kind!r} (choose from {', '.join(BACKEND_KINDS)})", 1)
        h = c_void_p()
        check(lib.oss_backend_create(BACKEND_KINDS[kind], threads, byref(h)))
        super().__init__(h)
        name, n = ctypes.c_char_p(), c_int32()
        check(lib.oss_backend_info(self, byref(name), byref(n)))
        self.name: str = (name.value or b"").decode()
        self.threads: int = n.value

    def __repr__(self) -> str:
        return f"Backend({self.name!r}, threads={self.threads})"

    def linear(self, x: np.ndarray, weight: Weight, bias: Optional[np.ndarray] = None,
               out: Optional[np.ndarray] = None) -> np.ndarray:
        """``out[T, out] = x[T, in] · weight[out, in]ᵀ + bias[out]``."""
        out = _out(out, (x.shape[0] if x.ndim > 1 else 1, weight.shape[-2] if len(weight.shape) > 1 else 1))
        b = _tensor(bias, "bias") if bias is not None else None
        check(lib.oss_linear(self._handle, _tensor(x, "x"), weight._address, b,
                             _tensor(out, "out", True)))
        return out

    def rms_norm(self, x: np.ndarray, weight: np.ndarray, eps: float = 1e-5,
                 out: Optional[np.ndarray] = None) -> np.ndarray:
        """Row-wise ``x / sqrt(mean(x²) + eps) · weight``; ``out`` may be ``x``."""
        out = _out(out, x.shape)
        check(lib.oss_rms_norm(self._handle, _tensor(x, "x"), _tensor(weight, "weight"), eps,
                               _tensor(out, "out", True)))
        return out

    def softmax(self, x: np.ndarray, out: Optional[np.ndarray] = None) -> np.ndarray:
        """Row-wise softmax; ``out`` may be ``x``."""
        out = _out(out, x.shape)
        check(lib.oss_softmax(self._handle, _tensor(x, "x"), _tensor(out, "out", True)))
        return out

    def swiglu(self, gate_up: np.ndarray, limit: float = 7.0, alpha: float = 1.702,
               out: Optional[np.ndarray] = None) -> np.ndarray:
        """gpt-oss clamped SwiGLU of interleaved ``gate_up[T, 2I]`` → ``[T, I]``."""
        out = _out(out, gate_up.shape[:-1] + (gate_up.shape[-1] // 2,))
        check(lib.oss_swiglu(self._handle, _tensor(gate_up, "gate_up"), limit, alpha, _tensor(out, "out", True)))
        return out

    def silu_mul(self, gate: np.ndarray, up: np.ndarray, out: Optional[np.ndarray] = None) -> np.ndarray:
        """``silu(gate) · up``; ``out`` may alias either input."""
        out = _out(out, gate.shape)
        check(lib.oss_silu_mul(self._handle, _tensor(gate, "gate"), _tensor(up, "up"),
                               _tensor(out, "out", True)))
        return out

    def add(self, a: np.ndarray, b: np.ndarray, out: Optional[np.ndarray] = None) -> np.ndarray:
        """``a + b``; ``out`` may alias either input."""
        if out is None:
            out = np.empty(a.shape, dtype=np.float32)
        status = lib.oss_add(self._handle, _tensor(a, "a"), _tensor(b, "b"),
                             _tensor(out, "out", True))
        if status:
            raise_for(status)
        return out

    def embedding(self, table: Weight, tokens: Union[Sequence[int], np.ndarray],
                  out: Optional[np.ndarray] = None) -> np.ndarray:
        """Rows ``table[tokens[t]]`` of a ``[V, H]`` weight of any dtype → ``[len(tokens), H]``."""
        ids = np.ascontiguousarray(tokens, dtype=np.int32).reshape(-1)
        out = _out(out, (ids.size, table.shape[-1]))
        check(lib.oss_embedding(self._handle, table._address, ids.ctypes.data, ids.size,
                                _tensor(out, "out", True)))
        return out

    def argmax(self, x: np.ndarray) -> int:
        """Index of the largest element (lowest index among equals)."""
        i = c_int64()
        check(lib.oss_argmax(self._handle, _tensor(x, "x"), byref(i)))
        return i.value

    def top_k(self, x: np.ndarray, k: int) -> Tuple[np.ndarray, np.ndarray]:
        """The ``k`` largest elements, descending: ``(ids int32[k], values float32[k])``."""
        ids = np.empty(max(k, 0), dtype=np.int32)
        values = np.empty(max(k, 0), dtype=np.float32)
        check(lib.oss_top_k(self._handle, _tensor(x, "x"), k, ids.ctypes.data, values.ctypes.data))
        return ids, values

    def rope(self, x: np.ndarray, heads: int, first_position: int, table: RopeTable,
             style: str = "neox") -> np.ndarray:
        """Rotates ``x[T, heads·head_dim]`` in place (row t at position ``first_position + t``) and returns it."""
        if style not in ROPE_STYLES:
            raise InvalidArgumentError(f"unknown rope style {style!r} (neox or interleaved)", 1)
        check(lib.oss_rope(self._handle, _tensor(x, "x", True), heads, first_position, table, ROPE_STYLES[style]))
        return x

    def attention(self, q: np.ndarray, keys: np.ndarray, values: np.ndarray, *, heads: int, kv_heads: int,
                  first_position: int, head_dim: Optional[int] = None, scale: Optional[float] = None,
                  window: int = 0, sinks: Optional[np.ndarray] = None,
                  out: Optional[np.ndarray] = None) -> np.ndarray:
        """Causal GQA attention of ``q[T, heads·head_dim]`` over cache rows ``keys``/``values`` ``[slots, kv·hd]``
        (position j in row ``j % slots``), optional sliding ``window`` and per-head ``sinks``."""
        d = head_dim if head_dim is not None else q.shape[-1] // max(heads, 1)
        p = AttentionParams(heads, kv_heads, d, scale if scale is not None else 1 / np.sqrt(d), window, first_position)
        out = _out(out, q.shape)
        s = _tensor(sinks, "sinks") if sinks is not None else None
        check(lib.oss_attention(self._handle, _tensor(q, "q"), _tensor(keys, "keys"),
                                _tensor(values, "values"), s, byref(p), _tensor(out, "out", True)))
        return out

    def moe(self, x: np.ndarray, router: Weight, gate_up: Weight, down: Weight, *, top_k: int,
            router_bias: Optional[np.ndarray] = None, gate_up_bias: Optional[np.ndarray] = None,
            down_bias: Optional[np.ndarray] = None, swiglu_limit: float = 7.0, swiglu_alpha: float = 1.702,
            out: Optional[np.ndarray] = None) -> np.ndarray:
        """gpt-oss MoE block: router ``[E, H]``, gate_up ``[E, 2I, H]`` (rows interleaved), down ``[E, H, I]``."""
        keep = [_tensor_struct(b, name) if b is not None else None for b, name in
                ((router_bias, "router_bias"), (gate_up_bias, "gate_up_bias"), (down_bias, "down_bias"))]
        ptr = [ctypes.pointer(t) if t is not None else None for t in keep]
        w = MoEWeights(router._struct, ptr[0], gate_up._struct, ptr[1], down._struct, ptr[2], top_k, swiglu_limit,
                       swiglu_alpha)
        out = _out(out, x.shape)
        check(lib.oss_moe(self._handle, _tensor(x, "x"), byref(w), _tensor(out, "out", True)))
        return out
