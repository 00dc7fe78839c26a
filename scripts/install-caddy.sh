#!/usr/bin/env bash
# Installs the pinned Caddy (Parley's web gateway, gateway/Caddyfile) into bin/ from the Go module proxy; the build
# takes a few minutes the first time.
set -euo pipefail
exec "$(dirname "$0")/go-install.sh" caddy "github.com/caddyserver/caddy/v2/cmd/caddy@${CADDY_VERSION:-v2.11.9}"
