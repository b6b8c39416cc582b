#!/usr/bin/env bash
# npm run demo — the whole IVR testing loop on this machine, in one command:
#   build (if needed) → embedded database with seed data (temp dir) → the demo IVR in its TwiML dialect,
#   tested with `verdict ivr run` → demo IVR (webhook), API server, worker → enqueue the sample
#   scenarios → wait for them → print the results → stop everything it started.
#
# Environment: VERDICT_DEMO_DB=URL runs against that database instead of a temp one (npm run setup uses
# the embedded default, file:data/verdict.db, so the results stay there to explore);
# VERDICT_DEMO_KEEP=1 keeps the temp folder (database and logs) for a look afterwards;
# VERDICT_DEMO_TIMEOUT (seconds, default 120) bounds the wait for the executions.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

SCENARIOS=(bank-balance bank-transfer-dtmf bank-agent demo-wrong-intent)
TIMEOUT="${VERDICT_DEMO_TIMEOUT:-120}"
DEMO_DIR="$(mktemp -d "${TMPDIR:-/tmp}/verdict-demo.XXXXXX")"
DB="${VERDICT_DEMO_DB:-file:$DEMO_DIR/verdict.db}"
PIDS=()
NAMES=()

say() { printf '\n\033[1m== %s\033[0m\n' "$*" >&2; }
die() { echo "demo: error: $*" >&2; exit 1; }

cleanup() {
  local status=$? i pid
  # Stop in reverse start order (worker, server, IVR), by the PIDs we started, never by name.
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
    pid="${PIDS[$i]}"
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      if kill -0 "$pid" 2>/dev/null; then
        echo "demo: ${NAMES[$i]} (pid $pid) did not stop within 10 s; killing it" >&2
        kill -KILL "$pid" 2>/dev/null || true
      fi
      wait "$pid" 2>/dev/null || true
      echo "demo: stopped ${NAMES[$i]} (pid $pid)" >&2
    fi
  done
  if [ "${VERDICT_DEMO_KEEP:-}" = "1" ]; then
    echo "demo: kept $DEMO_DIR (database verdict.db, logs *.log)" >&2
  else
    rm -rf "$DEMO_DIR"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------------------------------------
say "build (cached when nothing changed)"
if [ ! -d node_modules ] || [ ! -d apps/cli/node_modules ]; then
  source "$ROOT/scripts/lib.sh"
  ensure_pnpm
  pnpm install --frozen-lockfile --reporter=append-only >&2
fi
command -v pnpm >/dev/null 2>&1 || die "pnpm is not installed: run npm run setup first"
pnpm exec turbo run build --filter @verdict/cli... --filter @verdict/worker... --filter @verdict/demo-ivr... \
  --output-logs=errors-only >&2
for f in apps/cli/dist/index.js apps/worker/dist/index.js apps/demo-ivr/dist/main.js; do
  [ -f "$f" ] || die "$f was not built"
done

verdict() { node "$ROOT/apps/cli/dist/index.js" "$@"; }

# Starts a background process (output in $DEMO_DIR/<name>.log) and records its PID for cleanup.
start_bg() {
  local name="$1"
  shift
  "$@" >"$DEMO_DIR/$name.log" 2>&1 &
  LAST_PID="$!"
  PIDS+=("$LAST_PID")
  NAMES+=("$name")
}

# Waits for the JSON line {…"url":…,"msg":"listening"} (keys in any order) in <name>.log; sets LISTEN_URL.
wait_listening() {
  local name="$1" pid="$2"
  LISTEN_URL=""
  for _ in $(seq 1 300); do
    if ! kill -0 "$pid" 2>/dev/null; then
      cat "$DEMO_DIR/$name.log" >&2
      die "$name exited before it was ready"
    fi
    LISTEN_URL="$(sed -n '/"msg":"listening"/s/.*"url":"\([^"]*\)".*/\1/p' "$DEMO_DIR/$name.log" | head -n 1)"
    [ -n "$LISTEN_URL" ] && break
    sleep 0.1
  done
  [ -n "$LISTEN_URL" ] || { cat "$DEMO_DIR/$name.log" >&2; die "$name did not report a listening URL within 30 s"; }
  echo "demo: $name (pid $pid) listening on $LISTEN_URL" >&2
}

# ---------------------------------------------------------------------------------------------
say "embedded database with seed data: $DB"
verdict --db "$DB" init --seed
verdict --db "$DB" scenarios show demo-wrong-intent >/dev/null 2>&1 ||
  verdict --db "$DB" scenarios add "$ROOT/apps/demo-ivr/scenarios/demo-wrong-intent.yaml"
# A token per demo run, so running it again on a kept database does not collide with an old one.
TOKEN="$(verdict --db "$DB" tokens create --name "demo-$(date +%s)-$$" --scope write 2>/dev/null)"
[ -n "$TOKEN" ] || die "could not create an API token"

say "the same IVR speaking TwiML, tested in one command: verdict ivr run (in-process, no server or worker)"
start_bg demo-ivr-twiml node "$ROOT/apps/demo-ivr/dist/main.js" --port 0 --host 127.0.0.1 --dialect twiml
wait_listening demo-ivr-twiml "$LAST_PID"
TWIML_URL="$LISTEN_URL"
verdict --db "$DB" ivr run bank-balance bank-transfer-dtmf bank-agent \
  "$ROOT/apps/demo-ivr/scenarios/demo-twiml-agent.yaml" \
  --target "$TWIML_URL" --channel twiml --junit "$DEMO_DIR/ivr-run.junit.xml" ||
  die "verdict ivr run over TwiML failed (exit $?)"
echo "demo: JUnit report $DEMO_DIR/ivr-run.junit.xml" >&2

say "start the demo IVR, the API server and a worker (all on 127.0.0.1)"
start_bg demo-ivr node "$ROOT/apps/demo-ivr/dist/main.js" --port 0 --host 127.0.0.1
wait_listening demo-ivr "$LAST_PID"
IVR_URL="$LISTEN_URL"
start_bg server node "$ROOT/apps/cli/dist/index.js" --db "$DB" serve --host 127.0.0.1 --port 0
wait_listening server "$LAST_PID"
SERVER_URL="$LISTEN_URL"
start_bg worker node "$ROOT/apps/worker/dist/index.js" --server "$SERVER_URL" --token "$TOKEN" --concurrency 2 \
  --kinds ivr --ivr-webhook "$IVR_URL"
WORKER_PID="$LAST_PID"
echo "demo: worker (pid $WORKER_PID) claiming from $SERVER_URL" >&2

remote() { verdict --server "$SERVER_URL" --token "$TOKEN" "$@"; }

say "intent classifier on the validated training samples (3-fold cross-validation)"
remote training evaluate --folds 3

# Executions are numbered; the seed's come first. Ours are the ones above the highest id now.
before="$(remote --json executions list --limit 1000 | node -e '
  let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
    console.log(Math.max(0, ...JSON.parse(s).items.map((e) => Number(e.execution_id))));
  });')"

say "enqueue ${SCENARIOS[*]}"
for s in "${SCENARIOS[@]}"; do remote executions enqueue --scenario "$s"; done

say "wait for the executions (at most ${TIMEOUT} s)"
deadline=$((SECONDS + TIMEOUT))
while :; do
  # A queued execution is a queue item until a worker starts it: count what the queue still holds.
  pending="$(remote --json queue counts | node -e '
    let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
      const ivr = JSON.parse(s).ivr;
      console.log(ivr.queued + ivr.running);
    });')"
  [ "$pending" = "0" ] && break
  if ((SECONDS >= deadline)); then
    echo "demo: still $pending execution(s) unfinished after ${TIMEOUT} s; worker log:" >&2
    tail -n 30 "$DEMO_DIR/worker.log" >&2
    exit 1
  fi
  if ! kill -0 "$WORKER_PID" 2>/dev/null; then
    cat "$DEMO_DIR/worker.log" >&2
    die "the worker exited"
  fi
  printf '.' >&2
  sleep 1
done
echo >&2

say "results"
remote executions list --limit 20
ids="$(remote --json executions list --limit 1000 | BEFORE="$before" node -e '
  let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
    for (const e of JSON.parse(s).items) if (e.execution_id > Number(process.env.BEFORE)) console.log(e.execution_id);
  });')"
for id in $ids; do
  say "execution $id"
  remote executions show "$id"
done

# Executions name their scenario by its number; the scenarios list gives each number its slug.
slugs="$(remote --json scenarios list --limit 1000 | node -e '
  let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
    console.log(JSON.stringify(Object.fromEntries(JSON.parse(s).items.map((c) => [c.scenario_id, c.slug]))));
  });')"
failed_unexpectedly="$(remote --json executions list --limit 1000 | BEFORE="$before" SLUGS="$slugs" node -e '
  let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
    const slugs = JSON.parse(process.env.SLUGS);
    const ours = JSON.parse(s).items.filter((e) => e.execution_id > Number(process.env.BEFORE));
    const bad = ours.filter((e) =>
      slugs[e.scenario_id] === "demo-wrong-intent" ? e.final_result !== "fail" : e.final_result !== "pass");
    if (ours.length === 0) console.log("no executions ran");
    console.log(bad.map((e) => `${slugs[e.scenario_id]}:${e.status}/${e.final_result}`).join(" "));
  });')"
failed_unexpectedly="$(echo "$failed_unexpectedly" | tr -s '\n' ' ' | sed 's/ *$//')"
if [ -n "$failed_unexpectedly" ]; then
  die "unexpected results: $failed_unexpectedly (logs in $DEMO_DIR with VERDICT_DEMO_KEEP=1)"
fi
say "demo finished: the seeded scenarios passed and demo-wrong-intent failed at its intent step, as intended"
