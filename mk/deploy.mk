# Deployment targets: container images, compose/Prometheus, Kubernetes manifests, locally distributed runs.
# Included by the root Makefile (-include mk/*.mk). `make test-deploy` runs them all (CI: .ci/run, after
# `make test`); they may install Debian packages as root and read the k6-operator CRD from ../shared/
# (override K6_OPERATOR_CRD). See docs/deploy.md.

K6_OPERATOR_CRD ?= $(CURDIR)/../shared/k6-operator/k6.io_testruns.yaml
SEGMENTS        ?= 3

.PHONY: docker
docker: ## Build fw-k6:latest and fwsim:latest (docker if an engine answers, else podman)
	scripts/build-docker.sh

.PHONY: docker-test
docker-test: fwsim ## Build the images for real (podman + local base images if no docker) and run smoke 0 / degraded 99
	scripts/docker-test.sh

.PHONY: prom-test
prom-test: build fwsim ## Smoke run with remote write into a local Prometheus, then read a k6_fw_ series back
	scripts/prom-test.sh

.PHONY: k8s-validate
k8s-validate: ## Validate examples/k8s against the k6-operator TestRun CRD offline (unknown fields are errors)
	K6_OPERATOR_CRD=$(K6_OPERATOR_CRD) scripts/k8s-validate.sh

.PHONY: segments-test
segments-test: build fwsim ## Run the bundled scenario split over SEGMENTS (3) k6 processes; sums must equal the plan
	scripts/segments.sh $(SEGMENTS)

.PHONY: test-deploy
test-deploy: k8s-validate segments-test prom-test docker-test ## Deployment tests: manifests (../shared CRD), segments, Prometheus, container image
