# The two quick-start commands (`make serve`, `make test`) and the chores behind them.
# Everything installs into ./.venv from pyproject.toml, so a fresh clone needs nothing else.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: serve test bench clean-venv js-tools graphiql-assets

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

## bench: the embedded-store benchmarks in benchmarks/, each writing its own table into docs/
## (the JanusGraph, Cassandra, OpenSearch and PostGraphile ones: see docs/benchmarks.md)
bench: $(STAMP)
	cd benchmarks && ../$(BIN)/python nested_query.py --persons 10000
	cd benchmarks && ../$(BIN)/python insights.py --persons 10000
	cd benchmarks && ../$(BIN)/python audit_overhead.py --persons 10000

## js-tools: the npm tools the tests drive (relay-compiler, graphql-http), exactly as
## tests/js/package-lock.json pins them; needs Node.js and npm. CI runs it before `make test`.
js-tools: tests/js/node_modules/.package-lock.json

tests/js/node_modules/.package-lock.json: tests/js/package.json tests/js/package-lock.json
	cd tests/js && npm ci --no-audit --no-fund

## graphiql-assets: re-fetch GraphiQL's vendored browser files from the npm registry (needs npm);
## move pins with e.g. `make graphiql-assets PINS="graphiql@4.1.3"`, then run `make test`
graphiql-assets: $(STAMP)
	$(BIN)/python -m customer360.graphiql.vendor $(PINS)

clean-venv:
	rm -rf $(VENV)
