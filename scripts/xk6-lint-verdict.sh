#!/usr/bin/env bash
# Reads the compact JSON of `xk6 lint --json --compact` (FILE), prints each check and the grade, and
# fails unless every REQUIRED check passed and the grade is PASSING or better.
# Usage: scripts/xk6-lint-verdict.sh FILE PASSING REQUIRED...   (run by `make xk6-lint`)
set -euo pipefail
file=$1 passing=$2
shift 2
json=$(tr -d '\n' <"$file")
# One check a line: {"details":"...","id":"security","passed":true}
checks=$(grep -o '{[^{}]*"id":"[a-z]*","passed":\(true\|false\)}' <<<"$json" || true)
if [ -z "$checks" ]; then
  echo "xk6 lint: no checks in $file" >&2
  exit 1
fi
while IFS= read -r c; do
  id=$(sed 's/.*"id":"\([a-z]*\)".*/\1/' <<<"$c")
  passed=$(sed 's/.*"passed":\([a-z]*\)}$/\1/' <<<"$c")
  details=$(sed -n 's/.*"details":"\(.*\)","id".*/\1/p' <<<"$c")
  printf '%-14s %-5s %s\n' "$id" "$( [ "$passed" = true ] && echo pass || echo FAIL)" "$details"
done <<<"$checks"
grade=$(grep -o '"grade":"[A-Z]"' <<<"$json" | cut -d'"' -f4)
echo "grade: $grade (passing: $passing or better)"
rc=0
for id in "$@"; do
  if ! grep -q "\"id\":\"$id\",\"passed\":true" <<<"$checks"; then
    echo "xk6 lint: the required check '$id' did not pass" >&2
    rc=1
  fi
done
if [ -z "$grade" ] || [[ "$grade" > "$passing" ]]; then
  echo "xk6 lint: grade ${grade:-missing} is below $passing" >&2
  rc=1
fi
exit $rc
