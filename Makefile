# xk6-featherweight. `make help` lists the targets, grouped by use; each target's prerequisites are
# declared here, once. `make test` needs Go, make, git and curl only (no root, nothing outside the
# repository); `make test-deploy` may install Debian packages and reads ../shared (K6_OPERATOR_CRD).
# The pipeline tools are subcommands of ./k6 itself (`./k6 x featherweight capacity|compare|verdict`,
# internal/cli); the development tools are Go commands of the fwbench module on one harness
# (fwbench/harness): bin/fwbench (run, sidebyside, scale, soak), bin/fwplain, bin/fwk8svalidate.
# Every k6 the targets run has automatic extension resolution off (K6_AUTO); exit codes: docs/tools.md.
SHELL := /bin/bash
.DEFAULT_GOAL := help

K6_VERSION ?= v1.8.1
MODULE     := github.com/featherweight/xk6-featherweight
XK6        := go -C tools tool xk6
# The extension's sources (what ./k6 is built from) and fwsim's: a change to the tooling rebuilds neither.
EXT_SOURCES   := go.mod go.sum $(shell find . -name '*.go' -not -name '*_test.go' -not -path './tools/*' -not -path './fwsim/*' -not -path './fwbench/*')
FWSIM_SOURCES := fwsim/go.mod fwsim/go.sum $(shell find fwsim -name '*.go' -not -name '*_test.go')

# The Go modules: the extension, fwsim (the reference backend) and fwbench (tools, harness, e2e tests).
GO_MODULES := . fwsim fwbench
# Build tags whose files must be vetted and linted too. Each module is vetted, linted and tested even
# when another one failed; the target fails at the end.
LINT_TAGS  := e2e,loadtest,deploy

# Tools pinned in tools/go.mod, installed into bin/tools (never onto the user's PATH).
TOOLS_BIN     := $(CURDIR)/bin/tools
GOLANGCI_LINT := $(TOOLS_BIN)/golangci-lint
tool_pkg_golangci-lint := github.com/golangci/golangci-lint/v2/cmd/golangci-lint
tool_pkg_gosec         := github.com/securego/gosec/v2/cmd/gosec
tool_pkg_govulncheck   := golang.org/x/vuln/cmd/govulncheck

# flock (util-linux) serializes concurrent xk6 builds of one checkout; optional (macOS has none).
LOCK := $(if $(shell command -v flock 2>/dev/null),flock $(CURDIR)/.build.lock)

# k6 never builds a new binary with a remote builder here (k6 v1.8.1 tries for a `k6 x` subcommand or an
# import the binary lacks): a missing subcommand fails instead.
K6_AUTO := K6_AUTO_EXTENSION_RESOLUTION=false
# The binaries the tests and tools run, passed to the Go tests by path.
E2E_ENV = $(K6_AUTO) FW_K6=$(CURDIR)/k6 FW_FWSIM=$(CURDIR)/bin/fwsim FW_FWBENCH=$(CURDIR)/bin/fwbench

.PHONY: help build fwsim run smoke clean test lint lint-fmt lint-vet lint-golangci lint-gosec lint-files gosec test-unit test-e2e tools \
	test-e2e-alone-arrivals test-e2e-alone-others bench bench-sidebyside bench-compare bench-scale capacity compare soak test-deploy docker docker-test prom-test prometheus-install k8s-validate segments-test \
	xk6-lint vulncheck

##@ Run
help: ## List the targets, grouped by use
	@awk 'BEGIN {FS = ":.*## "} /^##@ / {printf "%s%s\n", sep, substr($$0, 5); sep = "\n"} \
	  /^[a-zA-Z0-9_.-]+:.*## / {printf "  \033[36m%-13s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

build: k6 ## Build ./k6 (k6 v1.8.1, or K6_VERSION, + this extension) with the pinned xk6

k6: $(EXT_SOURCES) tools/go.mod tools/go.sum
	$(LOCK) $(XK6) build $(K6_VERSION) --with $(MODULE)=$(CURDIR) --output $(CURDIR)/k6
	./k6 version | grep -q 'k6/x/featherweight'

fwsim: bin/fwsim ## Build the reference backend bin/fwsim

bin/fwsim: $(FWSIM_SOURCES)
	go -C fwsim build -o ../bin/fwsim ./cmd/fwsim

# The fwbench tools: always handed to go build, whose cache makes an up-to-date build instant.
.PHONY: bin/fwbench bin/fwplain bin/fwk8svalidate
bin/fwbench bin/fwplain bin/fwk8svalidate:
	go -C fwbench build -o ../$@ ./cmd/$(notdir $@)

run: build fwsim bin/fwbench ## The bundled 1,000-VU scenario (against bin/fwsim unless FW_CHAT_URL is set; FW_MEASURE=1: resources)
	$(K6_AUTO) bin/fwbench run

smoke: build fwsim bin/fwbench ## The bundled scenario's short smoke profile against bin/fwsim
	$(K6_AUTO) FW_PROFILE=smoke bin/fwbench run

clean: ## Remove build outputs
	rm -rf k6 bin out dist

##@ Test
# make test: the end-to-end tests that assert timing (TTFT, Hz, arrival gaps, lag) first, alone (they
# must not share the machine), then the ones that assert counts (their first statement is
# t.Parallel(): scripts/e2e-parallel-tests.sh) at the same time as lint and the unit tests, which wait
# on the disk, timers and links at different times. Each part also runs alone: make lint, make
# test-unit, make test-e2e (every end-to-end test, the timing ones first, as go test orders them).
E2E_PARALLEL_TESTS = $(shell scripts/e2e-parallel-tests.sh)
test: ## The README's test command: lint, unit (-race, every module), end-to-end
	@$(MAKE) --no-print-directory -j3 --output-sync=target build fwsim bin/fwbench
	@$(MAKE) --no-print-directory -j2 --output-sync=target test-e2e-alone-arrivals test-e2e-alone-others
	@$(MAKE) --no-print-directory -j4 --output-sync=target lint test-unit test-e2e E2E_TESTS=parallel

lint: lint-fmt lint-vet lint-golangci lint-gosec lint-files ## gofmt, go vet, golangci-lint, gosec (as xk6 lint runs it), no tracked build output

lint-fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed: $$out"; exit 1; fi

# The modules are vetted, linted and tested at the same time (scripts/each-module.sh), each whole.
lint-vet:
	@scripts/each-module.sh "go vet" "$(GO_MODULES)" -- go vet -tags $(LINT_TAGS) ./...

lint-golangci: $(GOLANGCI_LINT)
	@scripts/each-module.sh golangci-lint "$(GO_MODULES)" -- \
	  $(GOLANGCI_LINT) run --allow-parallel-runners --config $(CURDIR)/.golangci.yml --build-tags $(LINT_TAGS) ./...

# gosec exactly as `xk6 lint` (the extension registry's security check) runs it: every Go module of the
# tree, no build tags, no _test.go files, `#nosec Gxxx -- reason` honoured (golangci-lint's
# //nolint is not). gosec: make gosec.
lint-gosec gosec: $(TOOLS_BIN)/gosec
	$(TOOLS_BIN)/gosec -quiet -exclude-generated -r $(CURDIR)/...

# No tracked executable, no tracked file over 1 MiB outside testdata, every cmd's go build output ignored.
lint-files:
	scripts/check-tracked-files.sh

test-unit: ## Unit tests with the race detector in every Go module (no k6 binary needed)
	@scripts/each-module.sh "go test -race" "$(GO_MODULES)" -- go test -race -count=1 ./...

# E2E_TESTS: all (the default), alone (all but the parallel tests), parallel (only those), or one of
# the two halves of alone that make test runs side by side: alone-arrivals (the open-model arrival
# and trace tests, E2E_ARRIVAL_TESTS) and alone-others. Each half runs one k6 at a time, and the
# timing tests use well under a core, so two at once leave them a CPU each. The full log goes to
# out/e2e.log or out/e2e-$(E2E_TESTS).log.
E2E_TESTS ?= all
E2E_ARRIVAL_TESTS = Test[A-Za-z0-9]*(Poisson|Arrival|Bursty|Trace|CapacityRate)[A-Za-z0-9]*
e2e_select_alone = -skip '^($(E2E_PARALLEL_TESTS))$$'
e2e_select_alone-arrivals = -run '^($(E2E_ARRIVAL_TESTS))$$' -skip '^($(E2E_PARALLEL_TESTS))$$'
e2e_select_alone-others = -skip '^($(E2E_PARALLEL_TESTS)|$(E2E_ARRIVAL_TESTS))$$'
e2e_select_parallel = -run '^($(E2E_PARALLEL_TESTS))$$'
e2e_select = $(e2e_select_$(E2E_TESTS))
test-e2e-alone-arrivals test-e2e-alone-others:
	@$(MAKE) --no-print-directory test-e2e E2E_TESTS=$(@:test-e2e-%=%)
test-e2e: build fwsim bin/fwbench ## End-to-end: the real ./k6 against bin/fwsim on loopback
	@mkdir -p out
	$(E2E_ENV) go -C fwbench test -tags e2e -count=1 -parallel 4 -timeout 20m -v $(e2e_select) ./e2e/ 2>&1 \
	  | tee out/e2e$(filter-out -all,-$(E2E_TESTS)).log \
	  | grep -E '^(=== RUN|--- |PASS|FAIL|ok|panic)' ; exit $${PIPESTATUS[0]}

tools: $(GOLANGCI_LINT) $(TOOLS_BIN)/gosec $(TOOLS_BIN)/govulncheck ## Install the pinned lint tools into bin/tools

$(TOOLS_BIN)/%: tools/go.mod tools/go.sum
	GOBIN=$(TOOLS_BIN) go -C tools install $(tool_pkg_$*)

##@ Measure
# WHAT=go: Go benchmarks (decoders, scrape, frame encoding); sidebyside: native vs k6/websockets vs
# plain Go on fwsim (FW_BENCH_QUICK=1: ~5 min) -> out/bench-sidebyside.md; scale: concurrent streams one
# machine holds (~10 min) -> out/bench-scale.md. `make bench-sidebyside` and `make bench-scale` are the
# same; `make bench-compare` is a deprecated alias of bench-sidebyside. Knobs (FW_BENCH_*): docs/BENCHMARKS.md.
WHAT ?= go
bench: $(if $(filter go,$(WHAT)),,build fwsim bin/fwplain bin/fwbench) ## Benchmarks: WHAT=go (default), sidebyside or scale (docs/BENCHMARKS.md)
	@case "$(WHAT)" in \
	  go) set -x; go test -run '^$$' -bench . -benchmem ./chatws/ ./hz/ && go -C fwsim test -run '^$$' -bench . -benchmem . ;; \
	  sidebyside|scale) set -x; $(K6_AUTO) bin/fwbench $(WHAT) ;; \
	  compare) echo "make bench-compare is deprecated: make bench-sidebyside" >&2; set -x; $(K6_AUTO) bin/fwbench sidebyside ;; \
	  *) echo "WHAT=$(WHAT): expected go, sidebyside or scale" >&2; exit 2 ;; esac

bench-sidebyside bench-compare bench-scale:
	@$(MAKE) --no-print-directory bench WHAT=$(patsubst bench-%,%,$@)

capacity: build fwsim ## Capacity search: users until a threshold breaks (./k6 x featherweight capacity; out/capacity.json, .svg; docs/capacity.md)
	$(K6_AUTO) ./k6 x featherweight capacity

# With 2 or more runs a side a figure regresses only when Welch's t-test finds the difference significant.
compare: build ## Compare runs' summary.json: make compare BASE="a.json ..." NEW="b.json ..." (./k6 x featherweight compare; docs/compare.md)
	@if [ -z "$(strip $(BASE))" ] || [ -z "$(strip $(NEW))" ]; then \
	  echo "usage: make compare BASE=\"out/a1/summary.json ...\" NEW=\"out/b1/summary.json ...\" [COMPARE_FLAGS=...]" >&2; exit 2; fi
	$(K6_AUTO) ./k6 x featherweight compare $(COMPARE_FLAGS) $(foreach f,$(BASE),-base "$(f)") $(foreach f,$(NEW),-new "$(f)")

soak: build fwsim bin/fwbench ## Soak: FW_PROFILE=soak, 1,000 users, 1 h hold (FW_HOLD), flat k6 memory; k6 RSS/goroutines/fds every 10 s
	$(K6_AUTO) bin/fwbench soak

##@ Deploy
K6_OPERATOR_CRD ?= $(CURDIR)/../shared/k6-operator/k6.io_testruns.yaml
SEGMENTS        ?= 3
DEPLOY_TEST      = $(E2E_ENV) go -C fwbench test -tags e2e,deploy -count=1 -timeout 20m -v

# Every deployment test is a Go test in fwbench/e2e (build tags e2e,deploy) or the k8s validator.
test-deploy: k8s-validate segments-test prom-test verdict-test docker-test ## Deployment tests (each also a target): manifests, segments, Prometheus, verdict, image

k8s-validate: bin/fwk8svalidate
	@mkdir -p out/k8s && scripts/k8s-configmap.sh >out/k8s/configmap.yaml
	bin/fwk8svalidate -crd $(K6_OPERATOR_CRD) -invalid 'examples/k8s/testdata/invalid-*.yaml' examples/k8s/*.yaml out/k8s/configmap.yaml

segments-test: build fwsim
	SEGMENTS=$(SEGMENTS) $(DEPLOY_TEST) -run '^TestExecutionSegments' ./e2e/

# Debian's prometheus, the one install for every target that runs it: installed here (as root, apt-get)
# when missing. Where it cannot be, CI (CI=true) and FW_PROM_REQUIRED=1 fail here; elsewhere those
# targets print that they are SKIPPED (with_prometheus, the first words of their recipes).
PROM_REQUIRED   = $(if $(filter true 1,$(CI) $(FW_PROM_REQUIRED)),1)
with_prometheus = command -v prometheus >/dev/null || { echo "!!! $@ SKIPPED: prometheus is not installed (apt-get install prometheus)" >&2; exit 0; };
prometheus-install:
	@command -v prometheus >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends prometheus; } >/dev/null; } \
	  || { echo "!!! prometheus is not installed and cannot be (apt-get install prometheus)$(if $(PROM_REQUIRED),: required (CI or FW_PROM_REQUIRED=1))" >&2; \
	  [ "$(PROM_REQUIRED)" != 1 ]; }

# Remote write into a real Prometheus, harness.StartPrometheus, and the Hz monitor's Prometheus mode
# against a Prometheus scraping two fwsim (per instance and fleet 'min').
prom-test: build fwsim prometheus-install
	$(with_prometheus) $(DEPLOY_TEST) -run '^(TestPrometheusRemoteWrite|TestPrometheusHz|TestStartPrometheus)' ./e2e/ ./harness/

docker-test: fwsim
	scripts/docker-test.sh

docker: ## Build fw-k6:latest and fwsim:latest (docker if an engine answers, else podman)
	scripts/build-docker.sh

# xk6 lint (the k6 extension registry's compliance grade) and govulncheck put the pinned tools first
# on PATH. The Go vulnerability database (vuln.go.dev) needs the network: where it is unreachable, the
# vulnerability check is skipped with a printed reason, never failed (README, "Ecosystem checks").
VULN_DB ?= https://vuln.go.dev
XK6_LINT_PASSING ?= C
vuln_db_reachable = $(shell curl -fsS -m 5 -o /dev/null $(VULN_DB)/index/db.json 2>/dev/null && echo yes)

# The checks that must pass whatever the grade (CI runs this target): gosec, and the k6 build (with
# k6 "latest" from the Go module proxy: the one network need besides the vulnerability database),
# its smoke test (test/smoke.test.js), examples/ and index.d.ts.
XK6_LINT_REQUIRED ?= security build smoke examples types

xk6-lint: $(TOOLS_BIN)/gosec $(TOOLS_BIN)/govulncheck ## xk6 lint: grade, and the security, build, smoke, examples and types checks required
	@mkdir -p out; if [ "$(vuln_db_reachable)" = yes ]; then passed=; else \
	  echo "NOTE: $(VULN_DB) unreachable: the vulnerability check is NOT run (marked passed for the grade only)"; \
	  passed=--passed=vulnerability; fi; \
	PATH="$(TOOLS_BIN):$$PATH" XK6_EARLY_ACCESS=true K6_AUTO_EXTENSION_RESOLUTION=false \
	  $(XK6) lint --json --compact $$passed --out $(CURDIR)/out/xk6-lint.json $(CURDIR) && \
	scripts/xk6-lint-verdict.sh out/xk6-lint.json $(XK6_LINT_PASSING) $(XK6_LINT_REQUIRED)

vulncheck: $(TOOLS_BIN)/govulncheck ## govulncheck every Go module (skipped, with the reason, when the DB is unreachable)
	@if [ "$(vuln_db_reachable)" != yes ]; then echo "SKIP vulncheck: $(VULN_DB) unreachable (no network to the Go vulnerability database)"; exit 0; fi; \
	set -e; for m in $(GO_MODULES); do echo "govulncheck ($$m)"; $(TOOLS_BIN)/govulncheck -C $$m ./...; done

-include mk/*.mk
