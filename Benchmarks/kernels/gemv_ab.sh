#!/bin/sh
# Builds CKernels of two git revisions (default: main and the working tree) as shared libraries and times their
# ck_linear side by side in one process (gemv_ab.c: F32/F16/BF16 GEMV of T = 1…16 activation rows against the GEMM).
# Usage: Benchmarks/kernels/gemv_ab.sh [REV_A|-] [REV_B|-] [reps] [l3_mb]   ("-": the working tree)
set -eu
A=${1:-main} B=${2:--} REPS=${3:-7} L3=${4:-32}
ROOT=$(git rev-parse --show-toplevel)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
# the flags of CKernels in Package.swift; libomp is Debian's libomp5, as the package links it
CFLAGS="-O3 -mavx2 -mfma -mf16c -fopenmp -fPIC -idirafter /usr/lib/llvm-16/lib/clang/16/include"
build() { # rev, name
    mkdir -p "$WORK/$2"
    if [ "$1" = - ]; then cp -r "$ROOT/CModules/CKernels" "$WORK/$2/"; else
        git -C "$ROOT" archive "$1" CModules/CKernels | tar -x -C "$WORK/$2" --strip-components=1; fi
    (cd "$WORK/$2" && clang $CFLAGS -ICKernels/include -c CKernels/*.c &&
        clang -shared ./*.o -o "$WORK/$2.so" -lomp5 -lopenblas -lm)
}
build "$A" a &
build "$B" b &
wait
[ -f "$WORK/a.so" ] && [ -f "$WORK/b.so" ] || { echo "gemv_ab: a build failed" >&2; exit 1; }
clang -O2 "$ROOT/Benchmarks/kernels/gemv_ab.c" -o "$WORK/gemv_ab" -ldl
echo "A = $A, B = $B"
"$WORK/gemv_ab" "$WORK/a.so" "$WORK/b.so" "$REPS" "$L3"
