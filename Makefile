# The newest python3.X (3.11 or later) on PATH that runs: a pyenv shim of a version not
# selected fails, so each is asked, not just found. PYTHON= overrides; VENV= keeps one per Python.
ifeq ($(origin PYTHON), undefined)
PYTHON := $(shell for minor in $$(seq 30 -1 11); do \
	python3.$$minor -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
	&& echo python3.$$minor && break; done)
endif
VENV ?= .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: install run serve test test-fast worker bench lint format

$(INSTALLED): pyproject.toml
	@test -n "$(PYTHON)" || { echo "No python3.11 or newer on PATH; set PYTHON=" >&2; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

install: $(INSTALLED)

# Azurite, Microsoft's Azure Storage emulator, for the Azure provider's tests and `make run`.
AZURITE := .tools/node_modules/.bin/azurite-blob
$(AZURITE):
	@command -v npm >/dev/null || { echo "npm is needed to install Azurite (Node.js 18+)" >&2; exit 1; }
	npm install --prefix .tools --no-audit --no-fund --loglevel=error azurite@3.35.0

# The TypeScript contract test's tools (openapi-typescript, openapi-fetch, TypeScript), pinned by
# clients/typescript/package-lock.json: tests only, nothing of it ships.
TS_CLIENT := clients/typescript/node_modules/.installed
$(TS_CLIENT): clients/typescript/package-lock.json
	@command -v npm >/dev/null || { echo "npm is needed for the TypeScript client test (Node.js 18+)" >&2; exit 1; }
	npm ci --prefix clients/typescript --no-audit --no-fund --loglevel=error
	touch $@

# The embedded S3 listens on loopback, so the demo allows private endpoints.
run: $(INSTALLED)
	STORAGE_ALLOW_PRIVATE_ENDPOINTS=$${STORAGE_ALLOW_PRIVATE_ENDPOINTS:-true} \
	RECORDER_MODE=$${RECORDER_MODE:-simulated} \
	$(BIN)/python manage.py serve_demo

# The production web tier on one machine, on $$PORT (8000): Debian's nginx in front of gunicorn
# (README, "Serving"). Settings come from the environment, as in production.
serve: $(INSTALLED)
	$(BIN)/python manage.py serve

# The suite runs in parallel (pytest-xdist), each worker on a test database of its own; the
# tests mostly wait on servers and processes, so more workers than cores pay.
TEST_WORKERS ?= 4
test: $(INSTALLED) $(AZURITE) $(TS_CLIENT)
	$(BIN)/python -m pytest -n $(TEST_WORKERS)

# Everything but the slow, end-to-end and browser tests (docs/testing.md): under 90 s.
test-fast: $(INSTALLED) $(AZURITE)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) -m "not slow and not e2e and not browser"

worker: $(INSTALLED)
	$(BIN)/celery -A meetstream worker --beat --loglevel=info

$(VENV)/.bench-installed: $(INSTALLED)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	touch $@

bench: $(VENV)/.bench-installed $(AZURITE)
	$(BIN)/python -m bench

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(INSTALLED)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .
