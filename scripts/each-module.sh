#!/usr/bin/env bash
# Runs one command in every Go module directory at the same time and prints each module's output
# whole, in the order given, once all have finished: `scripts/each-module.sh "go test -race" ". fwsim
# fwbench" -- go test -race -count=1 ./...`. Every module runs even when another fails; the exit
# status is 1 when any failed. The Makefile's lint-vet, lint-golangci and test-unit use it: the
# modules' commands wait on the disk, on test timers and on each other's links at different times, so
# together they take about as long as the slowest alone (make test, docs/testing.md).
set -uo pipefail
label=$1 modules=$2
shift 3 # label, modules, --
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
i=0
for m in $modules; do
  (cd "$m" && "$@") >"$tmp/$i.log" 2>&1 &
  echo $! >"$tmp/$i.pid"
  i=$((i + 1))
done
rc=0 i=0
for m in $modules; do
  wait "$(cat "$tmp/$i.pid")"
  code=$?
  echo "$label ($m)"
  cat "$tmp/$i.log"
  if [ "$code" != 0 ]; then
    echo "$label ($m): FAILED (exit $code)"
    rc=1
  fi
  i=$((i + 1))
done
exit $rc
