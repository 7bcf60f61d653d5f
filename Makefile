# The two quick-start commands (`make serve`, `make test`) and the chores behind them.
# Everything installs into ./.venv from pyproject.toml, so a fresh clone needs nothing else.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: serve test bench clean-venv

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	touch $(STAMP)

## serve: run the service on the embedded SQLite store (demo data when the store is empty)
serve: $(STAMP)
	$(BIN)/c360 serve

## test: the whole test suite (contract tests on JanusGraph skip unless services/up ran)
test: $(STAMP)
	$(BIN)/python -m pytest

## bench: the SQLite benchmarks in benchmarks/ (numbers go to docs/benchmarks.md by hand;
## the JanusGraph ones need services/up, see docs/benchmarks.md)
bench: $(STAMP)
	$(BIN)/python benchmarks/nested_query.py
	$(BIN)/python benchmarks/insights.py

clean-venv:
	rm -rf $(VENV)
