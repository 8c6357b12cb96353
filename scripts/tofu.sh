#!/usr/bin/env bash
# Prints the absolute path of an OpenTofu CLI built from source into bin/tofu.
#
# The binary is compiled from the OpenTofu module fetched through the Go module
# proxy (no prebuilt binaries are downloaded). The build is cached: when
# bin/tofu already reports the pinned version this script returns immediately.
#
# Progress messages go to stderr; the path is the last line on stdout.
set -euo pipefail

TOFU_VERSION="${TOFU_VERSION:-1.10.6}"

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin_dir="$repo/bin"
out="$bin_dir/tofu"

installed_version() {
	# An empty CLI config keeps tofu from warning about a missing ~/.terraformrc.
	TF_CLI_CONFIG_FILE=/dev/null "$out" version 2>/dev/null | head -n 1 || true
}

if [ -x "$out" ]; then
	if [ "$(installed_version)" = "OpenTofu v$TOFU_VERSION" ]; then
		printf '%s\n' "$out"
		exit 0
	fi
	echo "tofu.sh: $out is not OpenTofu v$TOFU_VERSION; rebuilding" >&2
fi

mkdir -p "$bin_dir"

echo "tofu.sh: fetching github.com/opentofu/opentofu@v$TOFU_VERSION via the Go module proxy" >&2
# Run outside the repository so that this module's go.mod/go.sum are untouched.
json="$(cd "${TMPDIR:-/tmp}" && GOWORK=off GOFLAGS='' go mod download -json "github.com/opentofu/opentofu@v$TOFU_VERSION")"
src="$(printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"Dir":[[:space:]]*"\(.*\)",\{0,1\}[[:space:]]*$/\1/p' | head -n 1)"
if [ -z "$src" ] || [ ! -d "$src" ]; then
	echo "tofu.sh: could not locate the downloaded module directory" >&2
	printf '%s\n' "$json" >&2
	exit 1
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/fmcupgrade-tofu.XXXXXX")"
cleanup() { rm -rf "$work" "$out.tmp"; }
trap cleanup EXIT

# The module cache is read-only; build from a writable copy.
cp -R "$src/." "$work/"
chmod -R u+w "$work"

echo "tofu.sh: building OpenTofu v$TOFU_VERSION (takes a few minutes)" >&2
start="$(date +%s)"
(
	cd "$work"
	# Same flags as OpenTofu's release build; version.dev=no drops the "-dev" suffix.
	GOWORK=off GOFLAGS=-buildvcs=false CGO_ENABLED=0 \
		go build -mod=readonly -trimpath \
		-ldflags "-s -w -X github.com/opentofu/opentofu/version.dev=no" \
		-o "$out.tmp" ./cmd/tofu
)
mv -f "$out.tmp" "$out"
echo "tofu.sh: built $out in $(($(date +%s) - start))s" >&2

printf '%s\n' "$out"
