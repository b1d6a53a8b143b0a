"""GGUF models through Model / Context / Tokenizer: the tiny gpt-oss as GGUF reproduces the §6 goldens; Llama-family
presets give the tokens `oss generate` gives at temperature 0, from independent contexts of one model."""
import json
from typing import List

import numpy as np
import pytest

import swiftoss

from conftest import GOLDEN_ARGMAX, GOLDEN_MAX, TINY_TOKENS, on_threads, oss

PROMPT = "Once upon a time, in a land far away"
MAX_TOKENS = 24


@pytest.mark.parametrize("backend", ["swift", "blas"])
def test_gguf_tiny_goldens(tiny_gguf: str, backend: str) -> None:
    model = swiftoss.Model(tiny_gguf, backend=backend, threads=2)
    assert (model.architecture, model.format, model.vocabulary_size, model.num_blocks) == ("gpt-oss", "gguf", 1024, 4)
    assert (model.num_experts, model.num_active_experts, model.weight_dtypes) == (8, 4, "bf16+mxfp4")
    ctx = swiftoss.Context(model, context_length=32)
    for t, token in enumerate(TINY_TOKENS):
        ctx.append(token)
        logits = ctx.logits
        assert int(np.argmax(logits)) == GOLDEN_ARGMAX[t]
        assert abs(float(logits.max()) - GOLDEN_MAX[t]) < 2e-3
        assert ctx.sample(temperature=0.0) == GOLDEN_ARGMAX[t]
    # a second context of the same model, all 12 tokens in one prefill
    other = swiftoss.Context(model)
    other.append(TINY_TOKENS)
    assert other.sample(temperature=0.0) == GOLDEN_ARGMAX[11]
    assert ctx.sample(temperature=0.0) == GOLDEN_ARGMAX[11]  # untouched by the other context


def cli_tokens(path: str) -> List[int]:
    """The ids `oss generate` gives after PROMPT (BOS as the vocabulary asks) at temperature 0, stop token included."""
    return json.loads(oss("generate", "--model", path, "--backend", "blas", "--threads", "2", "--prompt", PROMPT,
                          "--temperature", "0", "--max-tokens", str(MAX_TOKENS), "--token-ids"))


def start(model: swiftoss.Model, context_length: int = 0) -> swiftoss.Context:
    ctx = swiftoss.Context(model, context_length=context_length)
    ctx.append(PROMPT, add_special=True)
    return ctx


def greedy_step(ctx: swiftoss.Context, out: List[int], stop: set) -> bool:
    """Samples greedily into ``out`` and appends the token; False once a stop token or MAX_TOKENS ends it."""
    token = ctx.sample(temperature=0.0)
    out.append(token)
    if token in stop or len(out) == MAX_TOKENS:
        return False
    ctx.append(token)
    return True


def test_dense_model_info_and_tokenizer(dense_gguf: str) -> None:
    model = swiftoss.Model(dense_gguf, threads=2)
    llama = "llama-tiny" in dense_gguf
    assert model.format == "gguf" and model.num_experts == 0 and model.num_active_experts == 0
    assert (model.architecture, model.vocabulary_size) == (("llama", 512) if llama else ("qwen2", 1024))
    assert model.weight_dtypes == ("q8_0" if llama else "f16")
    assert model.chat_format == ("llama2-sys-bos" if llama else "chatml")
    tok = model.tokenizer
    ids = tok.encode(PROMPT, add_special=True)
    assert ids == json.loads(oss("tokenize", "--tokenizer", dense_gguf, "--add-special", "--text", PROMPT))
    assert (tok.adds_bos, tok.adds_eos) == (llama, False)
    if llama:
        assert (tok.bos, tok.eos) == (1, 2)  # <s>, </s>
    assert tok.eos is not None and tok.eos in tok.stop_tokens
    text = tok.decode(ids[1:] if tok.adds_bos else ids)
    assert text == (b" " if llama else b"") + PROMPT.encode()  # SentencePiece adds a space prefix
    assert tok.num_tokens == model.vocabulary_size
    assert tok.num_text_tokens + tok.num_special_tokens <= tok.num_tokens
    if not llama:
        assert tok.encode("<|im_start|>user", allow_special=True)[0] == tok.encode_special_token("<|im_start|>")


def test_dense_contexts_match_cli(dense_gguf: str) -> None:
    """Two contexts of one model, stepped in turn, each give the ids of `oss generate` (the CLI runs the same
    prefill and decode steps on the same backend and thread count)."""
    expected = cli_tokens(dense_gguf)
    assert len(expected) >= 1
    model = swiftoss.Model(dense_gguf, backend="blas", threads=2)
    stop = set(model.tokenizer.stop_tokens)
    a, b = start(model), start(model, context_length=64)
    got_a: List[int] = []
    got_b: List[int] = []
    going_a = going_b = True
    while going_a or going_b:
        going_a = going_a and greedy_step(a, got_a, stop)
        going_b = going_b and greedy_step(b, got_b, stop)
    assert got_a == expected
    assert got_b == expected


def test_dense_contexts_on_threads(llama_gguf: str) -> None:
    """Three contexts of one Llama model driven from three threads at once give the CLI's ids."""
    expected = cli_tokens(llama_gguf)
    model = swiftoss.Model(llama_gguf, threads=2)
    stop = set(model.tokenizer.stop_tokens)

    def run() -> List[int]:
        ctx, out = start(model, context_length=128), []
        while greedy_step(ctx, out, stop):
            pass
        return out

    assert on_threads(3, run) == [expected] * 3
