#!/usr/bin/env bash
# make test-deploy's image test: builds the real Dockerfile and runs the images for real.
#  1. Installs podman, runc and debootstrap from Debian's packages when no Docker engine answers
#     (as root, apt-get), and makes local stand-ins for the base images (scripts/docker-base-images.sh).
#  2. Builds fw-k6:latest and fwsim:latest (scripts/build-docker.sh); on podman with the host's Go
#     module and build caches mounted (FW_DOCKER_HOST_CACHE=0 turns that off).
#  3. Runs fwbench/e2e TestImage (image contents, the k6-operator initializer's steps, smoke runs
#     against bin/fwsim healthy -> 0 and degraded -> 99, k6 x featherweight compare and capacity in the image, the
#     fwsim image's /healthz), then removes dangling layers; leaves fw-k6:latest and fwsim:latest.
# When no engine can be installed it says why and exits 0 (skipped), unless FW_DOCKER_REQUIRED=1.
set -euo pipefail
cd "$(dirname "$0")/.."
t0=$SECONDS
LOG_DIR=${LOG_DIR:-out/docker-test}
mkdir -p "$LOG_DIR"
export IMAGE=${IMAGE:-fw-k6:latest} FWSIM_IMAGE=${FWSIM_IMAGE:-fwsim:latest}

skip() {
  echo -e "\n!!! docker-test SKIPPED: $*\n" >&2
  [ "${FW_DOCKER_REQUIRED:-0}" = 1 ] && exit 1
  exit 0
}

if [ "${ENGINE:-}" != docker ] && ! { command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; }; then
  missing=()
  for b in podman runc debootstrap dpkg-deb; do command -v "$b" >/dev/null 2>&1 || missing+=("${b%-deb}"); done
  if [ ${#missing[@]} -gt 0 ]; then
    [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 || skip "need ${missing[*]}: not root or no apt-get"
    echo "==> apt-get install ${missing[*]}"
    { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"; } \
      >"$LOG_DIR/apt.log" 2>&1 || { tail "$LOG_DIR/apt.log" >&2; skip "apt-get install ${missing[*]} failed"; }
  fi
  ENGINE=podman
fi
# shellcheck source=scripts/docker-engine.sh
. scripts/docker-engine.sh
pick_engine
"${ENG[@]}" info >"$LOG_DIR/engine-info.log" 2>&1 || skip "$ENGINE does not work here (see $LOG_DIR/engine-info.log)"
echo "==> engine: ${ENG[*]} ${RUNFLAGS[*]}"

if [ "$ENGINE" = podman ] && [ -z "${GO_IMAGE:-}${K6_IMAGE:-}" ]; then
  eval "$(scripts/docker-base-images.sh | grep -E '^(GO|K6)_IMAGE=')"
  export GO_IMAGE K6_IMAGE
  echo "==> base images: $GO_IMAGE $K6_IMAGE"
fi
if [ "$ENGINE" = podman ] && [ "${FW_DOCKER_HOST_CACHE:-1}" = 1 ]; then
  mkdir -p "$(go env GOMODCACHE)" "$(go env GOCACHE)"
  export BUILD_FLAGS="${BUILD_FLAGS:-} -v $(go env GOMODCACHE):/go/pkg/mod -v $(go env GOCACHE):/root/.cache/go-build"
fi
for v in GOPROXY GONOSUMDB GOSUMDB GOPRIVATE; do [ -n "${!v:-}" ] || export "$v=$(go env "$v")"; done
cleanup() {
  "${ENG[@]}" image prune -f >/dev/null 2>&1 || true
  if [ "$ENGINE" = podman ] && [ "${FW_DOCKER_KEEP_BUILDER:-0}" != 1 ] && [ -n "${GO_IMAGE:-}" ]; then
    "${ENG[@]}" rmi "$GO_IMAGE" >/dev/null 2>&1 || true # re-imported from .cache/docker-base next time
  fi
}
trap cleanup EXIT

t=$SECONDS
scripts/build-docker.sh >"$LOG_DIR/build.log" 2>&1 || { tail -40 "$LOG_DIR/build.log" >&2; echo "FAIL: image build (see $LOG_DIR/build.log)" >&2; exit 1; }
echo "==> built $IMAGE and $FWSIM_IMAGE in $((SECONDS - t)) s"

FW_ENGINE="${ENG[*]}" FW_ENGINE_RUN_FLAGS="${RUNFLAGS[*]}" FW_FWSIM="$PWD/${FWSIM:-bin/fwsim}" \
  go -C fwbench test -tags e2e,deploy -count=1 -timeout 20m -v -run '^TestImage$' ./e2e/ | tee "$LOG_DIR/test.log"
"${ENG[@]}" images --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep -E "(fw-k6|fwsim):latest" || true
echo "PASS docker-test in $((SECONDS - t0)) s"
