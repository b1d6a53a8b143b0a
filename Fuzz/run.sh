#!/usr/bin/env bash
# `make fuzz`: runs the fuzz targets one after another (libFuzzer, built by `make fuzz-build` into .build-fuzz) and
# prints, per target, the executions, executions per second, final coverage (libFuzzer's `cov`: edges of the
# instrumented code reached; `ft`: features), the corpus libFuzzer ends with (`corp`: inputs it keeps after its
# reductions; the corpus directory holds more: it accumulates the inputs of every run) and the crashes it saved.
# exec/s is libFuzzer's average over the whole run: a short run from the few committed seeds spends most of its time
# where nearly every input adds coverage and costs a LeakSanitizer check, so its exec/s is far below a long run's.
#
# Environment (the Makefile passes its variables):
#   FUZZ_SECONDS   time per target (0 = no time limit; default 60)
#   FUZZ_RUNS      executions per target (0 = no limit; default 0). The documented run: FUZZ_SECONDS=0 FUZZ_RUNS=1000000
#   FUZZ_TARGETS   space-separated names (default: every target, `abi` last)
#   FUZZ_BUILD     the fuzz build directory (default .build-fuzz)
#   FUZZ_MODEL     model directory for the abi target's model-level calls (default: $FUZZ_BUILD/tiny)
#   FUZZ_FLAGS     extra libFuzzer flags (e.g. -jobs=2 -workers=2, -seed=1)
#   FUZZ_TIMEOUT   seconds one input may take before it counts as a hang (libFuzzer -timeout, wall clock; default 25).
#                  A paused fuzzer (kill -STOP) resumed after longer than this reports a false timeout.
#   FUZZ_REPORT    file the table is also written to, with the date, commit and settings (default
#                  $FUZZ_BUILD/fuzz-report.txt)
# Each target's working corpus is $FUZZ_BUILD/corpus/<target> (new inputs go there; the committed seeds in
# Fuzz/corpus/<target> are read, never written); crashes go to $FUZZ_BUILD/artifacts/<target>/; the full libFuzzer
# log to $FUZZ_BUILD/logs/<target>.log. Exit status 1 when any target crashed (or failed to start).
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${FUZZ_BUILD:-.build-fuzz}
SECONDS_PER=${FUZZ_SECONDS:-60}
RUNS=${FUZZ_RUNS:-0}
MODEL=${FUZZ_MODEL:-$BUILD/tiny}
TIMEOUT=${FUZZ_TIMEOUT:-25}
REPORT=${FUZZ_REPORT:-$BUILD/fuzz-report.txt}
FUZZER=$BUILD/release/oss-fuzz
TARGETS=${FUZZ_TARGETS:-"$("$FUZZER" --list | cut -f1 | tr '\n' ' ') abi"}
mkdir -p "$BUILD/logs"

status=0
mkdir -p "$(dirname "$REPORT")"
{ echo "# make fuzz $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null)$(git diff \
    --quiet HEAD 2>/dev/null || echo ' + local changes'), $(nproc) CPUs; seconds/target=$SECONDS_PER runs/target=$RUNS" \
    "timeout=$TIMEOUT ${FUZZ_FLAGS:-}"; } > "$REPORT"
row() { printf '%-18s %12s %10s %8s %9s %9s %8s  %s%s\n' "$@" | tee -a "$REPORT"; }
row target executions exec/s seconds cov ft corpus crashes ""
for t in $TARGETS; do
    corpus=$BUILD/corpus/$t artifacts=$BUILD/artifacts/$t log=$BUILD/logs/$t.log
    mkdir -p "$corpus" "$artifacts"
    # Crashes: crash-*, leak-*, timeout-*, oom-* (libFuzzer also saves slow-unit-* files: slow, not failed).
    count() { find "$artifacts" -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | wc -l; }
    before=$(count)
    if [ "$t" = abi ]; then
        cmd=("$BUILD/abi-fuzz" -max_len=2048)
        export SWIFTOSS_FUZZ_MODEL=$MODEL
    else
        max_len=$("$FUZZER" --list | awk -F'\t' -v t="$t" '$1 == t { print $2 }')
        [ -n "$max_len" ] || { echo "unknown target $t" >&2; status=1; continue; }
        cmd=("$FUZZER" "--target=$t" "-max_len=$max_len")
    fi
    limits=(-max_total_time="$SECONDS_PER")
    [ "$RUNS" != 0 ] && limits+=(-runs="$RUNS")
    # -timeout: an input that takes FUZZ_TIMEOUT s is a hang; -rss_limit_mb/-malloc_limit_mb: unbounded memory is a crash.
    # ASan: leaks are checked (detect_leaks=1); the thread pools of OpenBLAS/libomp are not reached by these targets.
    # SWIFT_BACKTRACE: the Swift runtime's backtracer would run under ASan after a crash and muddle the report.
    SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=0} \
        LSAN_OPTIONS=suppressions=$PWD/Tests/Sanitizers/lsan.supp:print_suppressions=0 \
        "${cmd[@]}" "${limits[@]}" -timeout="$TIMEOUT" -rss_limit_mb=4096 -malloc_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$artifacts/" ${FUZZ_FLAGS:-} "$corpus" $([ -d "Fuzz/corpus/$t" ] && echo "Fuzz/corpus/$t") \
        > "$log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
    secs=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -n 1)
    last=$(grep -E '^#[0-9]+' "$log" | grep -E 'cov: ' | tail -n 1)
    cov=$(sed -n 's/.*cov: \([0-9]*\).*/\1/p' <<< "$last")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<< "$last")
    size=$(sed -n 's/.* corp: \([0-9]*\)\/.*/\1/p' <<< "$last")
    crashes=$(( $(count) - before ))
    note=""
    if [ "$rc" != 0 ] || [ "$crashes" != 0 ]; then
        status=1
        note="  (exit $rc; see $log$(ls -t "$artifacts" 2>/dev/null | grep -v '^slow-unit' | head -n 1 | sed "s|^|, $artifacts/|"))"
    fi
    row "$t" "${execs:--}" "${rate:--}" "${secs:--}" "${cov:--}" "${ft:--}" "${size:--}" "$crashes" "$note"
done
exit $status
