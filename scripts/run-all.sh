#!/usr/bin/env bash
# Runs the local stack under supervisord (supervisord.conf): FerretDB, NATS, the four services with two realtime
# nodes, and the Caddy gateway serving the built client (`make up`); or, with `dev`, one realtime node and Vite's
# development server in the gateway's place (`make dev`). Each process is restarted if it dies. Settings come from the environment, then .env and the secrets file (what
# honcho used to read), then the defaults below; the tests start it with their own ports and data directory.
# usage: scripts/run-all.sh [dev]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
export PARLEY_DATA="${PARLEY_DATA:-$ROOT/.data}"
set -a
# shellcheck disable=SC1091
[[ -f .env ]] && source .env
# shellcheck disable=SC1091
[[ -f "$PARLEY_DATA/secrets.env" ]] && source "$PARLEY_DATA/secrets.env"
set +a
export PARLEY_FERRETDB_PORT="${PARLEY_FERRETDB_PORT:-27017}"
export PARLEY_FERRETDB_DEBUG_ADDR="${PARLEY_FERRETDB_DEBUG_ADDR:-127.0.0.1:8088}"
export PARLEY_NATS_PORT="${PARLEY_NATS_PORT:-4222}"
export PARLEY_NATS_HTTP_PORT="${PARLEY_NATS_HTTP_PORT:-8222}"
export PARLEY_COMMAND_PORT="${PARLEY_COMMAND_PORT:-8001}"
export PARLEY_QUERY_PORT="${PARLEY_QUERY_PORT:-8002}"
export PARLEY_REALTIME_PORT="${PARLEY_REALTIME_PORT:-8003}"
export PARLEY_REALTIME2_PORT="${PARLEY_REALTIME2_PORT:-8005}"
export PARLEY_WEB_PORT="${PARLEY_WEB_PORT:-8080}"
export PARLEY_MONGODB_URL="${PARLEY_MONGODB_URL:-mongodb://127.0.0.1:$PARLEY_FERRETDB_PORT}"
export PARLEY_NATS_URL="${PARLEY_NATS_URL:-nats://127.0.0.1:$PARLEY_NATS_PORT}"
export PARLEY_COMMAND_URL="${PARLEY_COMMAND_URL:-http://127.0.0.1:$PARLEY_COMMAND_PORT}"
export PARLEY_QUERY_URL="${PARLEY_QUERY_URL:-http://127.0.0.1:$PARLEY_QUERY_PORT}"
export PARLEY_REALTIME_URL="${PARLEY_REALTIME_URL:-http://127.0.0.1:$PARLEY_REALTIME_PORT}"
if [[ "${1:-}" == "dev" ]]; then
  export PARLEY_GATEWAY_AUTOSTART=false PARLEY_VITE_AUTOSTART=true
else
  export PARLEY_GATEWAY_AUTOSTART=true PARLEY_VITE_AUTOSTART=false
  [[ -f frontend/dist/index.html ]] || { echo "the web client is not built: run make up" >&2; exit 1; }
fi
# Where the gateway finds things (gateway/Caddyfile), and Caddy's own files under the data directory.
export PARLEY_GATEWAY_PORT="$PARLEY_WEB_PORT"
export PARLEY_GATEWAY_BIND="${PARLEY_GATEWAY_BIND:-127.0.0.1}"
export PARLEY_COMMAND_UPSTREAMS="127.0.0.1:$PARLEY_COMMAND_PORT"
export PARLEY_QUERY_UPSTREAMS="127.0.0.1:$PARLEY_QUERY_PORT"
export PARLEY_REALTIME_UPSTREAMS="127.0.0.1:$PARLEY_REALTIME_PORT 127.0.0.1:$PARLEY_REALTIME2_PORT"
export PARLEY_WEB_ROOT="${PARLEY_WEB_ROOT:-$ROOT/frontend/dist}"
export XDG_DATA_HOME="$PARLEY_DATA/caddy" XDG_CONFIG_HOME="$PARLEY_DATA/caddy"
mkdir -p "$PARLEY_DATA/ferretdb" "$PARLEY_DATA/nats" "$PARLEY_DATA/caddy"
exec "$ROOT/.venv/bin/supervisord" --nodaemon --configuration "$ROOT/supervisord.conf"
