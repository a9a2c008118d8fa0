# `make compare`: judge a run against a baseline (fwbench/cmd/fwcompare; docs/compare.md).
#   make compare BASE=out/a/summary.json NEW=out/b/summary.json [COMPARE_FLAGS='-latency 30%']
#   make compare BASE="out/a1/summary.json out/a2/summary.json out/a3/summary.json" NEW="out/b1/summary.json ..."
# With 2 or more runs a side a figure regresses only when Welch's t-test finds the difference
# significant (alpha 0.05, COMPARE_FLAGS='-alpha 0.01' or FW_COMPARE_ALPHA to change it).
# make itself exits 2 on any failure; for fwcompare's own codes (1 regression, 2 bad input,
# 3 different scenarios or profiles) call bin/fwcompare directly.

.PHONY: compare
compare: bin/fwcompare ## Compare runs' summary.json: make compare BASE="a.json ..." NEW="b.json ..." (exit non-zero on a regression)
	@if [ -z "$(strip $(BASE))" ] || [ -z "$(strip $(NEW))" ]; then \
	  echo "usage: make compare BASE=\"out/a1/summary.json out/a2/summary.json ...\" NEW=\"out/b1/summary.json ...\" [COMPARE_FLAGS=...]" >&2; exit 2; fi
	bin/fwcompare $(COMPARE_FLAGS) $(foreach f,$(BASE),-base "$(f)") $(foreach f,$(NEW),-new "$(f)")

# Always handed to go build, whose cache makes an up-to-date build instant.
.PHONY: bin/fwcompare
bin/fwcompare:
	go -C fwbench build -o ../bin/fwcompare ./cmd/fwcompare

# The end-to-end tests run bin/fwcompare (e2e/compare_test.go).
test-e2e: bin/fwcompare
