# `make run` and `make test` do all set-up on a fresh machine (a venv in .venv with pinned
# dependencies; Debian's Chromium for the browser tests) and then run.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8501

.PHONY: run test lint venv browser postgres bench bench-batch bench-load clean

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

# Debian's Chromium for the end-to-end tests (Playwright's own browser download fails offline).
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -q && apt-get install -y -q chromium chromium-driver; \
	  else sudo apt-get update -q && sudo apt-get install -y -q chromium chromium-driver; fi; \
	fi

run: $(STAMP)
	$(BIN)/python -m posture.ui.serve --port $(PORT)

# The linter and type checker run first: an error in either fails `make test`.
lint: $(STAMP)
	$(BIN)/python -m ruff check posture tests benchmarks app.py app_pages
	$(BIN)/python -m mypy

# Debian's PostgreSQL for the store's tests (they start their own server: initdb + pg_ctl on a free loopback port).
postgres:
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -q && apt-get install -y -q postgresql; \
	  else sudo apt-get update -q && sudo apt-get install -y -q postgresql; fi; \
	fi

test: lint browser postgres
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/cost.py
	$(BIN)/python benchmarks/stability.py --raw
	$(BIN)/python benchmarks/reference.py

# Longer runs, apart: the batch runner's scaling (200 photos; 1 and 2 workers, Ray) and the
# store under 20 concurrent therapists on a PostgreSQL server it starts on loopback.
bench-batch: $(STAMP)
	$(BIN)/python benchmarks/batch.py

bench-load: $(STAMP) postgres
	$(BIN)/python benchmarks/load_store.py

clean:
	rm -rf $(VENV) .pytest_cache
