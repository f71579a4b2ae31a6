#!/usr/bin/env bash
# Generate the SDKs in sdk/<language> from plugin/schema.json (run `npx tsx scripts/schema.ts`
# first), with the code generators of the pinned Pulumi CLI's own Go module: `pulumi package
# gen-sdk` runs the same generators through each language's host, and the Go module proxy here
# serves no Python or Go language host for this version (README, "Other languages"). The small
# generator command (scripts/gen-sdk/main.go) is built once into the cache, next to the CLI's build.
#
# Usage: scripts/gen-sdk.sh [python|go|nodejs]...   (default: python)
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

for language in "${@:-python}"; do
  "$TOOL" "$ROOT/plugin/schema.json" "$language" "$ROOT/sdk/$language"
  log "generated sdk/$language"
done
