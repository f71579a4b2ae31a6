#!/usr/bin/env bash
# Provide the real Pulumi CLI, the Node.js language host and the dynamic-provider plugin,
# pinned to the version of @pulumi/pulumi in package.json, in a cache outside the repo.
#
# Order: the cached build -> a `pulumi` on PATH at the right version -> the official release
# tarball (short timeout) -> a build from the Go module proxy with the official flags.
# Idempotent; the last line printed is the absolute path of the `pulumi` binary (the lines before
# it, `pulumi-language-yaml: <path>` and `pulumi-language-python: <path>`, locate those language
# hosts when they could be built).
#
# Environment:
#   PULUMI_VERSION       version to provide (default: the minimum runtime's, scripts/runtimes.sh;
#                        scripts/install-current-runtime.sh asks for the current one's)
#   PSM_PULUMI_CACHE     cache directory (default: ${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-superserve-mesa)
set -euo pipefail

# shellcheck source=runtimes.sh
. "$(dirname "${BASH_SOURCE[0]}")/runtimes.sh"
VERSION="${PULUMI_VERSION:-$MIN_PULUMI}"
# The Node.js language host has no module of its own on the proxy (for 3.248.0 nor 3.276.0); the
# newest sdk/v3 that still carries it as a package is v3.68.0 (see README, "The Pulumi engine").
LANGHOST_SDK_VERSION="${PSM_LANGHOST_SDK_VERSION:-3.68.0}"
# The YAML language host (github.com/pulumi/pulumi-yaml), for Pulumi YAML programs using the
# provider plugin; built into a cache directory of its own, which the tests put on PATH.
YAML_LANGHOST_VERSION="${PSM_YAML_LANGHOST_VERSION:-1.25.0}"
CACHE="${PSM_PULUMI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-superserve-mesa}"
YAML_BIN="$CACHE/language-yaml-v$YAML_LANGHOST_VERSION/bin"
# The Python language host, for Python programs using the provider plugin: like the Node.js one,
# from sdk/v3 v$LANGHOST_SDK_VERSION (the proxy serves no module of its own for this version), with
# its `pulumi-language-python-exec` beside it; in a directory of its own, which the tests put on PATH.
PYTHON_BIN="$CACHE/language-python-sdk-v$LANGHOST_SDK_VERSION/bin"
DEST="$CACHE/pulumi-v$VERSION"
BIN="$DEST/bin"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

log() { echo "install-pulumi: $*" >&2; }

version_of() { "$1" version 2>/dev/null | tr -d '[:space:]'; }

install_dynamic_provider_plugin() {
  # The dynamic-provider plugin is a small shell script shipped inside the @pulumi/pulumi npm
  # package; it resolves @pulumi/pulumi from the program's directory, so one copy next to the CLI
  # serves every project. The CLI looks for plugins next to its own binary.
  local script="$ROOT/node_modules/@pulumi/pulumi/pulumi-resource-pulumi-nodejs"
  if [ ! -f "$script" ]; then
    log "the dynamic-provider plugin is missing from node_modules/@pulumi/pulumi; run 'npm ci' first"
    return 1
  fi
  if [ -L "$BIN/pulumi-resource-pulumi-nodejs" ] || ! cmp -s "$script" "$BIN/pulumi-resource-pulumi-nodejs"; then
    rm -f "$BIN/pulumi-resource-pulumi-nodejs"
    install -m 0755 "$script" "$BIN/pulumi-resource-pulumi-nodejs"
    log "installed the dynamic-provider plugin: $BIN/pulumi-resource-pulumi-nodejs"
  fi
}

go_build() { # <workdir> <package> <output> <ldflags>
  local work="$1" pkg="$2" out="$3" ldflags="$4"
  ( cd "$work" && CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -tags osusergo,grpcnotrace \
      -ldflags "$ldflags" -o "$out" "$pkg" )
}

build_cli_from_proxy() {
  command -v go >/dev/null || { log "Go is not installed; install Go 1.25+ to build Pulumi"; return 1; }
  local work="$CACHE/build/cli-v$VERSION"
  mkdir -p "$work" "$BIN"
  if [ ! -f "$work/go.mod" ]; then
    log "creating the build module in $work"
    ( cd "$work" && go mod init psm/pulumi-cli >/dev/null 2>&1 \
      && go get "github.com/pulumi/pulumi/pkg/v3@v$VERSION" "github.com/pulumi/pulumi/sdk/v3@v$VERSION" )
    printf 'package tools\n\nimport _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"\n' > "$work/tools.go"
    ( cd "$work" && GOFLAGS=-mod=mod go mod tidy >&2 )
  fi
  log "building the Pulumi CLI v$VERSION from the Go module proxy (several minutes on 2 cores the first time)"
  local t0=$SECONDS
  go_build "$work" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi "$BIN/pulumi.tmp" \
    "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$VERSION"
  mv "$BIN/pulumi.tmp" "$BIN/pulumi"
  log "built the CLI in $((SECONDS - t0)) s"
}

build_language_host_from_proxy() {
  local work="$CACHE/build/langhost-sdk-v$LANGHOST_SDK_VERSION"
  mkdir -p "$work" "$BIN"
  if [ ! -f "$work/go.mod" ]; then
    log "creating the language-host build module in $work"
    ( cd "$work" && go mod init psm/pulumi-language-nodejs >/dev/null 2>&1 \
      && go get "github.com/pulumi/pulumi/sdk/v3@v$LANGHOST_SDK_VERSION" )
    printf 'package tools\n\nimport _ "github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs"\n' > "$work/tools.go"
    ( cd "$work" && GOFLAGS=-mod=mod go mod tidy >&2 )
  fi
  log "building the Node.js language host (sdk/v3 v$LANGHOST_SDK_VERSION) from the Go module proxy"
  go_build "$work" github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs "$BIN/pulumi-language-nodejs.tmp" \
    "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$LANGHOST_SDK_VERSION"
  mv "$BIN/pulumi-language-nodejs.tmp" "$BIN/pulumi-language-nodejs"
}

# Build one Go command from the Go module proxy, in a build module of its own in the cache.
build_from_proxy() { # <what> <build dir> <module@version> <package> <output binary> <-X version flag>
  local what="$1" work="$2" module="$3" pkg="$4" out="$5" xflag="$6"
  command -v go >/dev/null || { log "Go is not installed; install Go 1.25+ to build $what"; return 1; }
  mkdir -p "$work" "$(dirname "$out")"
  if [ ! -f "$work/go.mod" ]; then
    log "creating the build module of $what in $work"
    ( cd "$work" && go mod init "psm/$(basename "$out")" >/dev/null 2>&1 && go get "$module" )
    printf 'package tools\n\nimport _ "%s"\n' "$pkg" > "$work/tools.go"
    ( cd "$work" && GOFLAGS=-mod=mod go mod tidy >&2 )
  fi
  log "building $what from the Go module proxy"
  go_build "$work" "$pkg" "$out.tmp" "-s -w -X $xflag"
  mv "$out.tmp" "$out"
}

build_yaml_language_host_from_proxy() {
  local v="$YAML_LANGHOST_VERSION"
  build_from_proxy "the YAML language host (pulumi-yaml v$v)" "$CACHE/build/langhost-yaml-v$v" \
    "github.com/pulumi/pulumi-yaml@v$v" github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml \
    "$YAML_BIN/pulumi-language-yaml" "github.com/pulumi/pulumi-yaml/pkg/version.Version=v$v"
}

build_python_language_host_from_proxy() {
  local v="$LANGHOST_SDK_VERSION" work="$CACHE/build/langhost-python-sdk-v$LANGHOST_SDK_VERSION"
  build_from_proxy "the Python language host (sdk/v3 v$v)" "$work" \
    "github.com/pulumi/pulumi/sdk/v3@v$v" github.com/pulumi/pulumi/sdk/v3/python/cmd/pulumi-language-python \
    "$PYTHON_BIN/pulumi-language-python" "github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$v" || return 1
  local sdk_dir
  sdk_dir="$(cd "$work" && go list -m -f '{{.Dir}}' github.com/pulumi/pulumi/sdk/v3)"
  install -m 0755 "$sdk_dir/python/cmd/pulumi-language-python-exec" "$PYTHON_BIN/pulumi-language-python-exec"
}

try_official_release() {
  local url="https://get.pulumi.com/releases/sdk/pulumi-v$VERSION-linux-x64.tar.gz" tmp
  tmp="$(mktemp -d)"
  log "trying the official release ($url, 10 s timeout)"
  if curl -fsSL --connect-timeout 5 --max-time 10 -o "$tmp/p.tgz" "$url" 2>/dev/null \
     && tar -xzf "$tmp/p.tgz" -C "$tmp"; then
    mkdir -p "$BIN" && cp "$tmp"/pulumi/pulumi* "$BIN"/ && rm -rf "$tmp"
    return 0
  fi
  rm -rf "$tmp"
  log "the official release is not reachable"
  return 1
}

mkdir -p "$CACHE"
# Each `pulumi version` costs ~0.15 s, and this runs before every `npm run up`: a binary found at
# the right version is asked once; only a new one is asked again. The cache is looked at first (a
# `pulumi` on PATH is often another version's: scripts/main.sh puts the minimum's first).
on_path="$(command -v pulumi || true)"
installed=""
if [ -x "$BIN/pulumi" ] && [ "$(version_of "$BIN/pulumi")" = "v$VERSION" ]; then
  log "using the cached pulumi v$VERSION in $BIN"
elif [ -n "$on_path" ] && [ "$(version_of "$on_path")" = "v$VERSION" ] && [ -x "$(dirname "$on_path")/pulumi-language-nodejs" ]; then
  log "using pulumi v$VERSION from PATH: $on_path"
  BIN="$(dirname "$(readlink -f "$on_path")")"
else
  try_official_release || build_cli_from_proxy
  installed=1
  [ "$(version_of "$BIN/pulumi")" = "v$VERSION" ] || { log "the pulumi binary in $BIN does not report v$VERSION"; exit 1; }
fi

if [ ! -x "$BIN/pulumi-language-nodejs" ]; then
  installed=1
  build_language_host_from_proxy || log "WARNING: the Node.js language host could not be built; only Automation API inline programs will run"
fi
[ -w "$BIN" ] && install_dynamic_provider_plugin
if [ ! -x "$YAML_BIN/pulumi-language-yaml" ]; then
  build_yaml_language_host_from_proxy || log "WARNING: the YAML language host could not be built; Pulumi YAML programs will not run"
fi

if [ -n "$installed" ]; then
  log "pulumi v$VERSION ready; cache: $CACHE ($(du -sh "$CACHE" 2>/dev/null | cut -f1))"
else
  log "pulumi v$VERSION ready"
fi
if [ ! -x "$PYTHON_BIN/pulumi-language-python" ] || [ ! -x "$PYTHON_BIN/pulumi-language-python-exec" ]; then
  build_python_language_host_from_proxy || log "WARNING: the Python language host could not be built; Python programs will not run"
fi
[ -x "$YAML_BIN/pulumi-language-yaml" ] && echo "pulumi-language-yaml: $YAML_BIN/pulumi-language-yaml"
[ -x "$PYTHON_BIN/pulumi-language-python" ] && echo "pulumi-language-python: $PYTHON_BIN/pulumi-language-python"
echo "$BIN/pulumi"
