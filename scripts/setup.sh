#!/usr/bin/env bash
# One command on a fresh machine: install, build, create the embedded database, run the main job.
source "$(dirname "$0")/lib.sh"
install_and_build
verdict() { node "$ROOT/apps/cli/dist/index.js" "$@"; }
verdict init --seed
verdict migrate status
