# SwiftOSS — `make bench` (the main job), `make test`, `make setup` (Debian packages).
SHELL := /bin/bash
DEB_PACKAGES := libopenblas-dev libomp-16-dev
SUDO := $(shell [ "$$(id -u)" = "0" ] || echo sudo)
SWIFT_FLAGS := -c release
BENCH_ARGS ?=

VENV := .build/venv

.PHONY: setup build venv test test-asan bench clean

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

# The Python virtual environment of the non-Swift tests (Tests/requirements.txt: the openai client, openai-harmony,
# pytest), rebuilt when the requirements change.
venv: $(VENV)/.installed
$(VENV)/.installed: Tests/requirements.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check -r Tests/requirements.txt
	touch $@

# Release build so SIMD kernels run at speed on big conformance shapes; -enable-testing for @testable imports.
# XCTest first, then pytest (Tests/python, against the release `oss`); the last line adds both:
# "N passed, N failed".
test: setup venv
	swift build $(SWIFT_FLAGS) -Xswiftc -enable-testing --build-tests
	@status=0; \
	set -o pipefail; swift test $(SWIFT_FLAGS) -Xswiftc -enable-testing --skip-build --disable-swift-testing 2>&1 \
	  | tee .build/test-output.log || status=1; \
	OSS_BIN=$$(swift build $(SWIFT_FLAGS) -Xswiftc -enable-testing --show-bin-path)/oss \
	  $(VENV)/bin/python -m pytest -q -p no:cacheprovider Tests/python 2>&1 | tee .build/pytest-output.log || status=1; \
	set -- $$(sed -n 's/.*Executed \([0-9]*\) tests\{0,1\}, with \([0-9]*\) failures\{0,1\}.*/\1 \2/p' \
	  .build/test-output.log | tail -n 1) 0 0; xt=$$1; xf=$$2; \
	last=$$(tail -n 1 .build/pytest-output.log); \
	pp=$$(echo "$$last" | grep -oE '[0-9]+ passed' | awk '{ s += $$1 } END { print s + 0 }'); \
	pf=$$(echo "$$last" | grep -oE '[0-9]+ (failed|errors?)' | awk '{ s += $$1 } END { print s + 0 }'); \
	[ "$$pp$$pf" != "00" ] || status=1; \
	echo "$$((xt - xf + pp)) passed, $$((xf + pf)) failed"; exit $$status

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
