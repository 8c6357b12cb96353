#!/usr/bin/env bash
# Prints the absolute path of a Terraform CLI.
#
#   1. `terraform` found on PATH (skipped when FMCUPGRADE_FORCE_INSTALL=1);
#   2. otherwise bin/terraform, if it was built before (same version);
#   3. otherwise Terraform is built from source into bin/ with
#      `go install github.com/hashicorp/terraform@v$TERRAFORM_VERSION`
#      (fetched through the Go module proxy, no prebuilt binaries).
#
# Progress messages go to stderr; the path is the last line on stdout.
set -euo pipefail

TERRAFORM_VERSION="${TERRAFORM_VERSION:-1.5.7}"

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin_dir="$repo/bin"
out="$bin_dir/terraform"

if [ "${FMCUPGRADE_FORCE_INSTALL:-0}" != "1" ]; then
	if found="$(command -v terraform 2>/dev/null)" && [ -n "$found" ] && [ -x "$found" ]; then
		case "$found" in
		/*) ;;
		*) found="$(cd "$(dirname "$found")" && pwd)/$(basename "$found")" ;;
		esac
		printf '%s\n' "$found"
		exit 0
	fi
fi

if [ -x "$out" ]; then
	if [ "$(CHECKPOINT_DISABLE=1 TF_CLI_CONFIG_FILE=/dev/null "$out" version 2>/dev/null | head -n 1 || true)" = "Terraform v$TERRAFORM_VERSION" ]; then
		printf '%s\n' "$out"
		exit 0
	fi
	echo "terraform.sh: $out is not Terraform v$TERRAFORM_VERSION; rebuilding" >&2
fi

mkdir -p "$bin_dir"
echo "terraform.sh: building Terraform v$TERRAFORM_VERSION from source into $bin_dir (takes a few minutes)" >&2
start="$(date +%s)"
# Run outside the repository so that this module's go.mod is never consulted.
(
	cd "${TMPDIR:-/tmp}"
	GOWORK=off GOFLAGS=-buildvcs=false CGO_ENABLED=0 GOBIN="$bin_dir" \
		go install -trimpath -ldflags "-s -w" "github.com/hashicorp/terraform@v$TERRAFORM_VERSION"
)
echo "terraform.sh: built $out in $(($(date +%s) - start))s" >&2

printf '%s\n' "$out"
