"""The tiny gpt-oss model (gpt-oss.md §6) through Model / Context / Tokenizer and gpt_oss.setup_model."""
import numpy as np
import pytest

import swiftoss
from swiftoss.gpt_oss import setup_model

from conftest import GOLDEN_ARGMAX, GOLDEN_MAX, TINY_TOKENS, on_threads


@pytest.mark.parametrize("backend", ["swift", "blas"])
def test_goldens_incremental(tiny_dir: str, backend: str) -> None:
    model = swiftoss.Model(tiny_dir, backend=backend, threads=2)
    assert (model.architecture, model.vocabulary_size, model.num_blocks) == ("gpt-oss", 1024, 4)
    ctx = swiftoss.Context(model, context_length=32)
    for t, token in enumerate(TINY_TOKENS):
        ctx.append(token)
        logits = ctx.logits
        assert logits.shape == (1024,)
        assert int(np.argmax(logits)) == GOLDEN_ARGMAX[t]
        assert abs(float(logits.max()) - GOLDEN_MAX[t]) < 2e-3
        assert ctx.sample(temperature=0.0) == GOLDEN_ARGMAX[t]
    assert ctx.tokens == TINY_TOKENS and ctx.num_tokens == 12 and ctx.max_tokens == 32


def test_f16_kv_cache(tiny_dir: str) -> None:
    """An F16 KV cache moves the logits by its rounding only (NMSE < 1e-5 from the f32 cache's; the max logits by up
    to ~1e-2): the golden argmaxes hold, and the logits are not the f32 ones."""
    f32 = swiftoss.Context(swiftoss.Model(tiny_dir, threads=2))
    f16 = swiftoss.Context(swiftoss.Model(tiny_dir, threads=2, kv_cache="f16"))
    for t, token in enumerate(TINY_TOKENS):
        f32.append(token)
        f16.append(token)
        a, b = f32.logits.astype(np.float64), f16.logits.astype(np.float64)
        assert int(np.argmax(b)) == GOLDEN_ARGMAX[t] and abs(b.max() - GOLDEN_MAX[t]) < 2e-2
        assert np.sum((a - b) ** 2) / np.sum(a * a) < 1e-5
    assert not np.array_equal(f32.logits, f16.logits)
    with pytest.raises(swiftoss.InvalidArgumentError, match="kv_cache"):
        swiftoss.Model(tiny_dir, kv_cache="q8_0")


def test_goldens_in_one_prefill(tiny_dir: str) -> None:
    model = swiftoss.Model(tiny_dir, threads=2)
    ctx = swiftoss.Context(model)
    assert ctx.append(TINY_TOKENS) == 12
    ctx.process()
    assert ctx.kv_tokens == 12 and ctx.tokens_run == 12
    assert ctx.sample(temperature=0) == GOLDEN_ARGMAX[11]
    ctx.truncate(7)
    assert ctx.sample(temperature=0) == GOLDEN_ARGMAX[6]
    assert ctx.tokens_run == 13  # position 6 ran again for its logits; nothing else


def test_tokenizer(tiny_dir: str) -> None:
    tok = swiftoss.Model(tiny_dir).tokenizer
    ids = tok.encode("Hello, world!")
    assert b"".join(tok.decode(i) for i in ids) == b"Hello, world!"
    assert tok.decode(ids) == b"Hello, world!"
    assert tok.encode_special_token("<|start|>") == 200006
    assert tok.encode("<|start|>hi", allow_special=True)[0] == 200006
    assert tok.num_tokens == 201088 and tok.num_text_tokens == 199998


def test_sampling_is_reproducible_by_seed(tiny_dir: str) -> None:
    model = swiftoss.Model(tiny_dir)
    ctx = swiftoss.Context(model)
    ctx.append(TINY_TOKENS[:5])
    a = [ctx.sample(temperature=1.5, seed=s, top_k=40, top_p=0.9) for s in range(20)]
    b = [ctx.sample(temperature=1.5, seed=s, top_k=40, top_p=0.9) for s in range(20)]
    assert a == b
    assert len(set(a)) > 1  # temperature 1.5 over 40 candidates: not always the same token


def fresh_next_token(model: swiftoss.Model, tokens: list) -> int:
    ctx = swiftoss.Context(model)
    ctx.append(tokens)
    return ctx.sample(temperature=0.0)


@pytest.mark.parametrize("which", ["tiny_dir", "tiny_gguf", "llama_gguf", "qwen_gguf"])
def test_setup_model_prefix_reuse_equals_fresh_runs(which: str, request: pytest.FixtureRequest) -> None:
    """On the tiny gpt-oss (directory and GGUF) and the Llama-family GGUF presets."""
    path = request.getfixturevalue(which)
    infer = setup_model(path, threads=2)
    reference = swiftoss.Model(path, threads=2)
    vocab = reference.vocabulary_size
    context = infer.context
    # a request that grows token by token (generation), then one that shares only a prefix, then a shorter one
    tokens = [t % vocab for t in TINY_TOKENS[:6]]
    run = 0
    for step in range(6):
        got = infer(tokens, temperature=0.0, new_request=step == 0)
        assert got == fresh_next_token(reference, tokens)
        run_now = context.tokens_run
        assert run_now - run == (6 if step == 0 else 1)  # only the new token ran
        run = run_now
        tokens.append(got)
    branch = tokens[:4] + [5, 6, 7]
    assert infer(branch, new_request=True) == fresh_next_token(reference, branch)
    assert context.tokens_run - run == 3  # the common prefix of 4 was kept
    shorter = tokens[:3]
    assert infer(shorter) == fresh_next_token(reference, shorter)


def test_contexts_on_threads_are_independent(tiny_dir: str) -> None:
    """Four contexts of one model driven from four threads at once give the golden tokens (the model is shared
    read-only; ctypes releases the GIL, so the calls really overlap)."""
    model = swiftoss.Model(tiny_dir, threads=1)

    def run() -> list:
        ctx = swiftoss.Context(model, context_length=16)
        got = []
        for token in TINY_TOKENS:
            ctx.append(token)
            got.append(ctx.sample(temperature=0))
        return got

    assert on_threads(4, run) == [GOLDEN_ARGMAX] * 4
