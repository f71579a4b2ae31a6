#!/usr/bin/env bash
# The main job and its companions, on the stack in $STACK (default: local):
#   npm run up        set everything up, start the local backends (local stack), `pulumi up`,
#                     print the outputs and prove a sandbox's edit reaches Mesa
#   npm run preview   `pulumi preview --diff`
#   npm run drift     `pulumi preview --refresh --diff`: what changed out of band
#   npm run destroy   `pulumi destroy`
#   npm run drift:demo  change the environment out of band (pause, kill, edit tags), then `drift`
# Extra arguments go to pulumi (e.g. `npm run up -- --parallel 32`).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
command="${1:?usage: main.sh up|preview|drift|drift:demo|destroy [pulumi args…]}"
shift
STACK="${STACK:-local}"
step() { printf '\n\033[1m==> %s\033[0m\n' "$*" >&2; }

step "setting up (Debian packages, npm dependencies, the Pulumi CLI)"
PULUMI="$(bash scripts/setup.sh)"
export PATH="$(dirname "$PULUMI"):$PATH"

# A project-local file state backend and passphrase unless the user configured their own.
mkdir -p "$ROOT/.pulumi-state"
export PULUMI_BACKEND_URL="${PULUMI_BACKEND_URL:-file://$ROOT/.pulumi-state}"
if [ "$STACK" = "local" ] && [ -z "${PULUMI_CONFIG_PASSPHRASE+x}" ] && [ -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
  export PULUMI_CONFIG_PASSPHRASE="local-stack"   # the local stack holds no real credentials
fi
export PULUMI_SKIP_UPDATE_CHECK=true PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
# The program is type-checked by `npm run typecheck` (part of `npm test`); skipping ts-node's
# type check here saves seconds on every run (see README, Benchmarks).
export PULUMI_NODEJS_TRANSPILE_ONLY="${PULUMI_NODEJS_TRANSPILE_ONLY:-true}"

# Where the providers find the local backends (absolute: the program runs from stacks/).
export PSM_LOCAL_DIR="${PSM_LOCAL_DIR:-$ROOT/.local-data}"
local_restarted=false
if [ "$STACK" = "local" ]; then
  step "starting the local backends (pulumi-superserve-mesa-local start)"
  node local/dist/cli.js status --json | grep -q '"running": true' || local_restarted=true
  node local/dist/cli.js start
fi

pulumi stack select --create "$STACK" --non-interactive >/dev/null

case "$command" in
  up)
    if [ "$local_restarted" = true ] && pulumi stack output --json --stack "$STACK" 2>/dev/null | grep -q sandboxId; then
      # A restart of the local backends ended the sandboxes' processes (their mounts included)
      # and left them paused; resumed, the refresh below sees the dead mounts and up remounts.
      step "resuming the stack's sandboxes after the restart of the local backends"
      pulumi stack output --json --stack "$STACK" | npx --no-install tsx scripts/resume-sandboxes.ts
    fi
    step "pulumi up --stack $STACK"
    # --refresh: converge on what really exists (killed sandboxes, interrupted runs) first.
    pulumi up --yes --skip-preview --refresh --non-interactive --stack "$STACK" "$@"
    step "stack outputs"
    pulumi stack output --json --show-secrets=false --stack "$STACK"
    step "proof: a file written in a sandbox's mount is read back from Mesa"
    pulumi stack output --json --stack "$STACK" | npx --no-install tsx scripts/prove-environment.ts
    ;;
  preview)
    step "pulumi preview --stack $STACK"
    pulumi preview --diff --non-interactive --stack "$STACK" "$@"
    ;;
  drift)
    step "pulumi preview --refresh --stack $STACK (drift since the last up)"
    pulumi preview --refresh --diff --non-interactive --stack "$STACK" "$@"
    ;;
  drift:demo)
    step "changing the environment out of band"
    pulumi stack output --json --stack "$STACK" | npx --no-install tsx scripts/drift-demo.ts
    step "pulumi preview --refresh --stack $STACK (what the drift preview shows)"
    pulumi preview --refresh --diff --non-interactive --stack "$STACK" "$@"
    echo "Run \`npm run up\` to converge again." >&2
    ;;
  destroy)
    step "pulumi destroy --stack $STACK"
    pulumi destroy --yes --skip-preview --non-interactive --stack "$STACK" "$@"
    ;;
  *)
    echo "unknown command '$command' (up|preview|drift|drift:demo|destroy)" >&2
    exit 2
    ;;
esac
