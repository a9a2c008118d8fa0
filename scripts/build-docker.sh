#!/usr/bin/env bash
# Builds the container images:
#   fw-k6:latest   (Dockerfile)        k6 v1.8.1 + xk6-featherweight, bundled scripts in /opt/featherweight/examples
#   fwsim:latest   (Dockerfile.fwsim)  the reference backend, a static binary FROM scratch
# Uses docker when an engine answers, else podman (scripts/docker-engine.sh).
#
# Environment:
#   IMAGE=fw-k6:latest  FWSIM_IMAGE=fwsim:latest  TARGETS="fw-k6 fwsim"
#   GO_IMAGE, K6_IMAGE  base images (build args; defaults in the Dockerfile)
#   GOPROXY, GONOSUMDB, GOSUMDB, GOPRIVATE, GOFLAGS  passed through as build args when set
#   BUILD_FLAGS         extra flags for `build` (e.g. -v /host/cache:/go/pkg/mod on podman)
#   PODMAN_BUILD_FLAGS  default --layers=false: with the vfs driver every cached layer is a full copy
# Extra arguments are passed to every `build` command.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/docker-engine.sh
. scripts/docker-engine.sh
pick_engine

IMAGE=${IMAGE:-fw-k6:latest}
FWSIM_IMAGE=${FWSIM_IMAGE:-fwsim:latest}
TARGETS=${TARGETS:-fw-k6 fwsim}

args=()
for v in GO_IMAGE K6_IMAGE GOPROXY GONOSUMDB GOSUMDB GOPRIVATE GOFLAGS; do
  if [ -n "${!v:-}" ]; then args+=(--build-arg "$v=${!v}"); fi
done
# shellcheck disable=SC2206 # a list of flags
[ -n "${BUILD_FLAGS:-}" ] && args+=(${BUILD_FLAGS})
if [ "$ENGINE" = podman ]; then
  # shellcheck disable=SC2206
  args+=(${PODMAN_BUILD_FLAGS---layers=false})
fi

for t in $TARGETS; do
  case $t in
    fw-k6) tag=$IMAGE file=Dockerfile ;;
    fwsim) tag=$FWSIM_IMAGE file=Dockerfile.fwsim ;;
    *) echo "unknown target $t (expected fw-k6 or fwsim)" >&2; exit 2 ;;
  esac
  echo "==> $ENGINE build -f $file -t $tag"
  start=$SECONDS
  "${ENG[@]}" build "${RUNFLAGS[@]}" "${args[@]}" -t "$tag" -f "$file" "$@" .
  echo "==> built $tag in $((SECONDS - start)) s"
done
