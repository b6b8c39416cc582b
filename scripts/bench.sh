#!/usr/bin/env bash
# Benchmarks: never part of the test suite; results go to bench/RESULTS.md by hand, with the command.
source "$(dirname "$0")/lib.sh"
install_and_build
pnpm --filter @verdict/bench run bench "$@"
