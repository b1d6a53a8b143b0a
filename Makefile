# SwiftOSS — `make bench` (the main job), `make test`, `make setup` (Debian packages).
SHELL := /bin/bash
DEB_PACKAGES := libopenblas-dev libomp-16-dev python3-venv
SUDO := $(shell [ "$$(id -u)" = "0" ] || echo sudo)
SWIFT_FLAGS := -c release
BENCH_ARGS ?=

# Python virtual environment for the Python test suites (every suite's packages in Tests/requirements.txt).
PYTHON ?= python3
VENV := .build/venv
# The C ABI test is compiled with the Swift toolchain's clang against the header alone.
ABI_CC ?= clang
ABI_INCLUDE := CModules/SwiftOSSABI/include
LIB_DIR := $(CURDIR)/.build/release

.PHONY: setup build lint test test-asan test-ubsan test-tsan test-c test-python venv bench clean fuzz fuzz-build fuzz-run \
  fuzz-seeds fuzz-smoke

# Installs the Debian packages the C kernels link against, only when one is missing.
setup:
	@missing=""; for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "make setup: installing$$missing" >&2; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	else echo "make setup: $(DEB_PACKAGES) present" >&2; fi

build: setup
	swift build $(SWIFT_FLAGS)

# The house style (.swift-format: 4-space indent, 120 columns); `swift format -i -r Sources Tests Package.swift` fixes it.
lint:
	swift format lint --strict -r Sources Tests Package.swift

# Release build so SIMD kernels run at speed on big conformance shapes; -enable-testing for @testable imports.
# Suites: XCTest (FuzzRegressionTests replays Fuzz/corpus and Fuzz/regressions), the C ABI test (Tests/CABI) with
# the replay of the abi fuzz target's inputs, and pytest (python/tests). Each suite runs even when one before it
# failed; the last line adds their totals as "N passed, N failed" and the exit status is non-zero if any failed.
test: setup
	swift build $(SWIFT_FLAGS) -Xswiftc -enable-testing --build-tests
	swift build $(SWIFT_FLAGS) -Xswiftc -enable-testing --product swiftoss
	swift build $(SWIFT_FLAGS) -Xswiftc -enable-testing --product oss
	@rm -f .build/test-output.log .build/test-c.log .build/test-c-fuzz.log .build/test-python.log
	@status=0; \
	( set -o pipefail; swift test $(SWIFT_FLAGS) -Xswiftc -enable-testing --skip-build --disable-swift-testing 2>&1 \
	  | tee .build/test-output.log ) || status=1; \
	$(MAKE) --no-print-directory test-c || status=1; \
	$(MAKE) --no-print-directory test-python || status=1; \
	x=$$(sed -n 's/.*Executed \([0-9]*\) tests\{0,1\}, with \([0-9]*\) failures\{0,1\}.*/\1 \2/p' .build/test-output.log \
	  | tail -n 1); \
	c=$$(sed -n 's/^C ABI: \([0-9]*\) passed, \([0-9]*\) failed$$/\1 \2/p' .build/test-c.log 2>/dev/null | tail -n 1); \
	z=$$(sed -n 's/^C ABI fuzz replay: \([0-9]*\) passed, \([0-9]*\) failed$$/\1 \2/p' .build/test-c-fuzz.log 2>/dev/null \
	  | tail -n 1); \
	p=$$(tail -n 1 .build/test-python.log 2>/dev/null | grep -E '[0-9]+ (passed|failed)' \
	  | awk '{ p = 0; f = 0; for (i = 2; i <= NF; i++) { if ($$i ~ /^passed/) p = $$(i-1); \
	    if ($$i ~ /^(failed|errors?)/) f += $$(i-1) } print p, f }'); \
	[ -n "$$x" ] || { x="0 1"; echo "XCTest: no summary" >&2; }; \
	[ -n "$$c" ] || { c="0 1"; echo "C ABI test: no summary" >&2; }; \
	[ -n "$$p" ] || { p="0 1"; echo "pytest: no summary" >&2; }; \
	[ -n "$$z" ] || { z="0 1"; echo "C ABI fuzz replay: no summary" >&2; }; \
	echo "$$x $$c $$p $$z" | awk '{ print $$1 - $$2 + $$3 + $$5 + $$7 " passed, " $$2 + $$4 + $$6 + $$8 " failed" }'; \
	exit $$status

# The C ABI test: Tests/CABI/test_swiftoss.c compiled against swiftoss.h (C99; the header is also checked as C++)
# and linked to libswiftoss.so, run on freshly written models: the tiny gpt-oss (gpt-oss.md §6) as a checkpoint
# directory and as GGUF, and llama-tiny (Q8_0 GGUF) with the ids `oss generate` gives at temperature 0 after
# ABI_PROMPT. Needs the library and `oss`.
ABI_PROMPT := Once upon a time, in a land far away
test-c:
	@mkdir -p .build
	$(ABI_CC) -std=c99 -O1 -Wall -Wextra -Werror -I$(ABI_INCLUDE) Tests/CABI/test_swiftoss.c \
	  -L$(LIB_DIR) -lswiftoss -Wl,-rpath,$(LIB_DIR) -lm -o .build/test_swiftoss
	$(ABI_CC) -x c++ -std=c++11 -fsyntax-only -Wall -Werror $(ABI_INCLUDE)/swiftoss.h
	$(ABI_CC) -std=c99 -O1 -Wall -Wextra -Werror -I$(ABI_INCLUDE) Fuzz/abi_fuzz.c Fuzz/abi_replay.c \
	  -L$(LIB_DIR) -lswiftoss -Wl,-rpath,$(LIB_DIR) -lm -o .build/abi_replay
	@models=$$(mktemp -d); trap 'rm -rf "$$models"' EXIT; set -o pipefail; \
	.build/release/oss synth --preset tiny --out "$$models/tiny" >/dev/null && \
	.build/release/oss synth --preset tiny --format gguf --out "$$models/tiny.gguf" >/dev/null && \
	.build/release/oss synth --preset llama-tiny --format gguf --dtype q8_0 --out "$$models/llama.gguf" >/dev/null && \
	ids=$$(.build/release/oss generate --model "$$models/llama.gguf" --backend blas --threads 2 \
	  --prompt "$(ABI_PROMPT)" --temperature 0 --max-tokens 24 --token-ids 2>/dev/null) && \
	.build/test_swiftoss "$$models/tiny" "$$models/tiny.gguf" "$$models/llama.gguf" "$(ABI_PROMPT)" "$$ids" 2>&1 \
	  | tee .build/test-c.log && \
	SWIFTOSS_FUZZ_MODEL="$$models/tiny" .build/abi_replay Fuzz/corpus/abi Fuzz/regressions/abi \
	  2>.build/test-c-fuzz.err | tee .build/test-c-fuzz.log || { tail -n 20 .build/test-c-fuzz.err; exit 1; }

# The pytest suites, in the venv, one run each (both have a conftest.py): the Python package's (python/tests,
# against the library just built; SWIFTOSS_LIBRARY: the package bundles that file instead of running its own
# `swift build`) and the server's (Tests/python: `oss serve` driven by the openai client, harmony checked against
# openai-harmony; OSS_BIN). The last line of .build/test-python.log adds both: "pytest: N passed, N failed".
test-python: venv
	SWIFTOSS_LIBRARY=$(LIB_DIR)/libswiftoss.so $(VENV)/bin/pip install -q --no-build-isolation ./python
	@status=0; \
	( set -o pipefail; SWIFTOSS_CLI=$(LIB_DIR)/oss $(VENV)/bin/python -m pytest -q python/tests 2>&1 \
	  | tee .build/test-python-package.log ) || status=1; \
	( set -o pipefail; OSS_BIN=$(LIB_DIR)/oss $(VENV)/bin/python -m pytest -q -p no:cacheprovider Tests/python 2>&1 \
	  | tee .build/test-python-server.log ) || status=1; \
	for f in .build/test-python-package.log .build/test-python-server.log; do tail -n 1 $$f; done \
	  | awk '{ for (i = 2; i <= NF; i++) { if ($$i ~ /^passed/) p += $$(i-1); if ($$i ~ /^(failed|errors?)/) f += $$(i-1) } } \
	    END { print "pytest: " p + 0 " passed, " f + 0 " failed" }' | tee .build/test-python.log; \
	exit $$status

# The virtual environment under .build with every Python test dependency (rebuilt when the list changes).
venv: $(VENV)/.requirements-installed

$(VENV)/.requirements-installed: Tests/requirements.txt
	@mkdir -p .build
	[ -x $(VENV)/bin/python ] || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -r Tests/requirements.txt
	touch $@

# The whole suite with AddressSanitizer on the Swift and C code (its own build directory; leak checks off, since
# libomp and OpenBLAS keep their thread pools). Not part of `make test`: the instrumented build takes a few minutes.
test-asan: setup
	swift build $(SWIFT_FLAGS) -Xswiftc -enable-testing --build-tests --sanitize=address --scratch-path .build-asan
	set -o pipefail; ASAN_OPTIONS=detect_leaks=0 swift test $(SWIFT_FLAGS) -Xswiftc -enable-testing --skip-build \
	  --disable-swift-testing --sanitize=address --scratch-path .build-asan 2>&1 | tee .build-asan/test-output.log

# UndefinedBehaviorSanitizer on the C code (kernels, ABI), in its own build directory (swiftc has no -sanitize=undefined;
# Swift checks overflow and bounds itself in release builds): the backend conformance suite
# runs every op with every CPU path forced in turn (scalar, AVX2, AVX-512, VNNI/VBMI lookups, our GEMM / OpenBLAS,
# bf16 dot products; ConformanceBackends.swift), the SIMD and integer GEMV path tests, the quant block codecs
# (OSSCoreTests) and the models. The first report stops the run (halt_on_error) and any `runtime error:` in the log
# fails it. UBSAN_FILTER picks other suites.
UBSAN_FILTER ?= BackendConformanceTests|OSSCoreTests|OSSModelTests
UBSAN_SWIFT_FLAGS := $(SWIFT_FLAGS) -Xswiftc -enable-testing --scratch-path .build-ubsan -Xcc -fsanitize=undefined \
  -Xcc -fno-sanitize=vptr \
  -Xswiftc -Xclang-linker -Xswiftc -fsanitize=undefined
UBSAN_OPTIONS_ALL := halt_on_error=1:print_stacktrace=1:suppressions=$(CURDIR)/Tests/Sanitizers/ubsan.supp
test-ubsan: setup
	swift build $(UBSAN_SWIFT_FLAGS) --build-tests
	set -o pipefail; UBSAN_OPTIONS=$(UBSAN_OPTIONS_ALL) swift test $(UBSAN_SWIFT_FLAGS) --skip-build \
	  --disable-swift-testing --filter '$(UBSAN_FILTER)' 2>&1 | tee .build-ubsan/test-output.log
	@! grep -n 'runtime error:' .build-ubsan/test-output.log || { echo "test-ubsan: undefined behaviour" >&2; exit 1; }

# ThreadSanitizer, in its own build directory: the Swift worker pool (WorkerPoolTests, the multi-threaded Swift
# backend in the conformance suite), the OpenMP handoff (the BLAS backend's libomp team around OpenBLAS:
# OpenMPThreadTests, SIMD paths, linear/MoE conformance at 2 threads) and the server's concurrent slots
# (OSSServerTests: concurrent streams, queue, disconnects, shutdown). libomp is not instrumented: LLVM's Archer
# OMPT tool (OMP_TOOL_LIBRARIES) tells TSan about its barriers and tasks. Suppressions with their reasons:
# Tests/Sanitizers/tsan.supp. TSAN_FILTER picks other suites.
TSAN_FILTER ?= WorkerPoolTests|OpenMPThreadTests|SIMDPathTests|LinearConformanceTests|MoEConformanceTests|OSSServerTests
ARCHER := /usr/lib/llvm-16/lib/libarcher.so
test-tsan: setup
	swift build $(SWIFT_FLAGS) -Xswiftc -enable-testing --build-tests --sanitize=thread --scratch-path .build-tsan
	set -o pipefail; OMP_TOOL_LIBRARIES=$(ARCHER) ARCHER_OPTIONS=verbose=1 \
	  TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$(CURDIR)/Tests/Sanitizers/tsan.supp" \
	  swift test $(SWIFT_FLAGS) -Xswiftc -enable-testing --skip-build --disable-swift-testing --sanitize=thread \
	  --scratch-path .build-tsan --filter '$(TSAN_FILTER)' 2>&1 | tee .build-tsan/test-output.log
	@! grep -n 'WARNING: ThreadSanitizer' .build-tsan/test-output.log || { echo "test-tsan: data race" >&2; exit 1; }

# Fuzzing (Fuzz/README.md), not part of `make test`: every parser that takes outside bytes, libFuzzer + ASan, in its
# own build directory. `make fuzz FUZZ_SECONDS=60` runs each target for a minute and prints executions, exec/s,
# coverage and crashes; `make fuzz FUZZ_SECONDS=0 FUZZ_RUNS=1000000` is the documented run (≥ 1,000,000 executions
# per target). FUZZ_TARGETS="gguf abi" picks targets; FUZZ_FLAGS passes libFuzzer flags.
# Swift: -sanitize=fuzzer,address as one flag (given twice, the driver compiles with the last only: no coverage);
# SwiftPM's --sanitize flags instrument the C targets and link the runtimes. The C ABI target is C (clang
# -fsanitize=fuzzer,address,undefined) against libswiftoss.so built the same way.
FUZZ_BUILD := .build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_RUNS ?= 0
FUZZ_TARGETS ?=
FUZZ_FLAGS ?=
FUZZ_TIMEOUT ?= 25
FUZZ_REPORT ?= $(FUZZ_BUILD)/fuzz-report.txt
# `make fuzz-run RUNS=1000000`: the documented run, counted in executions (libFuzzer -runs=), no time limit, and a
# per-input hang limit of an hour, so the run can be paused (kill -STOP / -CONT on oss-fuzz) for that long without
# the pause counting as a hang. The table goes to FUZZ_REPORT as well.
ifdef RUNS
FUZZ_RUNS := $(RUNS)
FUZZ_SECONDS := 0
FUZZ_TIMEOUT := 3600
endif
FUZZ_SWIFT_FLAGS := -c release --scratch-path $(FUZZ_BUILD) --sanitize=fuzzer --sanitize=address \
  -Xswiftc -sanitize=fuzzer,address -Xswiftc -DSWIFTOSS_LIBFUZZER

fuzz-build: setup
	swift build $(FUZZ_SWIFT_FLAGS) --product oss-fuzz
	swift build $(FUZZ_SWIFT_FLAGS) --product swiftoss
	swift build $(SWIFT_FLAGS) -Xswiftc -enable-testing --product oss
	$(ABI_CC) -std=c99 -g -O1 -Wall -Wextra -Werror -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	  -I$(ABI_INCLUDE) Fuzz/abi_fuzz.c -L$(FUZZ_BUILD)/release -lswiftoss -Wl,-rpath,$(CURDIR)/$(FUZZ_BUILD)/release -lm \
	  -o $(FUZZ_BUILD)/abi-fuzz
	@[ -d $(FUZZ_BUILD)/tiny ] || .build/release/oss synth --preset tiny --out $(FUZZ_BUILD)/tiny

fuzz: fuzz-build
	@$(MAKE) --no-print-directory fuzz-run

fuzz-run:
	FUZZ_BUILD=$(FUZZ_BUILD) FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_RUNS=$(FUZZ_RUNS) FUZZ_TARGETS="$(FUZZ_TARGETS)" \
	  FUZZ_FLAGS="$(FUZZ_FLAGS)" FUZZ_TIMEOUT=$(FUZZ_TIMEOUT) FUZZ_REPORT=$(FUZZ_REPORT) \
	  nice -n $${FUZZ_NICE:-0} Fuzz/run.sh

# The CI smoke (.ci/run, after `make test`): every target for FUZZ_SMOKE_SECONDS (default 15) from the committed seeds.
FUZZ_SMOKE_SECONDS ?= 15
fuzz-smoke: fuzz-build
	@$(MAKE) --no-print-directory fuzz-run FUZZ_SECONDS=$(FUZZ_SMOKE_SECONDS) FUZZ_RUNS=0

# Rewrites the committed seed corpora (Fuzz/corpus/<target>) from the project's writers (see FuzzSeeds.swift).
fuzz-seeds: setup
	swift build $(SWIFT_FLAGS) -Xswiftc -enable-testing --product oss-fuzz
	.build/release/oss-fuzz seeds Fuzz/corpus

bench: setup
	swift build $(SWIFT_FLAGS) --product oss
	.build/release/oss bench --default $(BENCH_ARGS)

clean:
	rm -rf .build .build-asan .build-ubsan .build-tsan $(FUZZ_BUILD)
