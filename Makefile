# Two commands on a fresh machine with Python 3.11+: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
export FLASK_APP := blogsite

.PHONY: run test install install-dev lint format seed bench clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "blogsite needs Python 3.11 or newer (found $$($(PYTHON) --version))."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python requirements.txt
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## run: install, migrate, seed the demo data and serve on http://127.0.0.1:5000 (debug mode)
run: install
	FLASK_DEBUG=1 $(BIN)/flask db upgrade
	FLASK_DEBUG=1 $(BIN)/flask seed
	FLASK_DEBUG=1 $(BIN)/flask run --host $(HOST) --port $(PORT)

## test: install the dev requirements and run the whole suite
test: install-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## bench: load benchmark of the cache (needs PostgreSQL, redis-server and wrk; see bench/README.md)
bench: install
	$(BIN)/python bench/run.py

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache instance/blogsite.sqlite
