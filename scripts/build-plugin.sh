#!/usr/bin/env bash
# The provider plugin as one tarball for `pulumi plugin install resource superserve-mesa <version>
# --file <tarball>` (README, "Other languages"): the package as `npm pack` packs it, its production
# dependencies and `@pulumi/pulumi` at the versions of this repository's lockfile, and at the top
# the executable the engine runs, `pulumi-resource-superserve-mesa`. The CLI unpacks it into
# $PULUMI_HOME/plugins/resource-superserve-mesa-v<version>/, where the engine finds it without any
# PATH change; it needs Node.js 20.19+ as `node` on PATH, like the plugin itself. No PulumiPlugin.yaml:
# the CLI installs nothing when it unpacks it.
#
# Usage: scripts/build-plugin.sh [output directory]   (default: dist/plugin-tarball)
# Prints the tarball's path: pulumi-resource-superserve-mesa-v<version>.tar.gz.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$(mkdir -p "${1:-$ROOT/dist/plugin-tarball}" && cd "${1:-$ROOT/dist/plugin-tarball}" && pwd)"
log() { echo "build-plugin: $*" >&2; }

cd "$ROOT"
node scripts/build-if-changed.mjs >&2
version="$(node -p 'require("./package.json").version')"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
mkdir "$stage/plugin"

# The dependencies, from the lockfile: the package's manifest with `@pulumi/pulumi` (a peer, and a
# development dependency here) at the lockfile's version among its dependencies, nothing else.
cp package-lock.json "$stage/plugin/"
node -e '
  const [manifest, out] = process.argv.slice(1);
  const pkg = require(manifest);
  const pulumi = require("@pulumi/pulumi/package.json").version;
  const { devDependencies, peerDependencies, workspaces, scripts, ...rest } = pkg;
  rest.dependencies = { ...pkg.dependencies, "@pulumi/pulumi": pulumi };
  require("node:fs").writeFileSync(out, JSON.stringify(rest, null, 2) + "\n");
' "$ROOT/package.json" "$stage/plugin/package.json"
log "installing the production dependencies of the lockfile"
( cd "$stage/plugin" && npm install --omit=dev --ignore-scripts --no-bin-links --no-audit --no-fund \
    --prefer-offline >&2 && rm package-lock.json )

# The package itself, as published, over that manifest.
npm pack --ignore-scripts --silent --pack-destination "$stage" >/dev/null
tar -xzf "$stage/pulumi-superserve-mesa-$version.tgz" -C "$stage/plugin" --strip-components=1
ln -s plugin/bin/pulumi-resource-superserve-mesa "$stage/plugin/pulumi-resource-superserve-mesa"

tarball="$OUT/pulumi-resource-superserve-mesa-v$version.tar.gz"
tar -czf "$tarball.tmp" -C "$stage/plugin" .
mv "$tarball.tmp" "$tarball"
log "built $tarball ($(du -h "$tarball" | cut -f1))"
echo "$tarball"
