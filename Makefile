# chainmatch: `make run` serves the demo, `make test` runs every test.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOME_DIR ?= var
WORLD_FIRMS ?= 5000
WORLD_SEED ?= 7
export CHAINMATCH_HOME ?= $(CURDIR)/$(HOME_DIR)

.PHONY: install run demo-data test test-fast bench lint chromium pgclient clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

# Debian's Chromium for the browser tests (Playwright drives it; no browser download).
chromium:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi wqy; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei; \
	  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei; fi; \
	fi

# pg_dump/pg_restore for `chainmatch backup|restore` on PostgreSQL (and their tests)
pgclient:
	@command -v pg_dump >/dev/null || { if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-client; \
	  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-client; fi; }

demo-data: install
	mkdir -p $(CHAINMATCH_HOME)
	$(BIN)/chainmatch db upgrade
	@if [ ! -f $(CHAINMATCH_HOME)/world/enterprises.csv ]; then \
	  $(BIN)/chainmatch world --firms $(WORLD_FIRMS) --seed $(WORLD_SEED) --out $(CHAINMATCH_HOME)/world; fi
	$(BIN)/chainmatch import-dir $(CHAINMATCH_HOME)/world
	$(BIN)/chainmatch demo-setup

run: demo-data
	$(BIN)/chainmatch serve --host 127.0.0.1 --port 8000

test: install chromium pgclient
	$(BIN)/python -m pytest -m "not bench" -q

test-fast: install
	$(BIN)/python -m pytest -m "not bench and not browser and not slow" -q

bench: install
	@command -v wrk >/dev/null || { if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; \
	  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; fi; }
	mkdir -p $(CHAINMATCH_HOME)/bench
	$(BIN)/python -m pytest -m bench -q -s -p no:cacheprovider tests/bench

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) var
