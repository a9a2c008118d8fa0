# fw-k6: k6 v1.8.1 with the xk6-featherweight extension, for pipelines and the k6-operator.
#
#   docker build -t fw-k6:latest .                       # the k6 image (default target)
#   docker build -t fwsim:latest -f Dockerfile.fwsim .   # the reference backend (static, FROM scratch)
#   docker run --rm --network host fw-k6:latest          # the bundled 1,000-VU scenario
#   docker run --rm --network host -e FW_PROFILE=smoke fw-k6:latest
#   docker run --rm -v "$PWD:/scripts" fw-k6:latest run /scripts/other.js
#   docker run --rm -v "$PWD/out:/out" fw-k6:latest x featherweight compare /out/a/summary.json /out/b/summary.json
#   docker run --rm --network host -e FW_CHAT_URL=... fw-k6:latest x featherweight capacity   # docs/capacity.md
#   docker run --rm -e FW_PROMETHEUS_URL=... -e FW_TESTID=... fw-k6:latest x featherweight verdict   # docs/deploy.md
# The pipeline tools are subcommands of the image's k6 (k6 x featherweight ...; docs/tools.md): there is
# no other binary in the image.
#
# Both base images are build args so that machines without a registry can pass local stand-ins
# (scripts/docker-test.sh does). The builder needs a working `git` (xk6 refuses to start without
# one), which golang:*-bookworm has and golang:*-alpine lacks. The runtime keeps a shell (the
# k6-operator's initializer runs `sh -c`) and the non-root user 12345 of grafana/k6.
ARG GO_IMAGE=golang:1.26-bookworm
ARG K6_IMAGE=grafana/k6:1.8.1

FROM ${GO_IMAGE} AS builder
# Module download settings pass through from the build command line (empty = Go's defaults).
ARG GOPROXY= GONOSUMDB= GOSUMDB= GOPRIVATE= GOFLAGS=-buildvcs=false K6_VERSION=v1.8.1
COPY . /src
# One layer: k6 built through the xk6 pinned in tools/ (static: the runtime may be musl-based), and the
# runtime tree laid out under /out/k6 for a single COPY.
RUN set -eux; cd /src; export CGO_ENABLED=0 GOTOOLCHAIN=local; \
    mkdir -p /out/k6/usr/bin /out/k6/opt/featherweight; \
    go -C tools tool xk6 build "${K6_VERSION}" \
        --with github.com/featherweight/xk6-featherweight=/src --output /out/k6/usr/bin/k6; \
    /out/k6/usr/bin/k6 version | grep -q 'k6/x/featherweight'; \
    K6_AUTO_EXTENSION_RESOLUTION=false /out/k6/usr/bin/k6 x featherweight --help | grep -q capacity; \
    cp -r /src/examples /out/k6/opt/featherweight/examples; \
    rm -rf /out/k6/opt/featherweight/examples/compose /out/k6/opt/featherweight/examples/k8s

# The k6 image.
FROM ${K6_IMAGE}
COPY --from=builder /out/k6/ /
# The FW_* knobs of the bundled scenario (FW_CHAT_URL, FW_METRICS_URL, FW_HEALTHZ_URL, FW_PROTOCOL,
# FW_VUS, FW_RAMP, FW_HOLD, FW_RAMP_DOWN, FW_THINK, FW_TURNS, FW_TTFT_P95, FW_HZ_MIN, FW_HZ_CHECK_RATE,
# FW_HZ_SCRAPERS, FW_PROFILE, FW_OUT_DIR, FW_TESTID) are read from the container's environment: pass them with -e / env:. The
# script's own defaults apply when they are unset.
ENV FW_EXAMPLES=/opt/featherweight/examples
# No automatic extension resolution: an image for air-gapped pipelines never asks a remote builder for
# another k6 (k6 v1.8.1 would, for a `k6 x` subcommand or an import this binary lacks).
ENV K6_AUTO_EXTENSION_RESOLUTION=false
# The web dashboard (K6_WEB_DASHBOARD=true; K6_WEB_DASHBOARD_EXPORT=... for the HTML report) shows
# the chat layout: TTFT, ITL, turns and errors by kind, tokens/s, the loop's Hz.
ENV XK6_DASHBOARD_CONFIG=/opt/featherweight/examples/dashboard/featherweight.dashboard.json \
    K6_WEB_DASHBOARD_TAGS=group,error_kind
USER 12345
WORKDIR /home/k6
ENTRYPOINT ["k6"]
CMD ["run", "/opt/featherweight/examples/featherweight-load.js"]
