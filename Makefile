# SPDX-License-Identifier: Apache-2.0
# tollgate - the two commands of the README, and a few helpers.
#   make demo        build (release) and run the demo
#   make check       asan build, source rules, every test; ends "N passed, N failed"
#   make fuzz-smoke  build the libFuzzer targets and run each on its corpus briefly
#   make bench       benchmarks against peers (not tests)
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
FUZZ_SECONDS ?= 20

.PHONY: all dev release demo check fuzz fuzz-smoke bench format clean

all: dev

dev:
	@scripts/deps.sh build
	cmake --preset dev >/dev/null
	cmake --build --preset dev -j $(JOBS)

release:
	@scripts/deps.sh build
	cmake --preset release >/dev/null
	cmake --build --preset release -j $(JOBS)

demo:
	@scripts/deps.sh demo
	cmake --preset release >/dev/null
	cmake --build --preset release -j $(JOBS) --target tollgate tollgated
	scripts/demo.sh build/release/tollgate

check:
	@scripts/deps.sh check
	cmake --preset asan >/dev/null
	cmake --build --preset asan -j $(JOBS)
	scripts/check-source.sh
	scripts/run-tests.sh build/asan

fuzz:
	@scripts/deps.sh fuzz
	cmake --preset fuzz >/dev/null
	cmake --build --preset fuzz -j $(JOBS)

fuzz-smoke: fuzz
	scripts/fuzz-smoke.sh build/fuzz $(FUZZ_SECONDS)

bench: release
	@scripts/deps.sh bench
	bench/run.sh build/release

format:
	git ls-files '*.c' '*.h' | xargs clang-format -i

clean:
	rm -rf build
