"""A long loop of create / use / release does not grow memory or leave handles behind."""
import gc

import numpy as np

import swiftoss


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


def cycle(tiny_dir: str, llama_gguf: str) -> None:
    with swiftoss.Backend("swift", threads=1) as b:
        x = np.ones((2, 32), dtype=np.float32)
        b.add(x, x)
    with swiftoss.RopeTable(16, 10000.0, 64):
        pass
    model = swiftoss.Model(tiny_dir, threads=1, context_length=16)
    for _ in range(3):
        with swiftoss.Context(model) as ctx:
            ctx.append([1, 2, 3])
            ctx.sample(temperature=0.7, seed=1)
    model.tokenizer.encode("hello")
    model.close()
    with swiftoss.Model(llama_gguf, threads=1, context_length=16) as llama:
        with swiftoss.Context(llama) as ctx:
            ctx.append("hello", add_special=True)
            ctx.sample(temperature=0)


def test_create_release_loop_does_not_grow(tiny_dir: str, llama_gguf: str) -> None:
    gc.collect()  # objects of earlier tests
    before_handles = swiftoss.live_handles()
    for _ in range(20):  # warm-up: allocator pools, thread pools, lazily built tables
        cycle(tiny_dir, llama_gguf)
    gc.collect()
    start = rss_bytes()
    for _ in range(200):
        cycle(tiny_dir, llama_gguf)
    gc.collect()
    grown = rss_bytes() - start
    assert swiftoss.live_handles() == before_handles
    # 200 cycles each allocate ~5 MB (model tables, KV caches, sampler scratch): a leak of any of them would show
    # as hundreds of MB; allow 16 MB of allocator noise.
    assert grown < 16 * 2 ** 20, f"RSS grew by {grown / 2 ** 20:.1f} MiB over 200 cycles"
