"""Inference backend for the gpt-oss reference server (``gpt_oss.responses_api``): one function."""
from __future__ import annotations

from typing import Callable, List

from .model import Context, Model


def setup_model(checkpoint: str, backend: str = "blas", threads: int = 0, context_length: int = 0,
                seed: int = 0) -> Callable[..., int]:
    """Loads ``checkpoint`` (a gpt-oss checkpoint directory or a GGUF file: gpt-oss, llama, qwen2, qwen3) and returns
    ``infer_next_token(tokens, temperature=0.0, new_request=False) -> int``.

    Each call gives the next token after ``tokens``. The KV cache is kept between calls: the context keeps the
    longest common prefix of what it processed before and ``tokens`` and runs only the rest (a growing
    conversation, or a new request sharing the system prompt, reruns only what changed). ``new_request`` needs no
    special handling for that reason; it is accepted for the server's signature."""
    model = Model(checkpoint, backend=backend, threads=threads)
    context = Context(model, context_length=context_length)

    def infer_next_token(tokens: List[int], temperature: float = 0.0, new_request: bool = False) -> int:
        context.reset()
        context.append(tokens)
        return context.sample(temperature=temperature, seed=seed)

    infer_next_token.context = context  # type: ignore[attr-defined]
    return infer_next_token
