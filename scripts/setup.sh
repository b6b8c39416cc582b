#!/usr/bin/env bash
# One command on a fresh machine: install, build, create the embedded database (data/verdict.db) with
# sample data, and run the main job on it: the IVR demo loop (demo IVR + API server + worker), then a
# look at the run-data and benchmark domains of the same database.
source "$(dirname "$0")/lib.sh"
install_and_build
verdict() { node "$ROOT/apps/cli/dist/index.js" "$@"; }
verdict init --seed
VERDICT_DEMO_DB="file:data/verdict.db" bash "$ROOT/scripts/demo.sh"
echo
echo "== run data: summary of the seeded load-test run" >&2
verdict runs summary seed-run-001
echo
echo "== benchmark metrics: total time across the seeded runs" >&2
verdict metrics trend total_time_seconds --project todo-app
echo
echo "Everything is in data/verdict.db; try: ./verdict --help" >&2
