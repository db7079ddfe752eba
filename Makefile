# Tributary: every target sets up what it needs, so `make run` and `make test` work on a fresh clone.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
WAREHOUSE ?= duckdb
export WAREHOUSE
export PATH := $(CURDIR)/$(BIN):$(PATH)
# Telemetry is switched off by Tributary's own entry points (ingestion/telemetry.py). This export
# is for the dbt that runs outside them: sqlfluff's dbt templater (lint) and the tests' dbt CLI.
export DO_NOT_TRACK := 1

.PHONY: install run test test-fast lint ui docs bench bench-scale clean

install: $(STAMP)

# Re-installs only when pyproject.toml changed. The grep drops pip's noise about local indexes
# and setuptools' notice on editable installs.
PIP_NOISE := is ignored|^ *$$|BuildBackendWarning: Editable installation|^ *!!$$|^ *[*]{20,}$$|Please be careful with folders|name as your package as they may|with strategy, WheelFile
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "Installing Tributary and its tools into $(VENV) (first run only)..."
	@set -o pipefail; $(BIN)/python -m pip install --quiet --upgrade pip 2>&1 | { grep -v "is ignored" || true; }
	@set -o pipefail; $(BIN)/python -m pip install --quiet -e '.[dev]' 2>&1 | { grep -v -E "$(PIP_NOISE)" || true; }
	@touch $(STAMP)

# The browser tests drive Debian's chromium through Playwright (never `playwright install`).
CHROMIUM ?= /usr/bin/chromium
export CHROMIUM
$(CHROMIUM):
	@echo "Installing Debian's chromium for the browser tests (first run only)..."
	@SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null

run: $(STAMP) ## build the whole warehouse (WAREHOUSE=duckdb|postgres), offline by default
	$(BIN)/python -m orchestration.run

lint: $(STAMP) ## ruff and sqlfluff
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/sqlfluff lint --processes 2 dbt_project

# Three pytest workers on two cores (a worker that waits for a server, a subprocess or a lock
# leaves its core to another), each taking the next work unit (a test file, or one end-to-end
# test) in the order tests/conftest.py gives, long journeys first (pytest_xdist_make_scheduler).
PYTEST_WORKERS ?= 3
PYTEST := $(BIN)/python -m pytest -n $(PYTEST_WORKERS)
FAST := (unit or dbt) and not postgres

# The SQL files changed since the last commit, and new ones: what test-fast lints with sqlfluff
# (about a second a file; make lint and make test lint every file).
CHANGED_SQL = $(shell git diff --name-only --diff-filter=d HEAD -- 'dbt_project/*.sql'; \
  git ls-files --others --exclude-standard -- 'dbt_project/*.sql')

test-fast: $(STAMP) ## the inner loop (about 3 min): ruff, sqlfluff on changed SQL, unit and dbt tiers on DuckDB
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(if $(strip $(CHANGED_SQL)),$(BIN)/sqlfluff lint $(CHANGED_SQL),@echo "sqlfluff: no SQL changed since the last commit")
	$(PYTEST) -m "$(FAST)"

# One pytest session for every tier: the short tests fill the time a worker would otherwise
# wait at the end for the other one's last long test. make lint runs beside it (its output
# kept in data/lint.log and printed at the end); the target fails when either fails.
LINT_LOG := data/lint.log
test: $(STAMP) $(CHROMIUM) ## every test: make lint beside every tier (unit, dbt, end to end, browser) on DuckDB and Postgres
	@mkdir -p $(dir $(LINT_LOG))
	@$(MAKE) --no-print-directory lint > $(LINT_LOG) 2>&1 & lint=$$!; \
	  $(PYTEST); tests=$$?; \
	  wait $$lint; linted=$$?; \
	  echo "make lint (beside the tests):"; cat $(LINT_LOG); \
	  [ $$linted = 0 ] || echo "make lint failed: see above"; \
	  [ $$tests = 0 ] && [ $$linted = 0 ]

ui: $(STAMP) ## Dagster UI on http://127.0.0.1:3000
	$(BIN)/python -m orchestration.ui

docs: $(STAMP) ## dbt docs site on http://127.0.0.1:8080 (descriptions and lineage; the catalog after make run)
	$(BIN)/python -m orchestration.docs

bench: $(STAMP) ## benchmarks: exchange load vs read_csv, incremental vs full dbt; git source vs git log and PyDriller; dashboard query latency
	$(BIN)/python -m benchmarks.exchange_load
	$(BIN)/python -m benchmarks.git_load
	$(BIN)/python -m benchmarks.dashboard_queries

SYMBOLS ?= 100
YEARS ?= 2
bench-scale: $(STAMP) ## whole runs over SYMBOLS x YEARS of one-minute candles (default 100 x 2: about 100M)
	$(BIN)/python -m benchmarks.scale --symbols $(SYMBOLS) --years $(YEARS)

clean: ## remove what runs wrote (the data folder and dbt targets), keep the virtualenv
	rm -rf data dbt_project/target dbt_project/logs
