# `make verdict`: one verdict for a distributed run (./k6 x featherweight verdict; docs/deploy.md).
#   make verdict FW_PROMETHEUS_URL=http://prometheus:9090 FW_TESTID=run-42 [FW_OUT_DIR=out/verdict]
# The runners ran the bundled scenario with FW_TESTID set and remote-wrote to that Prometheus. make itself
# exits 2 on any failure; for the verdict's own codes (99 a threshold failed, 2 the run cannot be judged;
# docs/tools.md) run ./k6 x featherweight verdict directly.

.PHONY: verdict
verdict: build ## Judge a distributed run from Prometheus: make verdict FW_PROMETHEUS_URL=... FW_TESTID=...
	@if [ -z "$(FW_PROMETHEUS_URL)" ] || [ -z "$(FW_TESTID)" ]; then \
	  echo "usage: make verdict FW_PROMETHEUS_URL=http://prometheus:9090 FW_TESTID=<the run's FW_TESTID> [FW_OUT_DIR=dir]" >&2; exit 2; fi
	$(K6_AUTO) ./k6 x featherweight verdict -prometheus "$(FW_PROMETHEUS_URL)" -testid "$(FW_TESTID)" $(if $(FW_OUT_DIR),-out "$(FW_OUT_DIR)")

# The verdict's deployment tests (fwbench/e2e/verdict_deploy_test.go, tags e2e,deploy): real Prometheus
# (prometheus-install), two execution segments of the bundled scenario against bin/fwsim, the verdict
# subcommand on the merged run. FW_VERDICT_RECORD=DIR also records the Prometheus answers
# (internal/verdict/testdata).
.PHONY: verdict-test
# Part of make test-deploy (the Makefile lists it there).
verdict-test: build fwsim prometheus-install
	$(with_prometheus) $(DEPLOY_TEST) -run '^TestVerdict$$' ./e2e/
