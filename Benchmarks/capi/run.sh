#!/usr/bin/env bash
# Issue 12's measurements: per-call overhead of a small op from C and from Python, and decode tok/s from Python
# vs the CLI on `mini`, at 1 and 2 threads. Run from the repository root: Benchmarks/capi/run.sh [MODEL]
# (MODEL: the mini checkpoint directory, or any model the CLI takes, e.g. a GGUF file of llama-1b)
# (without MODEL the mini preset, ~430 MB, is written to a temporary directory and removed afterwards).
set -euo pipefail
cd "$(dirname "$0")/../.."
swift build -c release --product swiftoss
swift build -c release --product oss
make venv >/dev/null
SWIFTOSS_LIBRARY="$PWD/.build/release/libswiftoss.so" .build/venv/bin/pip install -q --no-build-isolation ./python
clang -std=c99 -O2 -ICModules/SwiftOSSABI/include Benchmarks/capi/overhead.c -L.build/release -lswiftoss \
  -Wl,-rpath,"$PWD/.build/release" -o .build/capi-overhead
echo "== C: per-call cost (ns)"
.build/capi-overhead 1 2
mini="${1:-}"
if [ -z "$mini" ]; then
  mini=$(mktemp -d); trap 'rm -rf "$mini"' EXIT
  .build/release/oss synth --preset mini --out "$mini" >/dev/null
fi
echo "== Python"
SWIFTOSS_LIBRARY="$PWD/.build/release/libswiftoss.so" .build/venv/bin/python Benchmarks/capi/capi_bench.py \
  --model "$mini" --cli .build/release/oss --threads 1 2
