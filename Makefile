# The two commands (README.md): `make run` and `make test`. Both install what is missing first.
SHELL := /bin/bash
JOBS ?= $(shell nproc)
# Cache hits across clones (CI builds a fresh clone each time): paths under the clone are hashed
# relative to it, and the working directory is left out of the hash (which ccache otherwise adds
# for -g builds, so that every new clone missed the cache).
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := 1

.PHONY: all setup build run test fuzz-build fuzz-long asan-build asan clean bench bench-signaling bench-ice bench-sfu

all: build

setup:
	@bash scripts/setup

build: setup
	@cmake --preset release > build-configure.log 2>&1 || { cat build-configure.log; exit 1; }
	@cmake --build --preset release -j $(JOBS)

# Starts peerkit's main service with embedded defaults: `peerkit serve` on http://127.0.0.1:9000/
# with STUN/TURN on 127.0.0.1:3478.
run: build
	@exec ./build/bin/peerkit run

# Every test: unit, integration on loopback, interoperability with coturn's clients inside a
# network namespace; the unit and integration tests again under AddressSanitizer/UBSan; and a
# short smoke run of every fuzzer.
test: build fuzz-build asan-build
	@cd build/release && ctest --output-on-failure -j 2
	@cd build/asan && ctest --output-on-failure -L "unit|integration"
	@bash fuzz/run-smoke.sh

fuzz-build: setup
	@cmake --preset fuzz > build-fuzz-configure.log 2>&1 || { cat build-fuzz-configure.log; exit 1; }
	@cmake --build --preset fuzz -j $(JOBS)

# A longer fuzzing session, FUZZ_SECONDS per target: make fuzz-long FUZZ_SECONDS=600
FUZZ_SECONDS ?= 600
fuzz-long: fuzz-build
	@FUZZ_SECONDS=$(FUZZ_SECONDS) bash fuzz/run-smoke.sh

asan-build: setup
	@cmake --preset asan > build-asan-configure.log 2>&1 || { cat build-asan-configure.log; exit 1; }
	@cmake --build --preset asan -j $(JOBS)

asan: asan-build
	@cd build/asan && ctest --output-on-failure -L "unit|integration"

# Side-by-side benchmarks (not tests): TURN against coturn, signaling against PeerServer, ICE
# set-up against libdatachannel (node-datachannel).
bench: build
	@bash bench/turn-bench.sh
	@bash bench/signaling-bench.sh
	@bash bench/ice-bench.sh

bench-signaling: build
	@bash bench/signaling-bench.sh

bench-ice: build
	@bash bench/ice-bench.sh

# T10: peerkit serve's SFU against Janus VideoRoom (Debian janus, installed by scripts/setup).
bench-sfu: build
	@bash bench/sfu-bench.sh

# T7-T9: the native peer against node-datachannel and @roamhq/wrtc (bench/peer-bench.sh).
.PHONY: bench-peer
bench-peer: build
	@bash bench/peer-bench.sh

# Issue 12: one node against two `--cluster` nodes on one Redis (bench/cluster-bench.sh).
.PHONY: bench-cluster
bench-cluster: build
	@bash bench/cluster-bench.sh

clean:
	rm -rf build build-*.log
