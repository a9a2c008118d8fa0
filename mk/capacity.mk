# Capacity search (issue 11): how many concurrent users before a threshold of the bundled scenario
# breaks. Included by the root Makefile (-include mk/*.mk). See docs/capacity.md.
#
#   make capacity                                              # fwsim, 100..1000 users in steps of 100
#   make capacity FW_FWSIM_FLAGS="-capacity 600" FW_THINK=0 FW_CAPACITY_MIN=200 FW_CAPACITY_STEP=200
#   make capacity FW_CHAT_URL=ws://host/api/chat FW_METRICS_URL=http://host:9100/metrics FW_CAPACITY_STRATEGY=bisect
#
# Knobs (environment or make command line, read by bin/fwcapacity): FW_CAPACITY_MIN (100),
# FW_CAPACITY_MAX (1000), FW_CAPACITY_STEP (100), FW_CAPACITY_STRATEGY (step|bisect),
# FW_CAPACITY_HOLD (30s), FW_CAPACITY_RAMP (5s), FW_CAPACITY_RAMP_DOWN (1s), FW_CAPACITY_TIMEOUT (30m),
# FW_CAPACITY_OUT (out/capacity.json), FW_CAPACITY_CHART (out/capacity.png), FW_CAPACITY_CONFIRM (0: re-runs
# of the last passing and the first failing step; the knee stands only when it holds in their majority,
# else bin/fwcapacity exits 4, unstable), FW_FWSIM_FLAGS, and every
# FW_* knob of examples/featherweight-load.js (FW_THINK, FW_TTFT_P95, FW_HZ_MIN, FW_CHAT_URL, ...).

FWBENCH_SOURCES := $(shell find fwbench -name '*.go' -not -name '*_test.go') fwbench/go.mod fwbench/go.sum

.PHONY: capacity
capacity: build fwsim bin/fwcapacity ## Capacity search: users until a threshold breaks (out/capacity.json, .png)
	bin/fwcapacity

bin/fwcapacity: $(FWBENCH_SOURCES)
	go -C fwbench build -o ../bin/fwcapacity ./cmd/fwcapacity

.PHONY: fwcapacity
fwcapacity: bin/fwcapacity ## Build bin/fwcapacity (the capacity search)

# e2e/capacity_test.go execs bin/fwcapacity: make test-e2e builds it and passes its path.
test-e2e: bin/fwcapacity
test-e2e: export FW_FWCAPACITY := $(CURDIR)/bin/fwcapacity
