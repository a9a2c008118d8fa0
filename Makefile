# xk6-featherweight. `make help` lists the targets.
# `make test` needs Go, make, git and curl only (no root, nothing outside the repository);
# the deployment tests are `make test-deploy` (mk/deploy.mk).
SHELL := /bin/bash
.DEFAULT_GOAL := help

K6_VERSION ?= v1.8.1
MODULE     := github.com/featherweight/xk6-featherweight
XK6        := go -C tools tool xk6
GO_SOURCES := go.mod go.sum fwsim/go.mod fwsim/go.sum $(shell find . -name '*.go' -not -path './tools/*' -not -name '*_test.go')

# The Go modules of the repository: the extension, and fwsim and fwbench where they have their own go.mod.
GO_MODULES := . $(patsubst %/go.mod,%,$(wildcard fwsim/go.mod fwbench/go.mod))
# Build tags whose files must be vetted and linted too. Each module is vetted, linted and tested
# even when an earlier one failed; the target fails at the end.
LINT_TAGS  := e2e,loadtest

# Tools pinned in tools/go.mod, installed into bin/tools (never onto the user's PATH).
TOOLS_BIN     := $(CURDIR)/bin/tools
GOLANGCI_LINT := $(TOOLS_BIN)/golangci-lint
tool_pkg_golangci-lint := github.com/golangci/golangci-lint/v2/cmd/golangci-lint
tool_pkg_gosec         := github.com/securego/gosec/v2/cmd/gosec
tool_pkg_govulncheck   := golang.org/x/vuln/cmd/govulncheck

# flock (util-linux) serializes concurrent xk6 builds of one checkout; optional (macOS has none).
LOCK := $(if $(shell command -v flock 2>/dev/null),flock $(CURDIR)/.build.lock)

.PHONY: help
help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_.-]+:.*## / {printf "  \033[36m%-16s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: build
build: k6 ## Build ./k6 (k6 v1.8.1, or K6_VERSION, + this extension) with the pinned xk6

k6: $(GO_SOURCES) tools/go.mod tools/go.sum
	$(LOCK) $(XK6) build $(K6_VERSION) --with $(MODULE)=$(CURDIR) --output $(CURDIR)/k6
	./k6 version | grep -q 'k6/x/featherweight'

.PHONY: fwsim
fwsim: bin/fwsim ## Build the reference backend bin/fwsim

bin/fwsim: $(GO_SOURCES)
	go -C fwsim build -o ../bin/fwsim ./cmd/fwsim

$(TOOLS_BIN)/%: tools/go.mod tools/go.sum
	GOBIN=$(TOOLS_BIN) go -C tools install $(tool_pkg_$*)

.PHONY: tools
tools: $(GOLANGCI_LINT) $(TOOLS_BIN)/gosec $(TOOLS_BIN)/govulncheck ## Install the pinned lint tools into bin/tools

.PHONY: run
run: build fwsim ## Run the bundled 1,000-VU scenario (against bin/fwsim unless FW_CHAT_URL is set)
	scripts/run.sh

.PHONY: smoke
smoke: build fwsim ## Run the bundled scenario's short smoke profile against bin/fwsim
	FW_PROFILE=smoke scripts/run.sh

.PHONY: test
test: lint test-unit test-e2e ## The README's test command: lint, unit (-race, every module), end-to-end

.PHONY: lint
lint: lint-fmt lint-vet lint-golangci ## gofmt, go vet and golangci-lint in every Go module

.PHONY: lint-fmt
lint-fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed: $$out"; exit 1; fi

.PHONY: lint-vet
lint-vet:
	@rc=0; for m in $(GO_MODULES); do echo "go vet ($$m)"; go -C $$m vet -tags $(LINT_TAGS) ./... || rc=1; done; exit $$rc

.PHONY: lint-golangci
lint-golangci: $(GOLANGCI_LINT)
	@rc=0; for m in $(GO_MODULES); do echo "golangci-lint ($$m)"; \
	  (cd $$m && $(GOLANGCI_LINT) run --config $(CURDIR)/.golangci.yml --build-tags $(LINT_TAGS) ./...) || rc=1; done; exit $$rc

.PHONY: test-unit
test-unit: ## Unit tests with the race detector in every Go module (no k6 binary needed)
	@rc=0; for m in $(GO_MODULES); do echo "go test -race ($$m)"; go -C $$m test -race -count=1 ./... || rc=1; done; exit $$rc

.PHONY: test-e2e
test-e2e: build fwsim ## End-to-end: the real ./k6 against bin/fwsim on loopback
	@mkdir -p out
	FW_K6=$(CURDIR)/k6 FW_FWSIM=$(CURDIR)/bin/fwsim go -C fwbench test -tags e2e -count=1 -timeout 20m -v ./e2e/ 2>&1 | tee out/e2e.log | grep -E '^(=== RUN|--- |PASS|FAIL|ok|panic)' ; exit $${PIPESTATUS[0]}

.PHONY: bench
bench: ## Go benchmarks (decoders, scrape, frame encoding) — see docs/BENCHMARKS.md
	go test -run '^$$' -bench . -benchmem ./chatws/ ./hz/
	go -C fwsim test -run '^$$' -bench . -benchmem .

.PHONY: clean
clean: ## Remove build outputs
	rm -rf k6 bin out dist

-include mk/*.mk
