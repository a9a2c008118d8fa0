#!/usr/bin/env bash
# Prints the end-to-end tests (fwbench/e2e, or DIR) that call t.Parallel() first, as one regular
# expression alternation (TestA|TestB|...): the tests that assert counts, not timing. make test runs
# the others first, alone (go test -skip), then these (go test -run) beside lint and the unit tests.
# A parallel test this misses (t.Parallel() not its first statement) still runs, in the first part.
set -euo pipefail
dir=${1:-$(dirname "$0")/../fwbench/e2e}
awk '/^func Test[A-Za-z0-9_]*\(t \*testing\.T\) \{$/ {
       name = $2; sub(/\(.*/, "", name)
       if ((getline next_line) > 0 && next_line ~ /^\tt\.Parallel\(\)/) print name
     }' "$dir"/*_test.go | sort -u | paste -sd '|' -
