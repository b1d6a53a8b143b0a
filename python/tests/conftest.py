"""Fixtures: models written by the `oss` CLI into temporary directories: the §6 tiny gpt-oss (a checkpoint directory
and a GGUF file) and Llama-family GGUF presets; `oss generate` runs for reference tokens."""
import os
import subprocess
import threading
from pathlib import Path
from typing import Callable, List

import pytest

REPO = Path(__file__).resolve().parents[2]


CLI = os.environ.get("SWIFTOSS_CLI", str(REPO / ".build" / "release" / "oss"))


def oss(*args: str) -> str:
    """Runs the `oss` CLI and returns its stdout."""
    return subprocess.run([CLI, *args], check=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                          text=True).stdout


def on_threads(count: int, run: Callable[[], List[int]]) -> List[List[int]]:
    """The results of ``run`` called on ``count`` threads at once (ctypes releases the GIL, so the calls overlap)."""
    results: List[List[int]] = [[] for _ in range(count)]

    def body(i: int) -> None:
        results[i] = run()

    threads = [threading.Thread(target=body, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
    out = tmp_path_factory.mktemp("tiny")
    oss("synth", "--preset", "tiny", "--out", str(out))
    return str(out)


@pytest.fixture(scope="session")
def tiny_gguf(tmp_path_factory: pytest.TempPathFactory) -> str:
    out = tmp_path_factory.mktemp("tiny-gguf") / "tiny.gguf"
    oss("synth", "--preset", "tiny", "--format", "gguf", "--out", str(out))
    return str(out)


def synth_dense(tmp_path_factory: pytest.TempPathFactory, preset: str, dtype: str) -> str:
    out = tmp_path_factory.mktemp(preset) / f"{preset}-{dtype}.gguf"
    oss("synth", "--preset", preset, "--format", "gguf", "--dtype", dtype, "--out", str(out))
    return str(out)


@pytest.fixture(scope="session")
def llama_gguf(tmp_path_factory: pytest.TempPathFactory) -> str:
    """llama-tiny in Q8_0: SentencePiece vocabulary of 512 with BOS added."""
    return synth_dense(tmp_path_factory, "llama-tiny", "q8_0")


@pytest.fixture(scope="session")
def qwen_gguf(tmp_path_factory: pytest.TempPathFactory) -> str:
    """qwen-tiny in F16: qwen2 byte-level BPE vocabulary of 1024, ChatML specials, no BOS."""
    return synth_dense(tmp_path_factory, "qwen-tiny", "f16")


@pytest.fixture(scope="session", params=["llama_gguf", "qwen_gguf"])
def dense_gguf(request: pytest.FixtureRequest) -> str:
    """Each Llama-family tokenizer kind: SentencePiece (llama-tiny) and byte-level BPE (qwen-tiny)."""
    return str(request.getfixturevalue(request.param))


# gpt-oss.md §6: input tokens (37t + 11) mod 1024 and the golden outputs per position.
TINY_TOKENS = [(37 * t + 11) % 1024 for t in range(12)]
GOLDEN_ARGMAX = [793, 836, 177, 330, 409, 35, 780, 197, 562, 139, 367, 899]
GOLDEN_MAX = [7.8774, 6.6111, 7.2392, 6.3994, 7.4764, 7.3034, 9.1297, 7.9859, 8.6978, 9.7270, 7.4991, 7.4214]
