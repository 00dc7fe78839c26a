#!/usr/bin/env bash
# Installs a pinned Go command into bin/ from the Go module proxy, once per version (a stamp file records it).
# usage: scripts/go-install.sh NAME PACKAGE@VERSION
set -euo pipefail
NAME="$1"
PACKAGE="$2"
VERSION="${PACKAGE##*@}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN="$ROOT/bin/$NAME"
STAMP="$ROOT/bin/.$NAME-$VERSION"

if [[ -x "$BIN" && -f "$STAMP" ]]; then
  exit 0
fi
echo "installing $NAME $VERSION (go install, first time only)..."
mkdir -p "$ROOT/bin"
GOFLAGS=-buildvcs=false GOBIN="$ROOT/bin" go install "$PACKAGE"
rm -f "$ROOT/bin/.$NAME"-*
touch "$STAMP"
