# `make verdict`: one verdict for a distributed run (fwbench/cmd/fwverdict; docs/deploy.md).
#   make verdict FW_PROMETHEUS_URL=http://prometheus:9090 FW_TESTID=run-42 [FW_OUT_DIR=out/verdict]
# The runners ran the bundled scenario with FW_TESTID set and remote-wrote to that Prometheus. make itself
# exits 2 on any failure; for fwverdict's own codes (99 a threshold failed, 2 the run cannot be judged) call
# bin/fwverdict directly.

.PHONY: verdict
verdict: bin/fwverdict ## Judge a distributed run from Prometheus: make verdict FW_PROMETHEUS_URL=... FW_TESTID=...
	@if [ -z "$(FW_PROMETHEUS_URL)" ] || [ -z "$(FW_TESTID)" ]; then \
	  echo "usage: make verdict FW_PROMETHEUS_URL=http://prometheus:9090 FW_TESTID=<the run's FW_TESTID> [FW_OUT_DIR=dir]" >&2; exit 2; fi
	bin/fwverdict -prometheus "$(FW_PROMETHEUS_URL)" -testid "$(FW_TESTID)" $(if $(FW_OUT_DIR),-out "$(FW_OUT_DIR)")

# Always handed to go build, whose cache makes an up-to-date build instant.
.PHONY: bin/fwverdict
bin/fwverdict:
	go -C fwbench build -o ../bin/fwverdict ./cmd/fwverdict

# The verdict's deployment tests (fwbench/e2e/verdict_deploy_test.go, tags e2e,deploy): real Prometheus
# (prometheus-install), two execution segments of the bundled scenario against bin/fwsim, fwverdict on
# the merged run. FW_VERDICT_RECORD=DIR also records the Prometheus answers (fwbench/internal/verdict/testdata).
.PHONY: verdict-test
# Part of make test-deploy (the Makefile lists it there).
verdict-test: build fwsim bin/fwverdict prometheus-install
	$(with_prometheus) $(DEPLOY_TEST) -run '^TestVerdict$$' ./e2e/
