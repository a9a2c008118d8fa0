# `make compare`: judge a run against a baseline (fwbench/cmd/fwcompare; docs/compare.md).
#   make compare BASE=out/a/summary.json NEW=out/b/summary.json [COMPARE_FLAGS='-latency 30%']
# make itself exits 2 on any failure; for fwcompare's own codes (1 regression, 2 bad input,
# 3 different scenarios or profiles) call bin/fwcompare directly.

.PHONY: compare
compare: bin/fwcompare ## Compare two runs' summary.json: make compare BASE=... NEW=... (exit non-zero on a regression)
	@if [ -z "$(BASE)" ] || [ -z "$(NEW)" ]; then \
	  echo "usage: make compare BASE=out/a/summary.json NEW=out/b/summary.json [COMPARE_FLAGS=...]" >&2; exit 2; fi
	bin/fwcompare $(COMPARE_FLAGS) "$(BASE)" "$(NEW)"

# Always handed to go build, whose cache makes an up-to-date build instant.
.PHONY: bin/fwcompare
bin/fwcompare:
	go -C fwbench build -o ../bin/fwcompare ./cmd/fwcompare

# The end-to-end tests run bin/fwcompare (e2e/compare_test.go).
test-e2e: bin/fwcompare
