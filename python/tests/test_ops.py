"""Every op of both backends through the Python bindings against NumPy float64 references (fresh random inputs,
odd shapes, NaN-poisoned outputs; NMSE thresholds of Tests/BackendConformanceTests/Tolerance.swift)."""
import numpy as np
import pytest

import swiftoss

# Thresholds (NMSE Σ(a−b)²/Σb²), with the reason for each:
ADD = 1e-10           # one rounded f32 addition per element
ACTIVATION = 1e-10    # one exp and 3–4 rounded products per element
SOFTMAX = 1e-9        # an exp per element and an n-term f32 sum
RMSNORM = 1e-10       # n-term f32 sum of squares, rsqrt, two products
ROPE = 1e-10          # f32 cos/sin table, two products and a sum
LINEAR = 1e-9         # f32 dot products; weights compared after exact decoding
LINEAR_FIXED = 1e-8   # blas MXFP4 GEMV and the block types' AVX2 ones round activations to 16-bit fixed point
LINEAR_INT8 = 2e-4    # blas Q8_0 and block-type GEMVs on AVX2 / AVX512-VNNI CPUs: 8 bits (ggml's Q8_0 / Q8_K), NMSE ≈ 1.6e-5
ATTENTION = 1e-9      # head_dim-term dots, exp of scores, sums over the window
MOE_FIXED = 2e-8      # two fixed-point linears (MXFP4 experts) add their errors
EMBEDDING = 1e-14     # a row gather; decoding is exact

def cpu_flags() -> set:
    """The CPU flags the OS reports (empty where /proc/cpuinfo cannot be read)."""
    try:
        with open("/proc/cpuinfo") as f:
            return set(next((line for line in f if line.startswith("flags")), "").split())
    except OSError:
        return set()


def cpu_has_vnni() -> bool:
    """Whether the blas backend's 512-bit VNNI kernels run here (MXFP4's opt-in 8-bit GEMV needs them)."""
    return {"avx512f", "avx512bw", "avx512vl", "avx512_vnni"} <= cpu_flags()


def cpu_has_avx2() -> bool:
    """Whether the blas backend's Q8_0 and block-type GEMVs run their 8-bit paths here by default (VNNI, or AVX2's
    vpmaddubsw while ``set_avx2_int8_gemv`` is on)."""
    return {"avx2", "fma", "f16c"} <= cpu_flags()


AVX512 = {"avx512f", "avx512dq", "avx512bw", "avx512vl"}  # the blas backend's AVX-512 kernels need all four


def cpu_has_avx512() -> bool:
    """Whether the blas backend's AVX-512 kernels run here."""
    return AVX512 <= cpu_flags()


E2M1 = np.array([0, 0.5, 1, 1.5, 2, 3, 4, 6, -0.0, -0.5, -1, -1.5, -2, -3, -4, -6])

BACKENDS = ["swift", "blas"]


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> swiftoss.Backend:
    b = swiftoss.Backend(request.param, threads=2)
    yield b
    b.close()


def nmse(got: np.ndarray, want: np.ndarray) -> float:
    assert np.all(np.isfinite(got)), "NaN/Inf in the result"
    want = np.asarray(want, dtype=np.float64)
    return float(np.sum((got.astype(np.float64) - want) ** 2) / max(np.sum(want ** 2), 1e-300))


def poisoned(*shape: int) -> np.ndarray:
    return np.full(shape, np.nan, dtype=np.float32)


# The GGUF block types (docs/gguf.md §3), decoded here from the byte layout independently of the Swift and C decoders.
LEGACY = {"q4_0": (18, None, None, 2, 8), "q4_1": (20, 2, None, 4, 0),  # bytes, m, qh, qs offsets; level offset z
          "q5_0": (22, None, 2, 6, 16), "q5_1": (24, 2, 4, 8, 0)}
K_BYTES = {"q4_k": 144, "q5_k": 176, "q6_k": 210}
GGUF_BLOCK_TYPES = list(LEGACY) + list(K_BYTES)


def f16_field(raw: np.ndarray, offset: int) -> np.ndarray:
    return np.ascontiguousarray(raw[..., offset:offset + 2]).view(np.float16)[..., 0].astype(np.float64)


def gguf_block_values(raw: np.ndarray, dtype: str) -> np.ndarray:
    """Exact values of raw blocks [rows, blocks, bytes] → [rows, blocks·elements]."""
    rows = raw.shape[0]
    if dtype in LEGACY:
        _, m, qh, qs, z = LEGACY[dtype]
        q = raw[..., qs:qs + 16].astype(np.int64)
        level = np.concatenate([q & 15, q >> 4], axis=-1)  # element k < 16: low nibble of qs[k]; else high of qs[k−16]
        if qh is not None:
            bits = np.ascontiguousarray(raw[..., qh:qh + 4]).view("<u4").astype(np.int64)
            level |= ((bits >> np.arange(32)) & 1) << 4
        d = f16_field(raw, 0)[..., None]
        values = d * level + f16_field(raw, m)[..., None] if m is not None else d * (level - z)
        return values.reshape(rows, -1)
    k = np.arange(256)
    if dtype == "q6_k":
        h, t, lane = k // 128, (k % 128) // 32, k % 32
        low = raw[..., 64 * h + 32 * (t & 1) + lane].astype(np.int64)
        low = np.where(t < 2, low & 15, low >> 4)
        high = (raw[..., 128 + 32 * h + lane].astype(np.int64) >> (2 * t)) & 3
        scales = raw[..., 192:208].view(np.int8).astype(np.float64)[..., k // 16]
        return (f16_field(raw, 208)[..., None] * scales * ((low | high << 4) - 32)).reshape(rows, -1)
    b = raw[..., 4:16].astype(np.int64)
    sc, mn = np.empty(b.shape[:-1] + (8,), np.int64), np.empty(b.shape[:-1] + (8,), np.int64)
    for j in range(4):
        sc[..., j], mn[..., j] = b[..., j] & 63, b[..., j + 4] & 63
        sc[..., j + 4] = (b[..., j + 8] & 15) | (b[..., j] >> 6) << 4
        mn[..., j + 4] = (b[..., j + 8] >> 4) | (b[..., j + 4] >> 6) << 4
    qs = 48 if dtype == "q5_k" else 16
    byte = raw[..., qs + 32 * (k // 64) + k % 32].astype(np.int64)
    level = np.where(k % 64 < 32, byte & 15, byte >> 4)
    if dtype == "q5_k":
        level |= ((raw[..., 16 + k % 32].astype(np.int64) >> (k // 32)) & 1) << 4
    values = f16_field(raw, 0)[..., None] * sc[..., k // 32] * level - f16_field(raw, 2)[..., None] * mn[..., k // 32]
    return values.reshape(rows, -1)


def random_gguf_blocks(rng: np.random.Generator, dtype: str, rows: int, inp: int):
    """Random GGUF block bytes (scales small positive f16s, everything else random) and their exact values."""
    size, elements = (LEGACY[dtype][0], 32) if dtype in LEGACY else (K_BYTES[dtype], 256)
    raw = rng.integers(0, 256, (rows, inp // elements, size), dtype=np.uint8)
    scale_fields = [208] if dtype == "q6_k" else [0, 2] if dtype in K_BYTES or LEGACY[dtype][1] else [0]
    for offset in scale_fields:
        d = rng.uniform(2 ** -9, 2 ** -6, raw.shape[:2]).astype(np.float16)
        raw[..., offset:offset + 2] = d.view(np.uint8).reshape(raw.shape[:2] + (2,))
    return swiftoss.Weight(np.ascontiguousarray(raw.reshape(rows, -1)), dtype), gguf_block_values(raw, dtype)


def random_weight(rng: np.random.Generator, dtype: str, rows: int, inp: int):
    """(swiftoss.Weight, exact float64 values [rows, in]) with random stored bytes."""
    if dtype in GGUF_BLOCK_TYPES:
        return random_gguf_blocks(rng, dtype, rows, inp)
    if dtype == "f32":
        a = rng.uniform(-1, 1, (rows, inp)).astype(np.float32)
        return swiftoss.Weight(a, "f32"), a.astype(np.float64)
    if dtype == "f16":
        a = rng.uniform(-1, 1, (rows, inp)).astype(np.float16)
        return swiftoss.Weight(a, "f16"), a.astype(np.float64)
    if dtype == "bf16":
        bits = (rng.uniform(-1, 1, (rows, inp)).astype(np.float32).view(np.uint32) >> 16).astype(np.uint16)
        return swiftoss.Weight(bits, "bf16"), (bits.astype(np.uint32) << 16).view(np.float32).astype(np.float64)
    if dtype == "q8_0":
        blocks = inp // 32
        d = rng.uniform(2 ** -7, 2 ** -4, (rows, blocks)).astype(np.float16)
        q = rng.integers(-128, 128, (rows, blocks, 32), dtype=np.int8)
        raw = np.concatenate([d.view(np.uint8).reshape(rows, blocks, 2), q.view(np.uint8)], axis=2)
        values = d.astype(np.float64)[..., None] * q.astype(np.float64)
        return swiftoss.Weight(np.ascontiguousarray(raw.reshape(rows, blocks * 34)), "q8_0"), values.reshape(rows, inp)
    blocks = rng.integers(0, 256, (rows, inp // 32, 16), dtype=np.uint8)
    scales = rng.integers(124, 129, (rows, inp // 32), dtype=np.uint8)
    codes = np.stack([blocks & 15, blocks >> 4], axis=-1).reshape(rows, inp // 32, 32)
    values = E2M1[codes] * np.exp2(scales.astype(np.float64) - 127)[..., None]
    return swiftoss.Weight(blocks, "mxfp4", scales=scales), values.reshape(rows, inp)


@pytest.mark.parametrize("dtype", ["f32", "f16", "bf16", "q8_0", "mxfp4"] + GGUF_BLOCK_TYPES)
@pytest.mark.parametrize("t", [1, 5])
def test_linear(backend: swiftoss.Backend, dtype: str, t: int) -> None:
    rng = np.random.default_rng(7 + t)
    inp = 67 if dtype in ("f32", "f16", "bf16") else 512 if dtype in K_BYTES else 96
    w, values = random_weight(rng, dtype, 19, inp)
    x = rng.uniform(-1, 1, (t, inp)).astype(np.float32)
    bias = rng.uniform(-1, 1, 19).astype(np.float32)
    out = poisoned(t, 19)
    got = backend.linear(x, w, bias=bias, out=out)
    assert got is out  # written in place
    ref = x.astype(np.float64) @ values.T + bias
    int8 = backend.name == "blas" and dtype in ["q8_0"] + GGUF_BLOCK_TYPES and cpu_has_avx2()
    assert nmse(out, ref) < (LINEAR if dtype in ("f32", "f16", "bf16") else LINEAR_INT8 if int8 else LINEAR_FIXED)


def cpu_has_bf16() -> bool:
    """Whether the blas backend's BF16 GEMM runs vdpbf16ps here (AVX-512 F/DQ/BW/VL with AVX512-BF16)."""
    return (AVX512 | {"avx512_bf16"}) <= cpu_flags()


def test_gemm_roundings() -> None:
    """Default on; off keeps the GEMVs' rounding past them (MXFP4 16-bit, BF16 float32), each within its tolerance;
    where the CPU has the instructions the switch changes the bits. Bad values are refused by the C ABI."""
    assert swiftoss.gemm_roundings() == (True, True)
    backend = swiftoss.Backend("blas", threads=2)
    rng = np.random.default_rng(11)
    # MXFP4 at T = 40: the VNNI 8-bit tiles, or on other AVX2 CPUs the AVX2 ones (off: 16-bit tiles, float tiles)
    int8_tiles = cpu_has_vnni() or cpu_has_avx2()
    cases = [("mxfp4", 96, int8_tiles, LINEAR_INT8, LINEAR_FIXED), ("bf16", 67, cpu_has_bf16(), 3e-5, LINEAR)]
    try:
        for dtype, inp, has, tol_on, tol_off in cases:
            w, values = random_weight(rng, dtype, 21, inp)
            x = rng.uniform(-1, 1, (40, inp)).astype(np.float32)
            ref = x.astype(np.float64) @ values.T
            outs = []
            for on in (False, True):
                swiftoss.set_gemm_roundings(int8_gemm=on, bf16_dot=on)
                assert swiftoss.gemm_roundings() == (on, on)
                out = backend.linear(x, w)
                assert nmse(out, ref) < (tol_on if on and has else tol_off), (dtype, on)
                outs.append(out)
            assert (not np.array_equal(outs[0], outs[1])) == has, dtype
    finally:
        swiftoss.set_gemm_roundings()
    from swiftoss._lib import lib
    assert lib.oss_set_gemm_roundings(2, 1) == 1  # OSS_ERROR_INVALID_ARGUMENT
    assert swiftoss.gemm_roundings() == (True, True)


def test_avx2_int8_gemv() -> None:
    """Default on; off, a Q8_0 GEMV (T = 1) keeps float activations where the AVX2 kernels run it (no VNNI), else
    nothing changes. Bad values are refused by the C ABI."""
    assert swiftoss.avx2_int8_gemv() is True
    backend = swiftoss.Backend("blas", threads=2)
    rng = np.random.default_rng(13)
    w, values = random_weight(rng, "q8_0", 21, 160)
    x = rng.uniform(-1, 1, (1, 160)).astype(np.float32)
    ref = x.astype(np.float64) @ values.T
    outs = []
    try:
        for on in (False, True):
            swiftoss.set_avx2_int8_gemv(on)
            assert swiftoss.avx2_int8_gemv() is on
            out = backend.linear(x, w)
            int8 = cpu_has_vnni() or (on and cpu_has_avx2())
            assert nmse(out, ref) < (LINEAR_INT8 if int8 else LINEAR), on
            outs.append(out)
        if cpu_has_vnni() or not cpu_has_avx2():
            assert np.array_equal(outs[0], outs[1])
        else:
            assert not np.array_equal(outs[0], outs[1])
    finally:
        swiftoss.set_avx2_int8_gemv(True)
    from swiftoss._lib import lib
    assert lib.oss_set_avx2_int8_gemv(2) == 1  # OSS_ERROR_INVALID_ARGUMENT
    assert swiftoss.avx2_int8_gemv() is True


def test_int8_gemv() -> None:
    """Default off; on, an MXFP4 GEMV (T = 1) rounds x to 8 bits where the CPU has AVX512-VNNI (other bits, within the
    8-bit tolerance), else keeps 16 bits. Bad values are refused by the C ABI."""
    assert swiftoss.int8_gemv() is False
    backend = swiftoss.Backend("blas", threads=2)
    rng = np.random.default_rng(12)
    w, values = random_weight(rng, "mxfp4", 21, 160)
    x = rng.uniform(-1, 1, (1, 160)).astype(np.float32)
    ref = x.astype(np.float64) @ values.T
    outs = []
    try:
        for on in (False, True):
            swiftoss.set_int8_gemv(on)
            assert swiftoss.int8_gemv() is on
            out = backend.linear(x, w)
            assert nmse(out, ref) < (LINEAR_INT8 if on and cpu_has_vnni() else LINEAR_FIXED), on
            outs.append(out)
        assert (not np.array_equal(outs[0], outs[1])) == cpu_has_vnni()
    finally:
        swiftoss.set_int8_gemv(False)
    from swiftoss._lib import lib
    assert lib.oss_set_int8_gemv(2) == 1  # OSS_ERROR_INVALID_ARGUMENT
    assert swiftoss.int8_gemv() is False


@pytest.mark.parametrize("dtype", ["bf16", "f32"])
def test_float_gemv(dtype: str) -> None:
    """Default 0 (by the CPU); 256 and 512 each give a T = 1 GEMV within f32 rounding of the float64 reference, the
    512-bit blocks running (other bits) where the CPU has AVX-512. Bad widths are refused by the C ABI."""
    width, active = swiftoss.float_gemv()
    assert width == 0 and active in (256, 512)
    backend = swiftoss.Backend("blas", threads=2)
    rng = np.random.default_rng(13)
    w, values = random_weight(rng, dtype, 23, 203)
    x = rng.uniform(-1, 1, (1, 203)).astype(np.float32)
    ref = x.astype(np.float64) @ values.T
    outs = []
    try:
        for width in (256, 512):
            swiftoss.set_float_gemv(width)
            assert swiftoss.float_gemv() == (width, 512 if width == 512 and cpu_has_avx512() else 256)
            out = backend.linear(x, w)
            assert np.isfinite(out).all() and nmse(out, ref) < LINEAR, width
            outs.append(out)
        assert (not np.array_equal(outs[0], outs[1])) == cpu_has_avx512()
        for bad in (1, -1, 1024):
            with pytest.raises(swiftoss.InvalidArgumentError):
                swiftoss.set_float_gemv(bad)
    finally:
        swiftoss.set_float_gemv(0)
    assert swiftoss.float_gemv()[0] == 0


def test_elementwise(backend: swiftoss.Backend) -> None:
    rng = np.random.default_rng(3)
    a = rng.uniform(-4, 4, (3, 37)).astype(np.float32)
    b = rng.uniform(-4, 4, (3, 37)).astype(np.float32)
    w = rng.uniform(0.5, 1.5, 37).astype(np.float32)
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    assert nmse(backend.add(a, b, out=poisoned(3, 37)), a64 + b64) < ADD
    assert nmse(backend.silu_mul(a, b, out=poisoned(3, 37)), a64 / (1 + np.exp(-a64)) * b64) < ACTIVATION
    ref = a64 / np.sqrt(np.mean(a64 ** 2, axis=1, keepdims=True) + 1e-5) * w
    assert nmse(backend.rms_norm(a, w, eps=1e-5, out=poisoned(3, 37)), ref) < RMSNORM
    e = np.exp(a64 - a64.max(axis=1, keepdims=True))
    assert nmse(backend.softmax(a), e / e.sum(axis=1, keepdims=True)) < SOFTMAX
    gu = rng.uniform(-10, 10, (3, 36)).astype(np.float32).astype(np.float64)
    g, u = np.minimum(gu[:, 0::2], 7), np.clip(gu[:, 1::2], -7, 7)
    got = backend.swiglu(gu.astype(np.float32), limit=7, alpha=1.702)
    assert got.shape == (3, 18)
    assert nmse(got, g / (1 + np.exp(-1.702 * g)) * (u + 1)) < ACTIVATION


def test_select(backend: swiftoss.Backend) -> None:
    x = np.random.default_rng(5).uniform(-1, 1, 1001).astype(np.float32)
    x[417] = 3
    assert backend.argmax(x) == 417
    ids, values = backend.top_k(x, 7)
    order = np.argsort(-x.astype(np.float64), kind="stable")[:7]
    assert ids.tolist() == order.tolist()
    assert np.array_equal(values, x[order])


@pytest.mark.parametrize("dtype", ["q8_0"] + GGUF_BLOCK_TYPES)
def test_embedding(backend: swiftoss.Backend, dtype: str) -> None:
    rng = np.random.default_rng(11)
    w, values = random_weight(rng, dtype, 50, 512 if dtype in K_BYTES else 64)
    tokens = [3, 49, 0, 3]
    assert nmse(backend.embedding(w, tokens), values[tokens]) < EMBEDDING


def rope_reference(x: np.ndarray, heads: int, first: int, inv_freq: np.ndarray, factor: float,
                   style: str) -> np.ndarray:
    t, d = x.shape[0], x.shape[1] // heads
    out = x.astype(np.float64).reshape(t, heads, d).copy()
    angle = (first + np.arange(t))[:, None] * inv_freq[None, :].astype(np.float64)
    c, s = (factor * np.cos(angle))[:, None, :], (factor * np.sin(angle))[:, None, :]
    x1, x2 = (out[..., : d // 2], out[..., d // 2:]) if style == "neox" else (out[..., 0::2], out[..., 1::2])
    r1, r2 = x1 * c - x2 * s, x2 * c + x1 * s
    if style == "neox":
        out = np.concatenate([r1, r2], axis=-1)
    else:
        out[..., 0::2], out[..., 1::2] = r1, r2
    return out.reshape(t, heads * d)


@pytest.mark.parametrize("style", ["neox", "interleaved"])
def test_rope_plain(backend: swiftoss.Backend, style: str) -> None:
    x = np.random.default_rng(2).uniform(-1, 1, (3, 32)).astype(np.float32)
    ref = rope_reference(x, 2, 5, 10000.0 ** (-np.arange(0, 16, 2) / 16), 1.0, style)
    with swiftoss.RopeTable(16, 10000.0, 64) as table:
        assert backend.rope(x, 2, 5, table, style=style) is x
    assert nmse(x, ref) < ROPE


def test_rope_yarn_matches_the_tiny_configuration(backend: swiftoss.Backend) -> None:
    # gpt-oss.md §6: YaRN with d = 16, theta 150000, factor 32 over 4096 → these inverse frequencies, and the
    # concentration 0.1·ln(32) + 1 on cos and sin.
    inv = np.array([1, 0.2254180, 0.05081327, 6.794959e-3, 4.564839e-4, 1.818834e-5, 4.099978e-6, 9.242090e-7])
    x = np.random.default_rng(4).uniform(-1, 1, (4, 16)).astype(np.float32)
    ref = rope_reference(x, 1, 100, inv, 0.1 * np.log(32) + 1, "neox")
    with swiftoss.RopeTable(16, 150000.0, 256, yarn_factor=32) as table:
        backend.rope(x, 1, 100, table)
    assert nmse(x, ref) < 1e-9  # the documented frequencies have 7 digits


def test_attention(backend: swiftoss.Backend) -> None:
    rng = np.random.default_rng(9)
    t, h, kv, d, slots, window, p0 = 3, 4, 2, 16, 8, 5, 9
    q = rng.uniform(-1, 1, (t, h * d)).astype(np.float32)
    k = rng.uniform(-1, 1, (slots, kv * d)).astype(np.float32)
    v = rng.uniform(-1, 1, (slots, kv * d)).astype(np.float32)
    sinks = rng.uniform(-2, 2, h).astype(np.float32)
    ref = np.zeros((t, h, d))
    for r in range(t):
        p = p0 + r
        keys = list(range(max(0, p - window + 1), p + 1))
        for head in range(h):
            g = head // (h // kv)
            qv = q[r, head * d:(head + 1) * d].astype(np.float64)
            s = np.array([qv @ k[j % slots, g * d:(g + 1) * d] for j in keys]) * 0.25
            m = max(s.max(), sinks[head])
            e = np.exp(s - m)
            z = e.sum() + np.exp(sinks[head] - m)
            ref[r, head] = sum(e[i] / z * v[j % slots, g * d:(g + 1) * d] for i, j in enumerate(keys))
    out = backend.attention(q, k, v, heads=h, kv_heads=kv, first_position=p0, scale=0.25, window=window,
                            sinks=sinks, out=poisoned(t, h * d))
    assert nmse(out, ref.reshape(t, h * d)) < ATTENTION


def test_moe(backend: swiftoss.Backend) -> None:
    rng = np.random.default_rng(13)
    t, hid, e, inter, k = 3, 64, 4, 32, 2
    router = (rng.uniform(-1, 1, (e, hid)) * 0.01).astype(np.float32)
    router_bias = np.array([0, 3, 1.5, 4.5], dtype=np.float32)  # well separated: routing is unambiguous
    gu_w, gu = random_weight(rng, "mxfp4", e * 2 * inter, hid)
    dn_w, dn = random_weight(rng, "mxfp4", e * hid, inter)
    gate_up = swiftoss.Weight(gu_w.array.reshape(e, 2 * inter, hid // 32, 16), "mxfp4",
                              scales=gu_w.scales.reshape(e, 2 * inter, hid // 32))
    down = swiftoss.Weight(dn_w.array.reshape(e, hid, inter // 32, 16), "mxfp4",
                           scales=dn_w.scales.reshape(e, hid, inter // 32))
    gu, dn = gu.reshape(e, 2 * inter, hid), dn.reshape(e, hid, inter)
    gub = rng.uniform(-1, 1, (e, 2 * inter)).astype(np.float32)
    dnb = rng.uniform(-1, 1, (e, hid)).astype(np.float32)
    x = rng.uniform(-1, 1, (t, hid)).astype(np.float32)
    ref = np.zeros((t, hid))
    for r in range(t):
        xv = x[r].astype(np.float64)
        logits = router.astype(np.float64) @ xv + router_bias
        sel = np.argsort(-logits, kind="stable")[:k]
        w = np.exp(logits[sel] - logits[sel[0]])
        w /= w.sum()
        for weight, ex in zip(w, sel):
            y = gu[ex] @ xv + gub[ex]
            g, u = np.minimum(y[0::2], 7), np.clip(y[1::2], -7, 7)
            ref[r] += weight * (dn[ex] @ (g / (1 + np.exp(-1.702 * g)) * (u + 1)) + dnb[ex])
    out = backend.moe(x, swiftoss.Weight(router), gate_up, down, top_k=k, router_bias=router_bias,
                      gate_up_bias=gub, down_bias=dnb, out=poisoned(t, hid))
    assert nmse(out, ref) < MOE_FIXED


def test_zero_copy_views_share_memory(backend: swiftoss.Backend) -> None:
    a = np.ones((4, 8), dtype=np.float32)
    b = np.full((4, 8), 2, dtype=np.float32)
    backend.add(a, b, out=a)  # in place: the array itself changes
    assert np.all(a == 3)
