#!/usr/bin/env bash
# supervisorctl for the stack `make up` runs: scripts/ctl.sh status | restart command_api | stop web | tail -f projector
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
export PARLEY_DATA="${PARLEY_DATA:-$ROOT/.data}"
exec "$ROOT/.venv/bin/supervisorctl" --configuration "$ROOT/supervisord.conf" "$@"
