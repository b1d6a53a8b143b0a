# SwiftOSS — `make bench` (the main job), `make test`, `make setup` (Debian packages).
SHELL := /bin/bash
DEB_PACKAGES := libopenblas-dev libomp-16-dev
SUDO := $(shell [ "$$(id -u)" = "0" ] || echo sudo)
SWIFT_FLAGS := -c release
BENCH_ARGS ?=

.PHONY: setup build test test-asan bench clean

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
# All tests are XCTest; the last line repeats XCTest's totals as "N passed, N failed".
test: setup
	swift build $(SWIFT_FLAGS) -Xswiftc -enable-testing --build-tests
	set -o pipefail; swift test $(SWIFT_FLAGS) -Xswiftc -enable-testing --skip-build --disable-swift-testing 2>&1 \
	  | tee .build/test-output.log
	@sed -n 's/.*Executed \([0-9]*\) tests\{0,1\}, with \([0-9]*\) failures\{0,1\}.*/\1 \2/p' .build/test-output.log \
	  | tail -n 1 | awk '{ print $$1 - $$2 " passed, " $$2 " failed" }'

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
