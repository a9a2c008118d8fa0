#!/usr/bin/env bash
# Fails when the repository tracks a build output: an executable or object file (ELF, Mach-O, PE,
# WebAssembly, ar/Go archive; anywhere, testdata included) or any file over 1 MiB outside a testdata
# directory. It also checks that .gitignore ignores what `go build ./cmd/<name>` leaves in each Go
# module's directory. Run by `make lint` (lint-files); `scripts/check-tracked-files.sh DIR` checks
# the git checkout DIR (default: this repository).
set -euo pipefail
dir=${1:-$(dirname "$0")/..}
cd "$dir"
max_bytes=$((1024 * 1024))
rc=0

# magic prints the kind of build output a file's first bytes name, or nothing.
magic() {
  local head
  head=$(od -An -tx1 -N8 -- "$1" | tr -d ' \n')
  case $head in
    7f454c46*) echo "ELF executable or object" ;;
    feedface* | feedfacf* | cefaedfe* | cffaedfe* | cafebabe*) echo "Mach-O executable" ;;
    4d5a*) echo "PE (Windows) executable" ;;
    0061736d*) echo "WebAssembly module" ;;
    213c617263683e0a*) echo "ar archive (Go package archive)" ;;
  esac
}

# Binary files (git's rule: a NUL byte near the start) are few: only they are read for a magic number.
while IFS= read -r f; do
  [ -f "$f" ] || continue # deleted in the work tree
  kind=$(magic "$f")
  if [ -n "$kind" ]; then
    echo "tracked build output: $f ($kind): git rm --cached it and ignore it" >&2
    rc=1
  fi
done < <(comm -23 <(git ls-files | sort) <(git grep -I --name-only -e '' | sort))

# Sizes in one pass (wc prints "size name" per file, then a total line).
while read -r size f; do
  case /$f in */testdata/*) continue ;; esac
  if [ "$f" != total ] && [ "$size" -gt "$max_bytes" ]; then
    echo "tracked file over 1 MiB outside testdata: $f ($size bytes)" >&2
    rc=1
  fi
done < <(git ls-files -z | xargs -0 wc -c 2>/dev/null || true)

# What `go -C <module> build ./cmd/<name>` writes must be ignored.
while IFS= read -r mod; do
  m=$(dirname "$mod")
  for c in "$m"/cmd/*/; do
    [ -d "$c" ] || continue
    out="$m/$(basename "$c")"
    out=${out#./}
    if ! git check-ignore -q --no-index -- "$out"; then
      echo ".gitignore does not ignore $out (the output of go -C $m build ./cmd/$(basename "$c"))" >&2
      rc=1
    fi
  done
done < <(git ls-files -- 'go.mod' '*/go.mod')
exit $rc
