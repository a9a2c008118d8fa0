# make bench-compare: native vs k6/websockets vs plain Go, same fwsim (scripts/bench-compare.sh,
# docs/BENCHMARKS.md). Not part of make test. BENCH_QUICK=1 for a run of a few minutes.

bin/fwplain: $(shell find fwbench -name '*.go') fwbench/go.mod
	go -C fwbench build -o ../bin/fwplain ./cmd/fwplain

.PHONY: bench-compare
bench-compare: build fwsim bin/fwplain ## Native client vs k6/websockets vs plain Go on fwsim (BENCH_QUICK=1: ~5 min) -> out/bench-compare.md
	scripts/bench-compare.sh

.PHONY: bench-scale
bench-scale: build fwsim bin/fwplain ## Concurrent streams one machine holds: Promise API, sessions, plain Go (~10 min) -> out/bench-scale.md
	scripts/bench-scale.sh
