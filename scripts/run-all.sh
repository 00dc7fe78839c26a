#!/usr/bin/env bash
# Runs the local stack of `make up` under supervisord (supervisord.conf): FerretDB, NATS, the four services and the
# web client, each restarted if it dies. Settings come from the environment, then .env and the secrets file (what
# honcho used to read), then the defaults below; the tests start it with their own ports and data directory.
# usage: scripts/run-all.sh
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
export PARLEY_MONGODB_URL="${PARLEY_MONGODB_URL:-mongodb://127.0.0.1:$PARLEY_FERRETDB_PORT}"
export PARLEY_NATS_URL="${PARLEY_NATS_URL:-nats://127.0.0.1:$PARLEY_NATS_PORT}"
export PARLEY_COMMAND_URL="${PARLEY_COMMAND_URL:-http://127.0.0.1:$PARLEY_COMMAND_PORT}"
export PARLEY_QUERY_URL="${PARLEY_QUERY_URL:-http://127.0.0.1:$PARLEY_QUERY_PORT}"
export PARLEY_REALTIME_URL="${PARLEY_REALTIME_URL:-http://127.0.0.1:$PARLEY_REALTIME_PORT}"
mkdir -p "$PARLEY_DATA/ferretdb" "$PARLEY_DATA/nats"
exec "$ROOT/.venv/bin/supervisord" --nodaemon --configuration "$ROOT/supervisord.conf"
