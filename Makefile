# `make run` and `make test` do all set-up on a fresh machine and then run. Both use one venv
# in .venv with pinned dependencies (requirements.lock); each installs only what it needs:
#   make run        the runtime (the app, the CLI, SQLite storage); no test tools, no PostgreSQL driver, no Ray
#   make test       + the test tools, psycopg and Ray (extras test, clinic, ray), Debian's Chromium
#                   and PostgreSQL; then the linter, the type checker and the whole suite (what CI runs)
#   make test-fast  the suite without the real-browser and PostgreSQL tests; no apt-get, no lint
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip install --quiet -c requirements.lock
RUN_STAMP := $(VENV)/.installed-run
TEST_STAMP := $(VENV)/.installed-test
PORT ?= 8501
# The test selection of `make test-fast` (markers set in tests/conftest.py, registered in pyproject.toml).
FAST := not browser and not postgres

.PHONY: run test test-fast lint venv browser postgres bench bench-batch bench-load clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The runtime only.
$(RUN_STAMP): pyproject.toml requirements.lock | $(BIN)/python
	$(PIP) -e .
	touch $@

# Everything the whole suite, the linter and the benchmarks need.
$(TEST_STAMP): pyproject.toml requirements.lock | $(BIN)/python
	$(PIP) -e '.[test,clinic,ray]'
	touch $@

venv: $(RUN_STAMP)

# Debian's Chromium for the end-to-end tests (Playwright's own browser download fails offline).
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -q && apt-get install -y -q chromium chromium-driver; \
	  else sudo apt-get update -q && sudo apt-get install -y -q chromium chromium-driver; fi; \
	fi

run: $(RUN_STAMP)
	$(BIN)/python -m posture.ui.serve --port $(PORT)

# The linter and type checker run first: an error in either fails `make test`.
lint: $(TEST_STAMP)
	$(BIN)/python -m ruff check posture tests benchmarks app.py app_pages
	$(BIN)/python -m mypy

# Debian's PostgreSQL for the store's tests (they start their own server: initdb + pg_ctl on a free loopback port).
postgres:
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -q && apt-get install -y -q postgresql; \
	  else sudo apt-get update -q && sudo apt-get install -y -q postgresql; fi; \
	fi

# The whole suite: CI runs this (.ci/run).
test: lint browser postgres
	$(BIN)/python -m pytest

test-fast: $(TEST_STAMP)
	$(BIN)/python -m pytest -m '$(FAST)'

bench: $(RUN_STAMP)
	$(BIN)/python benchmarks/cost.py
	$(BIN)/python benchmarks/stability.py --raw
	$(BIN)/python benchmarks/reference.py
	$(BIN)/python benchmarks/placement.py

# Longer runs, apart: the batch runner's scaling (200 photos; 1 and 2 workers, Ray) and the
# store under 20 concurrent therapists on a PostgreSQL server it starts on loopback.
bench-batch: $(TEST_STAMP)
	$(BIN)/python benchmarks/batch.py

bench-load: $(TEST_STAMP) postgres
	$(BIN)/python benchmarks/load_store.py

clean:
	rm -rf $(VENV) .pytest_cache
