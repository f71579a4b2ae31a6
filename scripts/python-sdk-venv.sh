#!/usr/bin/env bash
# A Python virtual environment with the generated Python SDK (sdk/python) and `pulumi` pinned to
# the CLI's version, for Python programs that use the provider plugin (the e2e tests, or by hand:
# put its bin/ first on PATH). Kept outside the repo, named by a digest of the SDK's files and the
# pin, so a regenerated SDK gets a fresh venv and an unchanged one costs nothing (`.installed`
# marks a finished install). pip takes its package index from the machine's own pip configuration.
# Idempotent; prints the venv's directory.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VERSION="${PULUMI_VERSION:-3.248.0}"
CACHE="${PSM_PULUMI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-superserve-mesa}"
digest="$( (echo "pulumi==$VERSION"; cd "$ROOT" && git ls-files -s sdk/python 2>/dev/null || find sdk/python -type f -exec sha256sum {} +) | sha256sum | cut -c1-12)"
venv="$CACHE/python-sdk-$digest"
if [ ! -f "$venv/.installed" ]; then
  echo "python-sdk-venv: installing pulumi==$VERSION and sdk/python into $venv" >&2
  rm -rf "$venv"
  python3 -m venv "$venv" >&2
  # A copy of the SDK, so pip's build leaves nothing in the repository.
  tmp="$(mktemp -d)"
  cp -r "$ROOT/sdk/python" "$tmp/"
  "$venv/bin/pip" install --quiet "pulumi==$VERSION" "$tmp/python" >&2
  rm -rf "$tmp"
  touch "$venv/.installed"
fi
echo "$venv"
