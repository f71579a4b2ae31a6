#!/usr/bin/env bash
# The test command: sets everything up, type-checks, lints, runs every vitest project (unit,
# integration, e2e, conformance) on the minimum runtime and the e2e tests again on the current
# one, and ends with the plain line "N passed, N failed[, N skipped]" over both.
# Exits non-zero on any failure.
# Extra arguments go to vitest (e.g. `npm test -- --project unit`).
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

bash scripts/setup.sh >/dev/null || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }

if ! npm run --silent typecheck; then
  echo "typecheck failed"
  echo "0 passed, 1 failed"
  exit 1
fi

# Lint and format check (eslint, prettier --check): a violation fails the test command.
if ! npm run --silent lint; then
  echo "lint failed: run \`npm run format\` for formatting; fix what eslint names"
  echo "0 passed, 1 failed"
  exit 1
fi

# The two runtimes (README, "Runtimes"). Every test runs on the minimum: this machine's Node.js,
# the lockfile's @pulumi/pulumi and the CLI of its version. Then, unless arguments narrowed the run,
# the end-to-end tests run again with the engine, the programs and the providers on the current
# runtime (scripts/install-current-runtime.sh; test/helpers/pulumi.ts reads its PSM_RUNTIME_*
# variables) — all but the main job, whose story runs `npm run up` on both runtimes itself
# (PSM_RUNTIME), and the vendors' guide, which runs no Pulumi. The provider plugin's tests run the
# plugin installed in each project (the current SDK) and Python programs with the newest `pulumi`
# the Python package index serves (scripts/runtimes.sh: its venv is made here, minutes the first time).
runtime_line() { # <name> <node binary> <@pulumi/pulumi directory> <pulumi binary>
  echo "runtime $1: node $("$2" --version), @pulumi/pulumi $("$2" -p "require('$3/package.json').version"), pulumi CLI $("$4" version)"
}
runtime_line minimum "$(command -v node)" "$ROOT/node_modules/@pulumi/pulumi" "$(bash scripts/install-pulumi.sh 2>/dev/null | tail -n 1)"

# The current runtime and its Python SDK's venv, before any test: the main job's story (minimum
# pass) runs `npm run up` on it too. Minutes the first time (the CLI's build), then a second.
# shellcheck source=runtimes.sh
. scripts/runtimes.sh
current="$(bash scripts/install-current-runtime.sh)" \
  && PULUMI_VERSION="$CURRENT_PYTHON_PULUMI" bash scripts/python-sdk-venv.sh >/dev/null \
  || current=""

dir="$(mktemp -d)"
reports=("$dir/minimum.json")
npx vitest run --reporter=default --reporter=json --outputFile.json="$dir/minimum.json" "$@"
status=$?

if [ "$#" -eq 0 ]; then
  reports+=("$dir/current.json")
  if [ -n "$current" ]; then
    (
      while IFS= read -r line; do export "${line?}"; done <<< "$current"
      runtime_line current "$PSM_RUNTIME_NODE_BIN/node" "$PSM_RUNTIME_NODE_MODULES/@pulumi/pulumi" "$PSM_RUNTIME_PULUMI"
      npx vitest run --project e2e --exclude test/e2e/main-job.test.ts --exclude test/e2e/seed-guide.test.ts \
        --reporter=default --reporter=json --outputFile.json="$dir/current.json"
    ) || status=1
  else
    echo "the current runtime could not be installed (scripts/install-current-runtime.sh, scripts/python-sdk-venv.sh: see above)"
    status=1
  fi
fi

# One closing line over both passes; a pass without a report counts as one failure.
node -e '
  const { existsSync, readFileSync } = require("node:fs");
  let passed = 0, failed = 0, skipped = 0, total = 0;
  for (const file of process.argv.slice(1)) {
    if (!existsSync(file) || readFileSync(file, "utf8").length === 0) { failed += 1; continue; }
    const r = JSON.parse(readFileSync(file, "utf8"));
    passed += r.numPassedTests; failed += r.numFailedTests; total += r.numTotalTests;
    skipped += r.numPendingTests + r.numTodoTests;
  }
  console.log(`${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ""));
  if (total === 0) { console.error("no test ran"); process.exit(1); }
  if (failed > 0) process.exit(1);
' "${reports[@]}" || status=1
exit "$status"
