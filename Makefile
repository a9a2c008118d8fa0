# xk6-featherweight. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

K6_VERSION ?= v1.8.1
MODULE     := github.com/featherweight/xk6-featherweight
XK6        := go -C tools tool xk6
GO_SOURCES := go.mod go.sum fwsim/go.mod fwsim/go.sum $(shell find . -name '*.go' -not -path './tools/*' -not -path './e2e/*' -not -name '*_test.go')

.PHONY: help
help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_.-]+:.*## / {printf "  \033[36m%-16s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: build
build: k6 ## Build ./k6 (k6 v1.8.1, or K6_VERSION, + this extension) with the pinned xk6

k6: $(GO_SOURCES) tools/go.mod tools/go.sum
	flock $(CURDIR)/.build.lock $(XK6) build $(K6_VERSION) --with $(MODULE)=$(CURDIR) --output $(CURDIR)/k6
	./k6 version | grep -q 'k6/x/featherweight'

.PHONY: fwsim
fwsim: bin/fwsim ## Build the reference backend bin/fwsim

bin/fwsim: $(GO_SOURCES)
	go -C fwsim build -o ../bin/fwsim ./cmd/fwsim

.PHONY: run
run: build fwsim ## Run the bundled 1,000-VU scenario (against bin/fwsim unless FW_CHAT_URL is set)
	scripts/run.sh

.PHONY: smoke
smoke: build fwsim ## Run the bundled scenario's short smoke profile against bin/fwsim
	FW_PROFILE=smoke scripts/run.sh

.PHONY: test
test: lint test-unit test-e2e test-deploy ## Everything CI runs: lint, unit (-race), end-to-end, deployment tests

.PHONY: lint
lint: ## gofmt and go vet
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed: $$out"; exit 1; fi
	go vet ./...
	go vet -tags e2e ./e2e/...

.PHONY: test-unit
test-unit: ## Unit tests with the race detector (no k6 binary needed)
	go test -race -count=1 ./...

.PHONY: test-e2e
test-e2e: build fwsim ## End-to-end: the real ./k6 against bin/fwsim on loopback
	@mkdir -p out
	FW_K6=$(CURDIR)/k6 FW_FWSIM=$(CURDIR)/bin/fwsim go test -tags e2e -count=1 -timeout 20m -v ./e2e/ 2>&1 | tee out/e2e.log | grep -E '^(=== RUN|--- |PASS|FAIL|ok|panic)' ; exit $${PIPESTATUS[0]}

.PHONY: bench
bench: ## Go benchmarks (decoders, scrape, frame encoding) — see docs/BENCHMARKS.md
	go test -run '^$$' -bench . -benchmem ./chatws/ ./hz/
	go -C fwsim test -run '^$$' -bench . -benchmem .

.PHONY: clean
clean: ## Remove build outputs
	rm -rf k6 bin out dist

-include mk/*.mk
