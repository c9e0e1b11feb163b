# The two commands of the README: `make run` and `make test` (plus `make bench`).
HOST ?= 127.0.0.1
PORT ?= 8000
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
PG_URL := postgres://postgres@127.0.0.1:5432/test
REDIS := redis://127.0.0.1:6379/0

.PHONY: run test bench install chromium node axe lint test-sqlite test-postgres

$(PY):
	python3 -m venv $(VENV)

# Reinstall only when pyproject.toml changes.
$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

# The one place debug pages are on; a server sets DEBUG=False (docs/deployment.md), which this keeps.
run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py bootstrap
	DEBUG=$${DEBUG:-True} $(VENV)/bin/daphne -b $(HOST) -p $(PORT) playground.asgi:application

chromium:
	@if [ ! -x /usr/bin/chromium ]; then $(SUDO) apt-get update && $(SUDO) apt-get install -y chromium; fi

# The tests' Node.js peers, each pinned in its package-lock.json:
# tests/browser: axe-core (injected into every page) and openai (runs the JavaScript View code sample);
# tests/oidc: oidc-provider (a real OpenID Connect provider for the single sign-on test).
NODE_PACKAGES := tests/browser/node_modules/.installed tests/oidc/node_modules/.installed
tests/%/node_modules/.installed: tests/%/package.json tests/%/package-lock.json
	@command -v npm >/dev/null || { $(SUDO) apt-get update && $(SUDO) apt-get install -y npm; }
	npm ci --prefix tests/$* --no-audit --no-fund
	touch $@

node: $(NODE_PACKAGES)
axe: node

test: install chromium node lint test-sqlite test-postgres

# House rules (pyproject.toml [tool.ruff]); a finding fails the run before any test.
lint: install
	$(VENV)/bin/ruff check .

# The SQLite pass runs in parallel workers (pytest-xdist), one per core up to four: each has its own test
# database and Daphne ports.
test-sqlite:
	env -u DATABASE_URL -u REDIS_URL $(VENV)/bin/pytest -n auto --maxprocesses=4

# The suite again on PostgreSQL and Redis, where both answer (on CI both must); the browser tests, which
# look at what a person sees, run in the SQLite pass only.
test-postgres:
	@pg=$$($(PY) -c "import socket;socket.create_connection(('127.0.0.1',5432),2)" 2>/dev/null && echo up || echo down); \
	redis=$$($(PY) -c "import socket;socket.create_connection(('127.0.0.1',6379),2)" 2>/dev/null && echo up || echo down); \
	if [ "$$pg" = up ] && [ "$$redis" = up ]; then \
		DATABASE_URL=$(PG_URL) REDIS_URL=$(REDIS) $(VENV)/bin/pytest -m "not browser"; \
	elif [ "$(CI)" = true ]; then \
		[ "$$pg" = up ] || echo "CI: PostgreSQL does not answer on 127.0.0.1:5432" >&2; \
		[ "$$redis" = up ] || echo "CI: Redis does not answer on 127.0.0.1:6379" >&2; \
		exit 1; \
	else \
		echo "Skipping the PostgreSQL + Redis run (PostgreSQL $$pg, Redis $$redis on 127.0.0.1)."; \
	fi

BENCH_STAMP := $(VENV)/.installed-bench
$(BENCH_STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e ".[test,bench]"
	touch $(BENCH_STAMP)

bench: install $(BENCH_STAMP)
	PEER=$(PEER) QUICK=$(QUICK) $(PY) -m bench
