# xk6-featherweight. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

K6_VERSION ?= v1.8.1
MODULE     := github.com/featherweight/xk6-featherweight
XK6        := go -C tools tool xk6
GO_TEST_FLAGS ?=

.PHONY: help
help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_.-]+:.*## / {printf "  \033[36m%-14s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: build
build: k6 ## Build ./k6 (k6 $(K6_VERSION) + this extension) with the pinned xk6

k6: go.mod go.sum $(shell find . -name '*.go' -not -path './tools/*' -not -name '*_test.go') tools/go.mod
	flock $(CURDIR)/.build.lock $(XK6) build $(K6_VERSION) --with $(MODULE)=$(CURDIR) --output $(CURDIR)/k6
	./k6 version

.PHONY: fwsim
fwsim: bin/fwsim ## Build the reference backend bin/fwsim

bin/fwsim: go.mod go.sum $(shell find fwsim cmd/fwsim -name '*.go' -not -name '*_test.go')
	go build -o bin/fwsim ./cmd/fwsim
