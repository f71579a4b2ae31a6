#!/usr/bin/env bash
# The main job and its companions, on the stack in $STACK (default: local):
#   npm run up        set everything up, start the local backends (local stack), clean up after a
#                     killed run, `pulumi up`, print the outputs and prove a sandbox's edit reaches Mesa
#   npm run preview   `pulumi preview --diff`
#   npm run drift     `pulumi preview --refresh --diff`: what changed out of band (writes nothing)
#   npm run refresh   `pulumi refresh --run-program`: record what really exists, the agents' work
#                     included, and print each agent's status and each sandbox's workspace
#                     (`pulumi stack output agents` and `workspaces`)
#   npm run destroy   `pulumi destroy`, after adopting what a killed run's pending creates made
#   npm run drift:demo  change the environment out of band (pause, kill, edit tags), then `drift`
# PSM_RUNTIME=current runs any of them on the current runtime (Node.js 24, the newest @pulumi/pulumi
# and CLI: scripts/runtimes.sh) instead of the minimum (README, "Runtimes").
# Extra arguments go to pulumi (e.g. `npm run up -- --parallel 32`). Every command first clears
# what a killed run left (README, "Killed runs") and stops, changing nothing, when another run
# holds the stack. PSM_NO_CONCURRENT_RUNS=1 (a CI job in a concurrency group per stack) lets it
# clear a lock taken on another host too, once the lock is 5 minutes old.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
command="${1:?usage: main.sh up|preview|drift|refresh|drift:demo|destroy [pulumi args…]}"
shift
export STACK="${STACK:-local}"
case "${PSM_RUNTIME:-minimum}" in
  minimum | current) ;;
  *)
    echo "PSM_RUNTIME is '$PSM_RUNTIME': set it to minimum (the default) or current (README, \"Runtimes\")" >&2
    exit 2
    ;;
esac
step() { printf '\n\033[1m==> %s\033[0m\n' "$*" >&2; }
# An engine run: `pulumi "$@"` with PSM_ENGINE_RUN=<root>#<its pid> inherited by every process it
# starts (language host, program, provider plugins: each in a process group of its own), so that
# scripts/clean-killed-runs.mjs can end those of a killed run — before the first engine run (a run
# killed with this script) and after each one (a CLI killed on its own) — and clear a killed run's
# lock and half-written state.
# It runs in $project with $engine_path (the runtime's Node.js and CLI first).
engine() {
  local status=0
  ( export PSM_ENGINE_RUN="$ROOT#$BASHPID" PATH="$engine_path"; cd "$project"; exec pulumi "$@" ) || status=$?
  node scripts/clean-killed-runs.mjs
  return "$status"
}
# The URNs of the creates a killed run left pending in the stack's state ($state, the export read
# below), one a line (the CLI records a create before asking the provider, and a run killed before
# the answer leaves the record).
pending_creates() {
  printf '%s' "$state" | node -e '
    let json = "";
    process.stdin.on("data", (d) => (json += d)).on("end", () => {
      const ops = JSON.parse(json).deployment.pending_operations ?? [];
      for (const op of ops) if (op.type === "creating") console.log(op.resource.urn);
    });'
}
# Sets `pending` to those URNs (an array).
read_pending_creates() {
  local urns
  urns="$(pending_creates)"
  mapfile -t pending < <(printf '%s' "$urns")
}
# Clear the pending creates a killed run left; the engine runs that follow adopt what they made.
clear_pending_creates() {
  engine refresh --clear-pending-creates --yes --skip-preview --non-interactive --stack "$STACK"
}

step "setting up (Debian packages, npm dependencies, the Pulumi CLI)"
PULUMI="$(bash scripts/setup.sh)"
export PATH="$(dirname "$PULUMI"):$PATH"

# The runtime (README, "Runtimes"). The engine runs in $project: this directory on the minimum; on
# the current runtime a directory where the program loads that runtime's @pulumi/pulumi and this
# package as installed (scripts/runtime-project.mjs). Everything else (the local backends, the
# proof, the stack's state and config) is the same on both.
# shellcheck source=runtimes.sh
. scripts/runtimes.sh
sdk_version() { sed -n 's/^ *"version": "\([^"]*\)",$/\1/p' "$1/@pulumi/pulumi/package.json"; }
project="$ROOT"
case "${PSM_RUNTIME:-minimum}" in
  minimum)
    engine_path="$PATH"
    echo "runtime minimum: node $(node --version), @pulumi/pulumi $(sdk_version node_modules), pulumi CLI v$MIN_PULUMI" >&2
    ;;
  current)
    step "the current runtime (Node.js $CURRENT_NODE, @pulumi/pulumi and the Pulumi CLI $CURRENT_PULUMI)"
    current="$(bash scripts/install-current-runtime.sh)"
    while IFS= read -r line; do declare "${line?}"; done <<< "$current"
    export PATH="$(dirname "$PSM_RUNTIME_PULUMI"):$PATH"
    engine_path="$PSM_RUNTIME_NODE_BIN:$PATH"
    project="$(node scripts/runtime-project.mjs "$PSM_RUNTIME_NODE_MODULES")"
    echo "runtime current: node v$CURRENT_NODE, @pulumi/pulumi $(sdk_version "$PSM_RUNTIME_NODE_MODULES"), pulumi CLI v$CURRENT_PULUMI" >&2
    ;;
esac

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
# Node.js's module compile cache for every Node.js process of a run (the program, the providers,
# the scripts here), from Node.js 22 on (Node.js 20 ignores the variable): see README, Benchmarks.
export NODE_COMPILE_CACHE="${NODE_COMPILE_CACHE:-${PSM_PULUMI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-superserve-mesa}/node-compile-cache}"

# Where the providers find the local backends (absolute: the program runs from stacks/).
export PSM_LOCAL_DIR="${PSM_LOCAL_DIR:-$ROOT/.local-data}"

# What a killed run left behind (its processes, a half-written state, its lock when its owner is
# provably gone); a lock of a run still in progress stops this one here, before it changes anything.
node scripts/clean-killed-runs.mjs --before
if [ "$STACK" = "local" ]; then
  # A restart keeps the sandboxes' processes (live restore): `stop` froze them, `start` takes
  # them back, mounts included.
  step "starting the local backends (pulumi-superserve-mesa-local start)"
  node local/dist/cli.js start
fi

# The stack's state, which also says whether the stack exists: a new stack is created and selected
# (for the user's own `pulumi` commands); an existing one is only named by every command here
# (--stack), which spares a `pulumi stack select` on every run. Fails when the state cannot be read.
if ! state="$(pulumi stack export --stack "$STACK" 2>/dev/null)"; then
  pulumi stack select --create "$STACK" --non-interactive >/dev/null
  state="$(pulumi stack export --stack "$STACK")"
fi

case "$command" in
  up)
    # --refresh: converge on what really exists (killed sandboxes, interrupted runs) first.
    refresh=(--refresh)
    read_pending_creates
    if [ "${#pending[@]}" -gt 0 ]; then
      # Safe: every create adopts what an interrupted create of its URN made (README, "Killed runs").
      step "clearing ${#pending[@]} pending create(s) of an interrupted run: the up adopts what they made"
      clear_pending_creates
      refresh=()   # just refreshed
    fi
    step "pulumi up --stack $STACK"
    engine up --yes --skip-preview "${refresh[@]}" --non-interactive --stack "$STACK" "$@"
    step "stack outputs"
    outputs="$(pulumi stack output --json --stack "$STACK")"
    printf '%s\n' "$outputs"
    step "proof: every agent's work is on its own bookmark; a file written in a sandbox's mount is read back from Mesa"
    printf '%s\n' "$outputs" | node dist/scripts/prove-environment.js
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
    pulumi stack output --json --stack "$STACK" | node dist/scripts/drift-demo.js
    step "pulumi preview --refresh --stack $STACK (what the drift preview shows)"
    engine preview --refresh --diff --non-interactive --stack "$STACK" "$@"
    echo "Run \`npm run up\` to converge again." >&2
    ;;
  destroy)
    read_pending_creates
    if [ "${#pending[@]}" -gt 0 ]; then
      # What the killed run's creates made is in no state, so a plain destroy would leave it (and a
      # template its sandboxes use could not be deleted). An up of just those resources adopts it
      # (README, "Killed runs"), and the destroy then deletes it with everything else.
      step "clearing ${#pending[@]} pending create(s) of an interrupted run and adopting what they made, for the destroy"
      clear_pending_creates
      targets=()
      for urn in "${pending[@]}"; do targets+=(--target "$urn"); done
      if ! engine up --yes --skip-preview --non-interactive --stack "$STACK" "${targets[@]}"; then
        # Destroy what the stack holds anyway; a sandbox left unadopted that keeps the template in
        # use is named by the template's delete.
        echo "adopting what the killed run made failed (see above); destroying what the stack holds" >&2
      fi
    fi
    step "pulumi destroy --stack $STACK"
    engine destroy --yes --skip-preview --non-interactive --stack "$STACK" "$@"
    ;;
  *)
    echo "unknown command '$command' (up|preview|drift|refresh|drift:demo|destroy)" >&2
    exit 2
    ;;
esac
