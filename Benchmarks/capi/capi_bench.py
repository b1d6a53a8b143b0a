"""Measurements of issue 12, side by side in one run:
  1. per-call cost of a small op from Python (Backend.add on 16 floats, preallocated out) per backend and threads;
  2. decode tokens/s on the `mini` model driven from Python (Context: sample → append → decode the token's bytes)
     against the `oss generate` CLI on the same model, threads and prompt, alternating runs.
Usage: python capi_bench.py --model PATH --cli PATH [--threads 1 2] [--tokens 64] [--runs 3]
(PATH: a checkpoint directory or a GGUF file; the prompt gets BOS where the vocabulary asks, as in the CLI)
"""
import argparse
import re
import statistics
import subprocess
import time

import numpy as np

import swiftoss

PROMPT = "The quick brown fox jumps over the lazy dog. " * 4


def op_overhead(kind: str, threads: int, calls: int = 20000, rounds: int = 15) -> float:
    """Median over rounds of the mean µs per Backend.add call on 16 floats."""
    with swiftoss.Backend(kind, threads=threads) as b:
        a = np.arange(16, dtype=np.float32)
        c = np.ones(16, dtype=np.float32)
        out = np.empty(16, dtype=np.float32)
        per_round = []
        for _ in range(rounds):
            t0 = time.perf_counter()
            for _ in range(calls):
                b.add(a, c, out=out)
            per_round.append((time.perf_counter() - t0) / calls * 1e6)
        return statistics.median(per_round)


def python_decode(model: swiftoss.Model, tokens: int) -> float:
    """Tokens/s of `tokens` decode steps (each: process the previous token, sample, append, decode its bytes)."""
    ctx = swiftoss.Context(model)
    ctx.append(PROMPT, add_special=True)
    token = ctx.sample(temperature=0.0)  # prefill + first token (not timed, as the CLI's decode figure)
    tok = model.tokenizer
    t0 = time.perf_counter()
    for _ in range(tokens):
        ctx.append(token)
        tok.decode(token)
        token = ctx.sample(temperature=0.0)
    seconds = time.perf_counter() - t0
    ctx.close()
    return tokens / seconds


TIMING = re.compile(r"generated (\d+) tokens, decode (\d+) steps in ([\d.]+) ms .*?sampling ([\d.]+) ms")


def cli_decode(cli: str, model_dir: str, threads: int, tokens: int) -> float:
    """Tokens/s of the CLI's decode steps, sampling included (its share of the steps), from its timing line."""
    run = subprocess.run([cli, "generate", "--model", model_dir, "--prompt", PROMPT, "--max-tokens", str(tokens + 1),
                          "--temperature", "0", "--threads", str(threads), "--backend", "blas"],
                         capture_output=True, text=True, check=True)
    m = TIMING.search(run.stderr)
    if not m:
        raise RuntimeError(f"no timing line in: {run.stderr[-400:]}")
    generated, steps, decode_ms, sampling_ms = int(m[1]), int(m[2]), float(m[3]), float(m[4])
    return steps / ((decode_ms + sampling_ms * steps / generated) / 1000)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True, help="the mini model directory (oss synth --preset mini --out DIR) or a GGUF file")
    p.add_argument("--cli", required=True, help="path of the oss executable")
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    p.add_argument("--tokens", type=int, default=64)
    p.add_argument("--runs", type=int, default=3)
    a = p.parse_args()
    print(f"library: {swiftoss.library_path()}")
    print("\nper-call cost of Backend.add(16 floats) from Python, µs (median of 15 rounds × 20000 calls)")
    for kind in ("swift", "blas"):
        for t in a.threads:
            print(f"  {kind:5} threads {t}: {op_overhead(kind, t):6.2f} µs")
    print(f"\ndecode tok/s on {a.model}, blas, {a.tokens} tokens, greedy; runs alternate Python / CLI")
    for t in a.threads:
        model = swiftoss.Model(a.model, backend="blas", threads=t)
        py, cli = [], []
        for _ in range(a.runs):
            py.append(python_decode(model, a.tokens))
            cli.append(cli_decode(a.cli, a.model, t, a.tokens))
        model.close()
        mp, mc = statistics.median(py), statistics.median(cli)
        print(f"  threads {t}: Python {mp:7.1f} tok/s  CLI {mc:7.1f} tok/s  Python/CLI {mp / mc:6.3f}   "
              f"(runs: {', '.join(f'{x:.1f}' for x in py)} / {', '.join(f'{x:.1f}' for x in cli)})")


if __name__ == "__main__":
    main()
