"""Bad input gives Python exceptions carrying the library's message, never a crash."""
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
