#!/usr/bin/env bash
# Runs every Fuzz* target under the given packages (default ./internal/...)
# for a bounded time each. `go test -fuzz` accepts exactly one package and one
# target per invocation, so targets are discovered first and run one by one.
#
# Usage: FUZZTIME=20s scripts/fuzz.sh [packages...]
set -euo pipefail

FUZZTIME="${FUZZTIME:-20s}"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

if [ "$#" -eq 0 ]; then
	set -- ./internal/...
fi

# `go test -list` prints the matching names of each package followed by an
# "ok <import path> <time>" line; pair the names with that import path.
listing="$(go test -count=1 -run '^$' -list '^Fuzz' "$@")"
pairs="$(printf '%s\n' "$listing" | awk '
	/^Fuzz[A-Za-z0-9_]*$/ { names[n++] = $1; next }
	/^ok[ \t]/ { for (i = 0; i < n; i++) print $2, names[i]; n = 0 }
')"

if [ -z "$pairs" ]; then
	echo "fuzz: no Fuzz targets found in: $*"
	exit 0
fi

count=0
while read -r pkg target; do
	count=$((count + 1))
	echo "==> fuzzing $pkg $target for $FUZZTIME"
	go test -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZTIME" "$pkg"
done <<<"$pairs"

echo "fuzz: $count target(s) passed ($FUZZTIME each)"
