#!/usr/bin/env bash
# Everything `make test` runs. The Python tests start their own FerretDB and NATS (other ports, temporary data),
# so this works while `make up` is running.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== lint (ruff, mypy)"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy .
echo "== frontend (typecheck, vitest)"
(cd frontend && npm run --silent typecheck && npx vitest run)
echo "== python (unit, integration, e2e)"
.venv/bin/pytest "$@"
