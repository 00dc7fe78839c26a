#!/usr/bin/env bash
# Installs the pinned NATS server (with JetStream) into bin/ from the Go module proxy.
set -euo pipefail
VERSION="${NATS_SERVER_VERSION:-v2.12.15}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN="$ROOT/bin/nats-server"
STAMP="$ROOT/bin/.nats-server-$VERSION"

if [[ -x "$BIN" && -f "$STAMP" ]]; then
  exit 0
fi
echo "installing nats-server $VERSION (go install, first time only)..."
mkdir -p "$ROOT/bin"
GOFLAGS=-buildvcs=false GOBIN="$ROOT/bin" go install "github.com/nats-io/nats-server/v2@$VERSION"
rm -f "$ROOT"/bin/.nats-server-*
touch "$STAMP"
"$BIN" --version
