#!/usr/bin/env bash
# Makes local stand-ins for the Dockerfile's base images on a machine that cannot pull from a registry,
# and imports them into podman's store:
#   localhost/fw-go-builder:bookworm   for GO_IMAGE (golang:1.26-bookworm): Debian bookworm minbase with
#                                      git and ca-certificates, this machine's /usr/local/go, GOPATH=/go
#   localhost/fw-k6-base:standin       for K6_IMAGE (grafana/k6:1.8.1): busybox (a shell), CA bundle,
#                                      user k6 = 12345:12345 with home /home/k6
# The root folders are cached as tarballs in .cache/docker-base/ (gitignored), so re-runs only import.
# The machine's own CA bundle replaces Debian's: outbound TLS may be re-signed by a CA only it trusts.
#
# Environment: DEBIAN_MIRROR (default: the first URI of /etc/apt/sources.list.d/debian.sources or
# sources.list), GOROOT_SRC (default: `go env GOROOT`), CACHE_DIR (default .cache/docker-base).
# Prints the two image names as GO_IMAGE=... and K6_IMAGE=... on its last lines.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/docker-engine.sh
. scripts/docker-engine.sh
ENGINE=${ENGINE:-podman}
pick_engine

CACHE_DIR=${CACHE_DIR:-$PWD/.cache/docker-base}
GO_IMAGE_NAME=${GO_IMAGE_NAME:-localhost/fw-go-builder:bookworm}
K6_IMAGE_NAME=${K6_IMAGE_NAME:-localhost/fw-k6-base:standin}
GOROOT_SRC=${GOROOT_SRC:-$(go env GOROOT)}
CA_BUNDLE=${CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}
mkdir -p "$CACHE_DIR"

go_version=$("$GOROOT_SRC/bin/go" env GOVERSION)
builder_tar=$CACHE_DIR/builder-bookworm-$go_version.tar
runtime_tar=$CACHE_DIR/k6-base-busybox.tar

mirror() {
  if [ -n "${DEBIAN_MIRROR:-}" ]; then echo "$DEBIAN_MIRROR"; return; fi
  local m=
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    m=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources)
  fi
  if [ -z "$m" ] && [ -f /etc/apt/sources.list ]; then
    m=$(awk '$1 == "deb" && $2 !~ /security/ {print $2; exit}' /etc/apt/sources.list)
  fi
  echo "${m:-http://deb.debian.org/debian}"
}

if [ ! -s "$builder_tar" ]; then
  echo "==> debootstrap bookworm minbase (+git, ca-certificates) from $(mirror)"
  start=$SECONDS
  dir=$(mktemp -d "$CACHE_DIR/builder.XXXXXX")
  trap 'rm -rf "$dir"' EXIT
  debootstrap --variant=minbase --include=git,ca-certificates bookworm "$dir" "$(mirror)" >"$CACHE_DIR/debootstrap.log" 2>&1 \
    || { tail -20 "$CACHE_DIR/debootstrap.log" >&2; exit 1; }
  rm -rf "$dir/var/cache/apt/archives/"*.deb "$dir/var/lib/apt/lists/"*
  mkdir -p "$dir/usr/local" "$dir/go"
  cp -a "$GOROOT_SRC" "$dir/usr/local/go"
  cp "$CA_BUNDLE" "$dir/etc/ssl/certs/ca-certificates.crt"
  tar -C "$dir" -cf "$builder_tar.tmp" . && mv "$builder_tar.tmp" "$builder_tar"
  rm -rf "$dir"; trap - EXIT
  echo "==> builder root cached in $builder_tar ($((SECONDS - start)) s)"
fi

if [ ! -s "$runtime_tar" ]; then
  echo "==> busybox root for the k6 runtime stand-in"
  dir=$(mktemp -d "$CACHE_DIR/runtime.XXXXXX")
  trap 'rm -rf "$dir"' EXIT
  (cd "$dir" && apt-get download busybox-static >/dev/null 2>&1) || {
    apt-get update -q >/dev/null && (cd "$dir" && apt-get download busybox-static >/dev/null)
  }
  dpkg-deb -x "$dir"/busybox-static_*.deb "$dir/root"
  r=$dir/root
  mkdir -p "$r/usr/bin" "$r/usr/sbin" "$r/sbin" "$r/etc/ssl/certs" "$r/tmp" "$r/home/k6" "$r/var/tmp"
  chmod 1777 "$r/tmp" "$r/var/tmp"
  # busybox lives in /bin; every applet (sh, ls, id, wget, ...) is a link to it.
  for a in $("$r/bin/busybox" --list); do
    [ -e "$r/bin/$a" ] || ln -s busybox "$r/bin/$a"
  done
  cp "$CA_BUNDLE" "$r/etc/ssl/certs/ca-certificates.crt"
  printf 'root:x:0:0:root:/root:/bin/sh\nk6:x:12345:12345:k6:/home/k6:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$r/etc/passwd"
  printf 'root:x:0:\nk6:x:12345:\nnogroup:x:65534:\n' >"$r/etc/group"
  chown 12345:12345 "$r/home/k6"
  rm -rf "$r/usr/share/doc"
  tar -C "$r" -cf "$runtime_tar.tmp" . && mv "$runtime_tar.tmp" "$runtime_tar"
  rm -rf "$dir"; trap - EXIT
fi

if ! "${ENG[@]}" image exists "$GO_IMAGE_NAME"; then
  echo "==> import $GO_IMAGE_NAME"
  "${ENG[@]}" import -q \
    --change 'ENV PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV GOPATH=/go' --change 'ENV GOTOOLCHAIN=local' --change 'WORKDIR /go' \
    "$builder_tar" "$GO_IMAGE_NAME" >/dev/null
fi
if ! "${ENG[@]}" image exists "$K6_IMAGE_NAME"; then
  echo "==> import $K6_IMAGE_NAME"
  "${ENG[@]}" import -q \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'USER 12345' --change 'WORKDIR /home/k6' --change 'ENTRYPOINT ["k6"]' \
    "$runtime_tar" "$K6_IMAGE_NAME" >/dev/null
fi
echo "GO_IMAGE=$GO_IMAGE_NAME"
echo "K6_IMAGE=$K6_IMAGE_NAME"
