#!/usr/bin/env bash
# The main job and its companions, on the stack in $STACK (default: local):
#   npm run up        set everything up, start the local backends (local stack), clean up after a
#                     killed run, `pulumi up`, print the outputs and prove a sandbox's edit reaches Mesa
#   npm run preview   `pulumi preview --diff`
#   npm run drift     `pulumi preview --refresh --diff`: what changed out of band (writes nothing)
#   npm run refresh   `pulumi refresh --run-program`: record what really exists, the agents' work
#                     included, and print each agent's status and each sandbox's workspace
#                     (`pulumi stack output agents` and `workspaces`)
#   npm run destroy   `pulumi destroy`
#   npm run drift:demo  change the environment out of band (pause, kill, edit tags), then `drift`
# Extra arguments go to pulumi (e.g. `npm run up -- --parallel 32`).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
command="${1:?usage: main.sh up|preview|drift|refresh|drift:demo|destroy [pulumi args…]}"
shift
STACK="${STACK:-local}"
step() { printf '\n\033[1m==> %s\033[0m\n' "$*" >&2; }
# An engine run: `pulumi "$@"` with PSM_ENGINE_RUN=<root>#<its pid> inherited by every process it
# starts (language host, program, provider plugins: each in a process group of its own), so that
# scripts/clean-killed-runs.mjs can end those of a killed run — before this run starts (a run killed
# with this script) and after it ends (a CLI killed on its own) — and remove a killed run's lock.
engine() {
  node scripts/clean-killed-runs.mjs
  local status=0
  ( export PSM_ENGINE_RUN="$ROOT#$BASHPID"; exec pulumi "$@" ) || status=$?
  node scripts/clean-killed-runs.mjs
  return "$status"
}
# Number of creates a killed run left pending in the stack's state (the CLI records a create before
# asking the provider, and a run killed before the answer leaves the record behind).
pending_creates() {
  pulumi stack export --stack "$STACK" | node -e '
    let json = "";
    process.stdin.on("data", (d) => (json += d)).on("end", () => {
      const ops = JSON.parse(json).deployment.pending_operations ?? [];
      console.log(ops.filter((op) => op.type === "creating").length);
    });'
}

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
if [ "$STACK" = "local" ]; then
  # A restart keeps the sandboxes' processes (live restore): `stop` froze them, `start` takes
  # them back, mounts included.
  step "starting the local backends (pulumi-superserve-mesa-local start)"
  node local/dist/cli.js start
fi

pulumi stack select --create "$STACK" --non-interactive >/dev/null

case "$command" in
  up)
    # --refresh: converge on what really exists (killed sandboxes, interrupted runs) first.
    refresh=(--refresh)
    pending="$(pending_creates)"
    if [ "$pending" -gt 0 ]; then
      # Safe: every create adopts what an interrupted create of its URN made (README, "Killed runs").
      step "clearing $pending pending create(s) of an interrupted run: the up adopts what they made"
      engine refresh --clear-pending-creates --yes --skip-preview --non-interactive --stack "$STACK"
      refresh=()   # just refreshed
    fi
    step "pulumi up --stack $STACK"
    engine up --yes --skip-preview "${refresh[@]}" --non-interactive --stack "$STACK" "$@"
    step "stack outputs"
    outputs="$(pulumi stack output --json --stack "$STACK")"
    printf '%s\n' "$outputs"
    step "proof: every agent's work is on its own bookmark; a file written in a sandbox's mount is read back from Mesa"
    printf '%s\n' "$outputs" | npx --no-install tsx scripts/prove-environment.ts
    ;;
  preview)
    step "pulumi preview --stack $STACK"
    engine preview --diff --non-interactive --stack "$STACK" "$@"
    ;;
  drift)
    step "pulumi preview --refresh --stack $STACK (drift since the last up)"
    engine preview --refresh --diff --non-interactive --stack "$STACK" "$@"
    ;;
  refresh)
    # --run-program: the stack outputs (the agents' workspaces) are computed again from the
    # refreshed state; a plain refresh would keep the outputs of the last up.
    step "pulumi refresh --run-program --stack $STACK"
    engine refresh --run-program --yes --skip-preview --non-interactive --stack "$STACK" "$@"
    step "each sandbox's agent: task, status, exit code, log tail (pulumi stack output agents)"
    pulumi stack output agents --json --stack "$STACK"
    step "what each agent did (pulumi stack output workspaces)"
    pulumi stack output workspaces --json --stack "$STACK"
    ;;
  drift:demo)
    step "changing the environment out of band"
    pulumi stack output --json --stack "$STACK" | npx --no-install tsx scripts/drift-demo.ts
    step "pulumi preview --refresh --stack $STACK (what the drift preview shows)"
    engine preview --refresh --diff --non-interactive --stack "$STACK" "$@"
    echo "Run \`npm run up\` to converge again." >&2
    ;;
  destroy)
    step "pulumi destroy --stack $STACK"
    engine destroy --yes --skip-preview --non-interactive --stack "$STACK" "$@"
    ;;
  *)
    echo "unknown command '$command' (up|preview|drift|refresh|drift:demo|destroy)" >&2
    exit 2
    ;;
esac
