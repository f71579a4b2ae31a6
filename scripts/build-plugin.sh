#!/usr/bin/env bash
# The provider plugin as one tarball for `pulumi plugin install resource superserve-mesa <version>
# --file <tarball>` (README, "Other languages"): the package as `npm pack` packs it, installed with
# its production dependencies and the `@pulumi/pulumi` of the lockfile, and at the top the
# executable the engine runs, `pulumi-resource-superserve-mesa`. The CLI unpacks it into
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
pulumi_version="$(node -p 'require("@pulumi/pulumi/package.json").version')"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT

npm pack --ignore-scripts --silent --pack-destination "$stage" >/dev/null
mkdir "$stage/plugin"
printf '{ "name": "pulumi-resource-superserve-mesa", "version": "%s", "private": true }\n' "$version" \
  > "$stage/plugin/package.json"
log "installing pulumi-superserve-mesa $version with @pulumi/pulumi $pulumi_version"
( cd "$stage/plugin" && npm install --prefer-offline --ignore-scripts --no-bin-links --no-audit --no-fund \
    --no-package-lock --omit=dev "$stage/pulumi-superserve-mesa-$version.tgz" "@pulumi/pulumi@$pulumi_version" >&2 )
cat > "$stage/plugin/pulumi-resource-superserve-mesa" <<'EOF'
#!/bin/sh
# The provider plugin superserve-mesa, as `pulumi plugin install --file` unpacked it: the
# package's own plugin script, in node_modules beside this file.
here="$(dirname "$(readlink -f "$0")")"
exec "$here/node_modules/pulumi-superserve-mesa/plugin/bin/pulumi-resource-superserve-mesa" "$@"
EOF
chmod 755 "$stage/plugin/pulumi-resource-superserve-mesa"

tarball="$OUT/pulumi-resource-superserve-mesa-v$version.tar.gz"
tar -czf "$tarball.tmp" -C "$stage/plugin" .
mv "$tarball.tmp" "$tarball"
log "built $tarball ($(du -h "$tarball" | cut -f1))"
echo "$tarball"
