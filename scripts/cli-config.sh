#!/usr/bin/env bash
# Ensures bin/empty.tfrc exists and prints its absolute path.
#
# Acceptance tests and CI point TF_CLI_CONFIG_FILE at this empty file so that
# no user-level CLI configuration (dev_overrides, credentials, mirrors) leaks
# into test runs, and so that a source-built OpenTofu does not print a warning
# about a missing CLI configuration (which confuses terraform-plugin-testing's
# version detection).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cfg="$repo/bin/empty.tfrc"

if [ ! -f "$cfg" ]; then
	mkdir -p "$repo/bin"
	: >"$cfg"
fi

printf '%s\n' "$cfg"
