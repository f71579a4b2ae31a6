#!/usr/bin/env bash
# Everything the tests and the main job need, installed by the project itself (idempotent):
# Debian packages, npm dependencies (from the lockfile), the compiled package, the sandbox
# images of the local Superserve, the Pulumi CLI.
# Prints progress on stderr; the last line on stdout is the path of the `pulumi` binary.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
log() { echo "setup: $*" >&2; }

# Debian packages: bubblewrap isolates local sandboxes; iproute2 brings up the loopback of each
# sandbox's own network namespace and socat bridges its 127.0.0.1:3128 to the egress proxy's Unix
# socket; mmdebstrap builds their images from this machine's apt sources; patchelf makes the copy
# of Node.js that runs the sandboxes' `mesa` load its own libraries; git stores local Mesa repos;
# mkfs.ext4 (e2fsprogs) makes each sandbox's disk image; gcc, libc6-dev (static libc) and
# libseccomp-dev compile the sandboxes' `confine` and their seccomp filter on first use
# (local/superserve/runtime/confinement.ts); python3/make/g++ build better-sqlite3 when no
# prebuilt binary can be downloaded; postgresql is the tested team state backend (the tests start
# a server of their own) and its psql reads a PostgreSQL backend's stack locks (scripts/killed-runs/);
# a JDK and Maven compile the generated Java SDK (sdk/java/pom.xml).
DEBIAN_PACKAGES=(bubblewrap iproute2 socat mmdebstrap patchelf git e2fsprogs gcc libc6-dev libseccomp-dev python3 make g++ curl ca-certificates postgresql openjdk-17-jdk-headless maven)
# One dpkg-query for all of them (one each cost ~0.4 s on every run).
installed=" $(dpkg-query -W -f='${Package}:${Status} ' "${DEBIAN_PACKAGES[@]}" 2>/dev/null || true) "
missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
  [[ "$installed" == *" $pkg:install ok installed "* ]] || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    log "missing Debian packages: ${missing[*]}. Run as root, or: sudo apt-get install -y ${missing[*]}"
    exit 1
  fi
  log "installing Debian packages: ${missing[*]}"
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
fi

# npm dependencies, reinstalled only when the lockfile changed (`npm install` also runs `prepare`,
# which builds dist/ and links the package to itself). dist/ is rebuilt only when a source changed
# (scripts/build-if-changed.mjs compares content digests).
stamp="node_modules/.psm-lock.sha256"
want="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  log "installing npm dependencies from the lockfile"
  # `npm install`, not `npm ci`: the lockfile cannot list the SDK's optional native packages for
  # other platforms (the registry here does not serve them), which `npm ci` treats as out of sync.
  npm install --no-audit --no-fund >&2
  echo "$want" > "$stamp"
else
  log "npm dependencies are up to date"
  node scripts/build-if-changed.mjs
  node scripts/link-self.mjs
fi

# The local Superserve's sandbox images (Debian, built with mmdebstrap, cached outside the repo in
# ~/.cache/pulumi-superserve-mesa/images; minutes the first time, then nothing).
log "sandbox images"
node local/dist/superserve/images/build-images.js >&2

bash scripts/install-pulumi.sh | tail -n 1

# Conformance tests (test/conformance): schemathesis in its own venv outside the repo, named by
# the hash of the pinned requirements, so a changed pin gets a fresh venv and an unchanged one
# costs nothing (`.installed` marks a finished install). pip takes its package index from the
# machine's own pip configuration.
conformance_requirements="test/conformance/requirements.txt"
conformance_venv="$HOME/.cache/pulumi-superserve-mesa/schemathesis-$(sha256sum "$conformance_requirements" | cut -c1-12)"
if [ ! -f "$conformance_venv/.installed" ]; then
  log "installing schemathesis into $conformance_venv"
  rm -rf "$conformance_venv"
  python3 -m venv "$conformance_venv" >&2
  "$conformance_venv/bin/pip" install --quiet -r "$conformance_requirements" >&2
  touch "$conformance_venv/.installed"
fi

# Python programs using the provider plugin (test/e2e/plugin-languages.test.ts): the generated
# Python SDK (sdk/python) with `pulumi` pinned to the CLI's version, in a venv outside the repo.
bash scripts/python-sdk-venv.sh >/dev/null
