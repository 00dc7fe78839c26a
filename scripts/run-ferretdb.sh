#!/usr/bin/env bash
# Runs the project's FerretDB (built by install-ferretdb.sh) on SQLite, with the settings that development
# (`make up`), the tests and the benchmarks share.
#
# usage: scripts/run-ferretdb.sh DATA_DIR PORT [DEBUG_ADDR]
#
# - synchronous(NORMAL): SQLite's default (FULL) fsyncs every commit; NORMAL syncs at checkpoints, and in WAL mode
#   a crash of the process loses nothing (a power cut may lose the last commits). Production runs MongoDB.
# - GOGC=400: FerretDB allocates heavily for every document it converts, and Go's collector took about a fifth of
#   its CPU with the default (100). At 400 a replay reads the log 15 to 20 % faster (docs/perf.md), and FerretDB's
#   peak memory while reading a log of 100,000 events goes from 60 to 84 MiB. An explicit GOGC in the environment
#   wins.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DATA="$1"
PORT="$2"
DEBUG_ADDR="${3:--}"
mkdir -p "$DATA"
exec env GOGC="${GOGC:-400}" "$ROOT/bin/ferretdb" \
  --handler=sqlite \
  --sqlite-url="file:$DATA/?_pragma=synchronous(NORMAL)" \
  --state-dir="$DATA" \
  --listen-addr="127.0.0.1:$PORT" \
  --debug-addr="$DEBUG_ADDR" \
  --telemetry=disable \
  --log-level=warn
