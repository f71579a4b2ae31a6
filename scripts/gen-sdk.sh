#!/usr/bin/env bash
# Generate the SDKs in sdk/<language> from plugin/schema.json (run `npx tsx scripts/schema.ts`
# first), with the code generators of the pinned Pulumi CLI's own Go module: `pulumi package
# gen-sdk` runs the same generators through each language's host, and the Go module proxy here
# serves no Python or Go language host for this version (README, "Other languages"). The small
# generator command (scripts/gen-sdk/main.go) is built once into the cache, next to the CLI's build.
#
# Usage: scripts/gen-sdk.sh [python|go|nodejs]...   (default: python go)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VERSION="${PULUMI_VERSION:-3.248.0}"
CACHE="${PSM_PULUMI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-superserve-mesa}"
WORK="$CACHE/build/gen-sdk-v$VERSION"
TOOL="$WORK/gen-sdk-$(sha256sum "$ROOT/scripts/gen-sdk/main.go" | cut -c1-12)"
log() { echo "gen-sdk: $*" >&2; }

if [ ! -x "$TOOL" ]; then
  command -v go >/dev/null || { log "Go is not installed; install Go 1.25+ to generate the SDKs"; exit 1; }
  mkdir -p "$WORK"
  if [ ! -f "$WORK/go.mod" ]; then
    log "creating the generator's build module in $WORK"
    ( cd "$WORK" && go mod init psm/gen-sdk >/dev/null 2>&1 \
      && go get "github.com/pulumi/pulumi/pkg/v3@v$VERSION" "github.com/pulumi/pulumi/sdk/v3@v$VERSION" )
  fi
  cp "$ROOT/scripts/gen-sdk/main.go" "$WORK/main.go"
  ( cd "$WORK" && GOFLAGS=-mod=mod go mod tidy >&2 && CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -o "$TOOL" . )
  log "built $TOOL"
fi

languages=("$@")
[ "${#languages[@]}" -gt 0 ] || languages=(python go)
for language in "${languages[@]}"; do
  "$TOOL" "$ROOT/plugin/schema.json" "$language" "$ROOT/sdk/$language"
  if [ "$language" = go ]; then
    # The Go SDK is its own module (the schema's importBasePath without the package), compiled
    # here so a generated SDK that does not build never lands.
    ( cd "$ROOT/sdk/go" \
      && printf 'module github.com/superserve-mesa/pulumi-superserve-mesa/sdk/go\n\ngo 1.24\n\nrequire github.com/pulumi/pulumi/sdk/v3 v%s\n' "$VERSION" > go.mod \
      && GOFLAGS=-mod=mod go mod tidy >&2 && go build ./... )
  fi
  log "generated sdk/$language"
done
