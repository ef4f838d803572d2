# chatter-monitor — the two commands a new user needs are `make demo` and `make test`.
# Every target creates .venv and installs the pinned dependencies when missing.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PIP    := $(BIN)/python -m pip --disable-pip-version-check

.PHONY: install demo test lint fmt migrate bench lock clean

install: $(STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml constraints.txt
	$(PIP) install --quiet --constraint constraints.txt --editable '.[dev]'
	@touch $(STAMP)

## demo: generate the bundled demo stream and run the pipeline on it (SQLite under ./data)
demo: install
	$(BIN)/monitor demo

## test: lint, then the whole test suite (SQLite and PostgreSQL; slow tests included)
test: lint
	$(BIN)/python -m pytest

## lint: ruff, mypy and the layer contract (import-linter)
lint: install
	$(BIN)/ruff check monitor tests benchmarks migrations
	$(BIN)/mypy
	$(BIN)/lint-imports

## fmt: format and autofix
fmt: install
	$(BIN)/ruff format monitor tests benchmarks
	$(BIN)/ruff check --fix monitor tests benchmarks

## migrate: bring the configured database to the latest schema
migrate: install
	$(BIN)/monitor db upgrade

## bench: ingest throughput and peak memory (1M lines, SQLite and PostgreSQL), then enrichment
## throughput on the demo stream and enrichment quality on the labelled sets
bench: install
	$(BIN)/python benchmarks/ingest.py
	$(BIN)/python benchmarks/enrich.py
	$(BIN)/python benchmarks/enrich_quality.py --split test

## lock: re-pin constraints.txt from the current environment
lock: install
	@{ sed -n '1,3p' constraints.txt; \
	   { $(PIP) freeze --exclude-editable | grep -v -e '^chatter-monitor' -e '^torch=='; echo 'torch==2.13.0'; } \
	   | sort -u -f; } > constraints.txt.new && mv constraints.txt.new constraints.txt

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
