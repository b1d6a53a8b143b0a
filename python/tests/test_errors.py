"""Bad input gives Python exceptions carrying the library's message, never a crash."""
import struct

import numpy as np
import pytest

import swiftoss


@pytest.fixture(scope="module")
def backend() -> swiftoss.Backend:
    return swiftoss.Backend("blas", threads=1)


def test_op_errors(backend: swiftoss.Backend) -> None:
    a = np.ones(8, dtype=np.float32)
    with pytest.raises(swiftoss.ShapeError, match="add"):
        backend.add(a, np.ones(7, dtype=np.float32))
    with pytest.raises(TypeError):
        backend.add(a.astype(np.float64), a)
    with pytest.raises(ValueError):
        backend.add(np.ones((4, 4), dtype=np.float32)[:, ::2], np.ones(8, dtype=np.float32))
    w = swiftoss.Weight(np.ones((3, 8), dtype=np.float32))
    with pytest.raises(swiftoss.ShapeError, match="linear"):
        backend.linear(np.ones((2, 9), dtype=np.float32), w)
    with pytest.raises(swiftoss.TokenOutOfRangeError, match="outside vocab"):
        backend.embedding(w, [3])
    with pytest.raises(swiftoss.InvalidArgumentError):
        backend.top_k(a, 9)
    with pytest.raises(swiftoss.InvalidArgumentError):
        swiftoss.Backend("gpu")
    with pytest.raises(swiftoss.InvalidArgumentError, match="head_dim"):
        swiftoss.RopeTable(15, 10000.0, 8)


def test_weight_errors() -> None:
    with pytest.raises(swiftoss.DTypeError):
        swiftoss.Weight(np.zeros((2, 2, 16), dtype=np.uint8), "mxfp4")
    with pytest.raises(swiftoss.DTypeError):
        swiftoss.Weight(np.zeros((2, 32), dtype=np.uint16), "bf16", scales=np.zeros(2, dtype=np.uint8))
    with pytest.raises(swiftoss.DTypeError):
        swiftoss.Weight(np.zeros((2, 32), dtype=np.uint16), "q3_k")
    with pytest.raises(swiftoss.ShapeError, match="144-byte blocks"):
        swiftoss.Weight(np.zeros((2, 100), dtype=np.uint8), "q4_k")
    with pytest.raises(swiftoss.ShapeError, match="needs"):
        swiftoss.Weight(np.zeros((2, 68), dtype=np.uint8), "q8_0", shape=(2, 96))


def test_model_errors(tiny_dir: str, tmp_path) -> None:
    with pytest.raises(swiftoss.ModelFileError):
        swiftoss.Model(str(tmp_path / "missing"))
    (tmp_path / "config.json").write_text("{ not json")
    with pytest.raises(swiftoss.ModelFileError):
        swiftoss.Model(str(tmp_path))
    model = swiftoss.Model(tiny_dir)
    ctx = swiftoss.Context(model, context_length=4)
    with pytest.raises(swiftoss.TokenOutOfRangeError, match="outside the vocabulary"):
        ctx.append(1024)
    with pytest.raises(swiftoss.TokenOutOfRangeError):
        ctx.append("<|start|>", allow_special=True)  # id 200006 is past the tiny model's 1024 rows
    with pytest.raises(swiftoss.ContextOverflowError):
        ctx.append([1, 2, 3, 4, 5])
    with pytest.raises(swiftoss.InvalidStateError):
        ctx.sample()
    ctx.append([1, 2])
    with pytest.raises(swiftoss.InvalidArgumentError, match="top-p"):
        ctx.sample(top_p=0)
    with pytest.raises(swiftoss.InvalidArgumentError):
        ctx.truncate(3)
    with pytest.raises(swiftoss.InvalidArgumentError):
        swiftoss.Context(model, context_length=10 ** 9)
    ctx.close()
    with pytest.raises(swiftoss.InvalidHandleError):
        ctx.process()


def gguf_header(architecture: str) -> bytes:
    """A GGUF v3 file with no tensors and one metadata key, general.architecture."""
    def string(s: str) -> bytes:
        return struct.pack("<Q", len(s.encode())) + s.encode()
    body = b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + string("general.architecture") + struct.pack("<I", 8)
    body += string(architecture)
    return body + b"\0" * (-len(body) % 32)


def test_bad_gguf_files(llama_gguf: str, tmp_path) -> None:
    with pytest.raises(swiftoss.ModelFileError, match="missing.gguf"):
        swiftoss.Model(str(tmp_path / "missing.gguf"))
    truncated = tmp_path / "truncated.gguf"
    with open(llama_gguf, "rb") as f:
        truncated.write_bytes(f.read(300))
    with pytest.raises(swiftoss.ModelFileError, match="truncated.gguf"):
        swiftoss.Model(str(truncated))
    text = tmp_path / "text.gguf"
    text.write_text("not a model at all")
    with pytest.raises(swiftoss.ModelFileError, match="GGUF"):
        swiftoss.Model(str(text))
    bert = tmp_path / "bert.gguf"
    bert.write_bytes(gguf_header("bert"))
    with pytest.raises(swiftoss.ModelFileError, match="bert"):
        swiftoss.Model(str(bert))
    model = swiftoss.Model(llama_gguf)
    ctx = swiftoss.Context(model, context_length=8)
    with pytest.raises(swiftoss.TokenOutOfRangeError, match="outside the vocabulary"):
        ctx.append(512)
    with pytest.raises(swiftoss.InvalidArgumentError):
        swiftoss.Context(model, context_length=4096)  # the model's own context is 2048
    with pytest.raises(swiftoss.InvalidArgumentError, match="special"):
        model.tokenizer.encode_special_token("<|start|>")
