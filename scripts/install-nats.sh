#!/usr/bin/env bash
# Installs the pinned NATS server (with JetStream) into bin/ from the Go module proxy.
set -euo pipefail
exec "$(dirname "$0")/go-install.sh" nats-server "github.com/nats-io/nats-server/v2@${NATS_SERVER_VERSION:-v2.12.15}"
