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

.PHONY: setup build test test-asan test-c test-python venv bench clean

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

# Release build so SIMD kernels run at speed on big conformance shapes; -enable-testing for @testable imports.
# Suites: XCTest, the C ABI test (Tests/CABI) and pytest (python/tests). Each suite runs even when one before it
# failed; the last line adds their totals as "N passed, N failed" and the exit status is non-zero if any failed.
test: setup
	swift build $(SWIFT_FLAGS) -Xswiftc -enable-testing --build-tests
	swift build $(SWIFT_FLAGS) -Xswiftc -enable-testing --product swiftoss
	swift build $(SWIFT_FLAGS) -Xswiftc -enable-testing --product oss
	@rm -f .build/test-output.log .build/test-c.log .build/test-python.log
	@status=0; \
	( set -o pipefail; swift test $(SWIFT_FLAGS) -Xswiftc -enable-testing --skip-build --disable-swift-testing 2>&1 \
	  | tee .build/test-output.log ) || status=1; \
	$(MAKE) --no-print-directory test-c || status=1; \
	$(MAKE) --no-print-directory test-python || status=1; \
	x=$$(sed -n 's/.*Executed \([0-9]*\) tests\{0,1\}, with \([0-9]*\) failures\{0,1\}.*/\1 \2/p' .build/test-output.log \
	  | tail -n 1); \
	c=$$(sed -n 's/^C ABI: \([0-9]*\) passed, \([0-9]*\) failed$$/\1 \2/p' .build/test-c.log 2>/dev/null | tail -n 1); \
	p=$$(tail -n 1 .build/test-python.log 2>/dev/null | grep -E '[0-9]+ (passed|failed)' \
	  | awk '{ p = 0; f = 0; for (i = 2; i <= NF; i++) { if ($$i ~ /^passed/) p = $$(i-1); \
	    if ($$i ~ /^(failed|errors?)/) f += $$(i-1) } print p, f }'); \
	[ -n "$$x" ] || { x="0 1"; echo "XCTest: no summary" >&2; }; \
	[ -n "$$c" ] || { c="0 1"; echo "C ABI test: no summary" >&2; }; \
	[ -n "$$p" ] || { p="0 1"; echo "pytest: no summary" >&2; }; \
	echo "$$x $$c $$p" | awk '{ print $$1 - $$2 + $$3 + $$5 " passed, " $$2 + $$4 + $$6 " failed" }'; \
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
	@models=$$(mktemp -d); trap 'rm -rf "$$models"' EXIT; set -o pipefail; \
	.build/release/oss synth --preset tiny --out "$$models/tiny" >/dev/null && \
	.build/release/oss synth --preset tiny --format gguf --out "$$models/tiny.gguf" >/dev/null && \
	.build/release/oss synth --preset llama-tiny --format gguf --dtype q8_0 --out "$$models/llama.gguf" >/dev/null && \
	ids=$$(.build/release/oss generate --model "$$models/llama.gguf" --backend blas --threads 2 \
	  --prompt "$(ABI_PROMPT)" --temperature 0 --max-tokens 24 --token-ids 2>/dev/null) && \
	.build/test_swiftoss "$$models/tiny" "$$models/tiny.gguf" "$$models/llama.gguf" "$(ABI_PROMPT)" "$$ids" 2>&1 \
	  | tee .build/test-c.log

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

bench: setup
	swift build $(SWIFT_FLAGS) --product oss
	.build/release/oss bench --default $(BENCH_ARGS)

clean:
	rm -rf .build .build-asan
