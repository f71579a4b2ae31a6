#!/usr/bin/env bash
# The test command: sets everything up, type-checks, lints, runs every vitest project (unit,
# integration, e2e, conformance), and ends with the plain line "N passed, N failed[, N skipped]".
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

report="$(mktemp -d)/vitest.json"
npx vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@"
status=$?

if [ -s "$report" ]; then
  node -e '
    const r = require(process.argv[1]);
    const skipped = r.numPendingTests + r.numTodoTests;
    console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));
    if (r.numTotalTests === 0) { console.error("no test ran"); process.exit(1); }
  ' "$report" || status=1
else
  echo "0 passed, 1 failed"
  status=1
fi
exit "$status"
