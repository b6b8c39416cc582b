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
