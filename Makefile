# Parley: `make up` starts everything (http://localhost:8080); `make test` runs every test.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PY_STAMP := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)
WEB_STAMP := frontend/node_modules/.installed-$(shell sha1sum frontend/package-lock.json | cut -c1-12)

.PHONY: up dev web test install infra browser lint clean-data api-types

# The services read their keys from .data/secrets.env (random, made on the first start, mode 0600).
# `make up`: the production shape (the built client behind the Caddy gateway, two realtime nodes).
up: $(PY_STAMP) $(WEB_STAMP) infra web
	@mkdir -p .data/ferretdb .data/nats
	@scripts/dev-secrets.sh .data/secrets.env
	@scripts/run-all.sh

# `make dev`: the same services, with Vite's development server (hot reload) in the gateway's place.
dev: $(PY_STAMP) $(WEB_STAMP) infra
	@mkdir -p .data/ferretdb .data/nats
	@scripts/dev-secrets.sh .data/secrets.env
	@scripts/run-all.sh dev

# The built client, rebuilt when its sources change.
WEB_SOURCES := $(shell find frontend/src frontend/public -type f 2>/dev/null) frontend/index.html \
	frontend/vite.config.ts frontend/securityHeaders.ts frontend/package-lock.json
web: frontend/dist/index.html
frontend/dist/index.html: $(WEB_STAMP) $(WEB_SOURCES)
	@echo "building the web client (vite build)..."
	@cd frontend && npx vite build --logLevel warn
	@touch $@

test: install
	@bash scripts/test.sh

install: $(PY_STAMP) $(WEB_STAMP) infra web browser

infra:
	@scripts/install-ferretdb.sh
	@scripts/install-nats.sh
	@scripts/install-caddy.sh

# Debian's Chromium for the browser tests (Playwright drives it; nothing is downloaded from elsewhere).
browser:
	@command -v chromium >/dev/null || { \
	  echo "installing chromium (apt, first time only)..."; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-color-emoji >/dev/null; }

$(PY_STAMP): pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-* && touch $@

$(WEB_STAMP): frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund --loglevel=error
	@rm -f frontend/node_modules/.installed-* && touch $@

# The web client's API types, after a change to what the servers send or accept (shared/schemas.py, the routes'
# models): the schemas from the code, then the TypeScript from the schemas. Tests on both sides fail until then.
api-types: $(PY_STAMP) $(WEB_STAMP)
	$(PY) -m parley_cli.api_schemas
	cd frontend && npm run --silent api-types

lint: $(PY_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .

clean-data:
	rm -rf .data
