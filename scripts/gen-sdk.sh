#!/usr/bin/env bash
# Generate the SDKs in sdk/<language> from plugin/schema.json (run `npx tsx scripts/schema.ts`
# first), with the code generators that `pulumi package gen-sdk` runs through each language's
# host: the Go module proxy here serves no Python, Go, .NET or Java language host that generates
# code for this CLI (README, "Other languages"), so a small command (scripts/gen-sdk/) calls the
# generators' Go packages directly. It is built twice, each build cached outside the repository
# under the digest of its sources:
#   - Python, Go (and Node.js): the pinned CLI's own pkg/v3 (cli.go);
#   - .NET and Java: pulumi-dotnet's pulumi-language-dotnet and pulumi-java's pkg (langhosts.go),
#     which no longer build against the CLI's pkg/v3 (its `Parameterization.BaseProvider` became
#     `BasePlugin`), so against the older pkg/v3 they were released with.
#
# Usage: scripts/gen-sdk.sh [--check] [python|go|dotnet|java|nodejs]...   (default: all but nodejs)
#   --check  write nothing; exit 1, naming the files, when sdk/<language> is out of step with the
#            schema.
# PSM_SDK_DIR: the directory of the SDKs (default: the repository's sdk/).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VERSION="${PULUMI_VERSION:-3.248.0}"
CACHE="${PSM_PULUMI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-superserve-mesa}"
SRC="$ROOT/scripts/gen-sdk"
SDK_DIR="${PSM_SDK_DIR:-$ROOT/sdk}"
# The language hosts' generators and the pkg/v3 they build with (the newest served versions that
# build together; README, "Other languages").
DOTNET_HOST="github.com/pulumi/pulumi-dotnet/pulumi-language-dotnet/v3@v3.102.0"
JAVA_HOST="github.com/pulumi/pulumi-java/pkg@v1.17.0"
HOSTS_PKG_VERSION="3.225.0"
log() { echo "gen-sdk: $*" >&2; }

# build_tool <name> <pkg/v3 version> <build tags> <source files> [extra modules...]: prints the
# path of the generator command, built once into the cache (named by the digest of its sources and
# of the modules it is built with).
build_tool() {
  local name="$1" pkg="$2" tags="$3" files="$4"
  shift 4
  local digest
  digest="$( (cd "$SRC" && cat $files && echo "$pkg $tags $*") | sha256sum | cut -c1-12)"
  local work="$CACHE/build/gen-sdk-$name-pkg-v$pkg-$digest"
  local tool="$work/gen-sdk"
  if [ ! -x "$tool" ]; then
    command -v go >/dev/null || { log "Go is not installed; install Go 1.25+ to generate the SDKs"; exit 1; }
    log "building the $name generators (pkg/v3 v$pkg $*) in $work"
    mkdir -p "$work"
    local tmp
    tmp="$(mktemp -d "$work.XXXXXX")"
    ( cd "$SRC" && cp $files "$tmp/" )
    ( cd "$tmp" && go mod init psm/gen-sdk >/dev/null 2>&1 \
      && go get "github.com/pulumi/pulumi/pkg/v3@v$pkg" "github.com/pulumi/pulumi/sdk/v3@v$pkg" "$@" >&2 \
      && GOFLAGS=-mod=mod go mod tidy >&2 \
      && CGO_ENABLED=0 GOFLAGS=-mod=mod go build -tags "$tags" -trimpath -o "$tmp/gen-sdk" . ) \
      || { rm -rf "$tmp"; log "building the $name generators failed"; exit 1; }
    mv "$tmp/gen-sdk" "$tool.$$" && mv "$tool.$$" "$tool" && rm -rf "$tmp"
    log "built $tool"
  fi
  echo "$tool"
}

check=()
if [ "${1:-}" = --check ]; then
  check=(--check)
  shift
fi
languages=("$@")
[ "${#languages[@]}" -gt 0 ] || languages=(python go dotnet java)
for language in "${languages[@]}"; do
  case "$language" in
    python | go | nodejs) tool="$(build_tool cli "$VERSION" "" "main.go cli.go")" ;;
    dotnet | java) tool="$(build_tool langhosts "$HOSTS_PKG_VERSION" langhosts "main.go langhosts.go" "$DOTNET_HOST" "$JAVA_HOST")" ;;
    *) log "no generator for $language (python, go, dotnet, java, nodejs)"; exit 2 ;;
  esac
  "$tool" "${check[@]}" "$ROOT/plugin/schema.json" "$language" "$SDK_DIR/$language"
  [ "${#check[@]}" -eq 0 ] || { log "sdk/$language is in step with the schema"; continue; }
  if [ "$language" = go ]; then
    # The Go SDK is its own module (the schema's importBasePath without the package), compiled
    # here so a generated SDK that does not build never lands.
    ( cd "$SDK_DIR/go" \
      && printf 'module github.com/superserve-mesa/pulumi-superserve-mesa/sdk/go\n\ngo 1.24\n\nrequire github.com/pulumi/pulumi/sdk/v3 v%s\n' "$VERSION" > go.mod \
      && GOFLAGS=-mod=mod go mod tidy >&2 && go build ./... )
  fi
  log "generated sdk/$language"
done
