#!/usr/bin/env bash
# make docker-test: builds the real Dockerfile and runs the image for real.
#
#  1. Installs podman, runc and debootstrap from Debian's packages when missing (as root, apt-get).
#  2. With podman (no Docker engine answers): makes local stand-ins for the base images
#     (scripts/docker-base-images.sh) and passes them as GO_IMAGE / K6_IMAGE. With docker: the
#     Dockerfile's defaults (golang:1.26-bookworm, grafana/k6:1.8.1) unless GO_IMAGE / K6_IMAGE are set.
#  3. Builds fw-k6:latest and fwsim:latest (scripts/build-docker.sh). On podman the host's Go module and
#     build caches are mounted into the build (FW_DOCKER_HOST_CACHE=0 turns that off).
#  4. Checks the image: `k6 version` lists the extension, user 12345, a shell exists, the bundled
#     script is at /opt/featherweight/examples/featherweight-load.js, and the k6-operator initializer's
#     steps work (sh -c "k6 archive ... && k6 inspect --execution-requirements").
#  5. Runs the image's default command with FW_PROFILE=smoke against bin/fwsim on the host network
#     -> exit 0, and against a degraded loop (fwsim -hz 60) -> exit 99; then fwcompare in the image
#     judges the degraded run a regression (exit 1, fw_loop_hz), and fwcapacity in the image finds
#     fwsim -capacity 20's knee.
#  6. Runs the fwsim image and reads its /healthz.
#  7. Removes the containers it made and dangling layers; leaves fw-k6:latest and fwsim:latest.
# When no engine can be installed it says why and exits 0 (skipped), unless FW_DOCKER_REQUIRED=1.
set -euo pipefail
cd "$(dirname "$0")/.."
t0=$SECONDS
FWSIM=${FWSIM:-bin/fwsim}
IMAGE=${IMAGE:-fw-k6:latest}
FWSIM_IMAGE=${FWSIM_IMAGE:-fwsim:latest}
LOG_DIR=${LOG_DIR:-out/docker-test}
mkdir -p "$LOG_DIR"

skip() {
  echo "" >&2
  echo "!!! docker-test SKIPPED: $*" >&2
  echo "" >&2
  if [ "${FW_DOCKER_REQUIRED:-0}" = 1 ]; then exit 1; fi
  exit 0
}

# 1. the engine
docker_ok() { command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; }
if [ "${ENGINE:-}" != docker ] && ! docker_ok; then
  missing=()
  for b in podman runc debootstrap; do command -v "$b" >/dev/null 2>&1 || missing+=("$b"); done
  command -v dpkg-deb >/dev/null 2>&1 || missing+=(dpkg)
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" != 0 ]; then skip "need ${missing[*]} and not root (cannot apt-get install)"; fi
    command -v apt-get >/dev/null 2>&1 || skip "need ${missing[*]} and there is no apt-get"
    echo "==> apt-get install ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >"$LOG_DIR/apt.log" 2>&1 || { tail "$LOG_DIR/apt.log" >&2; skip "apt-get update failed"; }
    apt-get install -y -q --no-install-recommends "${missing[@]}" >>"$LOG_DIR/apt.log" 2>&1 \
      || { tail "$LOG_DIR/apt.log" >&2; skip "apt-get install ${missing[*]} failed (see $LOG_DIR/apt.log)"; }
  fi
  ENGINE=podman
fi
# shellcheck source=scripts/docker-engine.sh
. scripts/docker-engine.sh
pick_engine
echo "==> engine: ${ENG[*]} ${RUNFLAGS[*]}"
if ! "${ENG[@]}" info >"$LOG_DIR/engine-info.log" 2>&1; then
  tail "$LOG_DIR/engine-info.log" >&2
  skip "$ENGINE does not work here (see $LOG_DIR/engine-info.log)"
fi

# 2. base images
if [ "$ENGINE" = podman ] && [ -z "${GO_IMAGE:-}${K6_IMAGE:-}" ]; then
  t=$SECONDS
  eval "$(scripts/docker-base-images.sh | grep -E '^(GO|K6)_IMAGE=')"
  export GO_IMAGE K6_IMAGE
  echo "==> base images: $GO_IMAGE $K6_IMAGE ($((SECONDS - t)) s)"
fi

# 3. build
if [ "$ENGINE" = podman ] && [ "${FW_DOCKER_HOST_CACHE:-1}" = 1 ] && command -v go >/dev/null 2>&1; then
  modcache=$(go env GOMODCACHE); gocache=$(go env GOCACHE)
  mkdir -p "$modcache" "$gocache"
  export BUILD_FLAGS="${BUILD_FLAGS:-} -v $modcache:/go/pkg/mod -v $gocache:/root/.cache/go-build"
fi
for v in GOPROXY GONOSUMDB GOSUMDB GOPRIVATE; do
  if [ -z "${!v:-}" ] && command -v go >/dev/null 2>&1; then
    val=$(go env "$v"); [ -n "$val" ] && export "$v=$val"
  fi
done
t=$SECONDS
IMAGE=$IMAGE FWSIM_IMAGE=$FWSIM_IMAGE scripts/build-docker.sh >"$LOG_DIR/build.log" 2>&1 \
  || { tail -40 "$LOG_DIR/build.log" >&2; echo "FAIL: image build (see $LOG_DIR/build.log)" >&2; exit 1; }
build_s=$((SECONDS - t))
echo "==> built $IMAGE and $FWSIM_IMAGE in $build_s s"

. scripts/lib/fwsim.sh
containers=()
cleanup() {
  stop_fwsim
  for c in "${containers[@]}"; do "${ENG[@]}" rm -f "$c" >/dev/null 2>&1 || true; done
  "${ENG[@]}" image prune -f >/dev/null 2>&1 || true
  if [ "$ENGINE" = podman ] && [ "${FW_DOCKER_KEEP_BUILDER:-0}" != 1 ] && [ -n "${GO_IMAGE:-}" ]; then
    "${ENG[@]}" rmi "$GO_IMAGE" >/dev/null 2>&1 || true  # re-imported from .cache/docker-base next time
  fi
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
run() { "${ENG[@]}" run --rm "${RUNFLAGS[@]}" "$@"; }

# 4. the image's contents
ver=$(run "$IMAGE" version)
echo "$ver"
grep -q 'k6/x/featherweight' <<<"$ver" || fail "k6 version does not list k6/x/featherweight"
grep -q 'v1.8.1' <<<"$ver" || fail "not k6 v1.8.1"
who=$(run --entrypoint sh "$IMAGE" -c 'id -u; test -f /opt/featherweight/examples/featherweight-load.js && echo script-ok; command -v k6')
[ "$(sed -n 1p <<<"$who")" = 12345 ] || fail "image user is $(sed -n 1p <<<"$who"), want 12345"
grep -q script-ok <<<"$who" || fail "bundled script missing at /opt/featherweight/examples/featherweight-load.js"
grep -qx /usr/bin/k6 <<<"$who" || fail "k6 is not /usr/bin/k6"
echo "==> image: user 12345, shell, /usr/bin/k6, bundled script: ok"
# What the k6-operator's initializer does (sh -c, k6 archive, k6 inspect), with arguments replacing CMD.
req=$(run --entrypoint sh "$IMAGE" -c 'cd /tmp && k6 archive -e FW_PROFILE=smoke -O fw.tar /opt/featherweight/examples/featherweight-load.js >/dev/null && k6 inspect --execution-requirements fw.tar') \
  || fail "k6 archive / k6 inspect --execution-requirements in the image failed"
grep -q '"maxVUs"' <<<"$req" || fail "k6 inspect --execution-requirements printed no maxVUs"
echo "==> image: operator initializer steps (sh -c, k6 archive, k6 inspect): ok, maxVUs $(tr -d ' \n' <<<"$req" | sed -n 's/.*"maxVUs":\([0-9]*\).*/\1/p')"

# 5. smoke profile against bin/fwsim on the host network
# Each run writes its summary.json into $RUNS/<name> (mounted at /out) for the fwcompare step.
mkdir -p "$LOG_DIR/runs" && chmod 0777 "$LOG_DIR/runs" # the image's user 12345 writes there
RUNS=$(cd "$LOG_DIR/runs" && pwd) # absolute: a relative -v source is taken as a volume name
smoke() { # $1: name; runs the image's default command (the bundled scenario) with the smoke profile
  local name=$1 host=${base#http://}
  set +e
  mkdir -p "$RUNS/$name" && chmod 0777 "$RUNS/$name" # k6 writes summary.json, it makes no directory
  run --network host --name "fw-docker-test-$name" -v "$RUNS/$name:/out" -e FW_OUT_DIR=/out \
    -e FW_PROFILE=smoke -e K6_NO_USAGE_REPORT=true \
    -e FW_CHAT_URL="ws://$host/api/chat" -e FW_METRICS_URL="$base/metrics" -e FW_HEALTHZ_URL="$base/healthz" \
    "$IMAGE" >"$LOG_DIR/$name.log" 2>&1
  rc=$?
  set -e
}

start_fwsim "$LOG_DIR/fwsim.log"
t=$SECONDS; smoke healthy; stop_fwsim
echo "==> smoke, healthy backend: exit $rc ($((SECONDS - t)) s)"
[ "$rc" = 0 ] || { tail -40 "$LOG_DIR/healthy.log" >&2; fail "healthy smoke run exited $rc, want 0"; }

start_fwsim "$LOG_DIR/fwsim.log" -hz 60
t=$SECONDS; smoke degraded; stop_fwsim
echo "==> smoke, degraded loop (fwsim -hz 60): exit $rc ($((SECONDS - t)) s)"
[ "$rc" = 99 ] || { tail -40 "$LOG_DIR/degraded.log" >&2; fail "degraded smoke run exited $rc, want 99"; }
grep -q "thresholds on metrics '.*fw_loop_hz" "$LOG_DIR/degraded.log" \
  || { tail -40 "$LOG_DIR/degraded.log" >&2; fail "degraded smoke run failed, but not on the Hz thresholds"; }

# 5b. fwcompare in the image: the degraded run against the healthy one is a regression (exit 1)
set +e
run -v "$RUNS:/out:ro" --entrypoint fwcompare "$IMAGE" /out/healthy/summary.json /out/degraded/summary.json \
  >"$LOG_DIR/compare.log" 2>&1
rc=$?
set -e
echo "==> fwcompare healthy vs degraded in the image: exit $rc"
[ "$rc" = 1 ] || { cat "$LOG_DIR/compare.log" >&2; fail "fwcompare exited $rc, want 1 (regression)"; }
grep -q 'fw_loop_hz' "$LOG_DIR/compare.log" || { cat "$LOG_DIR/compare.log" >&2; fail "fwcompare did not name fw_loop_hz"; }

# 5c. fwcapacity in the image, against fwsim -capacity 20 on the host network: the knee at 20 or 30
start_fwsim "$LOG_DIR/fwsim.log" -capacity 20
t=$SECONDS
host=${base#http://}
set +e
run --network host --entrypoint fwcapacity -e K6_NO_USAGE_REPORT=true -e FW_THINK=0 \
  -e FW_CHAT_URL="ws://$host/api/chat" -e FW_METRICS_URL="$base/metrics" -e FW_HEALTHZ_URL="$base/healthz" \
  -e FW_CAPACITY_MIN=10 -e FW_CAPACITY_MAX=40 -e FW_CAPACITY_STEP=10 -e FW_CAPACITY_RAMP=2s \
  -e FW_CAPACITY_HOLD=8s -e FW_CAPACITY_TIMEOUT=4m \
  -e FW_CAPACITY_OUT=/tmp/capacity.json -e FW_CAPACITY_CHART=/tmp/capacity.png \
  "$IMAGE" >"$LOG_DIR/capacity.log" 2>&1
rc=$?
set -e
stop_fwsim
answer=$(grep -E '^(capacity [0-9]+ users: at [0-9]+ |no knee below)' "$LOG_DIR/capacity.log" | tail -1)
echo "==> fwcapacity in the image: exit $rc ($((SECONDS - t)) s): $answer"
[ "$rc" = 0 ] || { tail -40 "$LOG_DIR/capacity.log" >&2; fail "fwcapacity exited $rc, want 0"; }
grep -qE '^capacity (10|20) users: at (20|30) ' <<<"$answer" \
  || { tail -40 "$LOG_DIR/capacity.log" >&2; fail "fwcapacity did not find fwsim's knee near 20 users"; }

# 6. the fwsim image
"${ENG[@]}" run -d "${RUNFLAGS[@]}" --network host --name fw-docker-test-fwsim "$FWSIM_IMAGE" -addr 127.0.0.1:0 >/dev/null
containers+=(fw-docker-test-fwsim)
fbase=
for _ in $(seq 1 50); do
  fbase=$("${ENG[@]}" logs fw-docker-test-fwsim 2>&1 | fwsim_address)
  [ -n "$fbase" ] && break
  sleep 0.2
done
[ -n "$fbase" ] || { "${ENG[@]}" logs fw-docker-test-fwsim >&2; fail "fwsim image did not start"; }
# /healthz answers 503 until the loop has run long enough to measure its Hz: wait for 200.
hz=
for _ in $(seq 1 50); do
  if hz=$(curl -sf "$fbase/healthz"); then break; fi
  hz=; sleep 0.2
done
[ -n "$hz" ] || fail "fwsim image: GET $fbase/healthz did not answer 200 within 10 s"
echo "==> fwsim image: $fbase/healthz -> $hz"

"${ENG[@]}" images --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep -E "(fw-k6|fwsim):latest" || true
echo "PASS docker-test in $((SECONDS - t0)) s (build $build_s s)"
