# Two commands on a fresh machine with Python 3.11+: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
export FLASK_APP := blogsite
# requirements*.txt name what we chose; the locks pin everything they pull in, with hashes.
LOCK := requirements.lock
DEV_LOCK := requirements-dev.lock
# --universal: one lock for every OS and Python >= 3.11 (a laptop resolves what CI does).
UV_COMPILE = $(BIN)/uv pip compile --universal --python-version 3.11 --generate-hashes \
	--quiet --custom-compile-command "make lock" $(LOCK_ARGS)

.PHONY: run test install install-dev lock lint typecheck format seed bench clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "blogsite needs Python 3.11 or newer (found $$($(PYTHON) --version))."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Only what the locks pin, only with matching hashes.
$(VENV)/.installed: $(BIN)/python $(LOCK)
	$(BIN)/pip install --quiet --require-hashes -r $(LOCK)
	touch $@

# The dev lock holds the runtime pins too (compiled under the runtime lock as constraints).
$(VENV)/.installed-dev: $(BIN)/python $(DEV_LOCK)
	$(BIN)/pip install --quiet --require-hashes -r $(DEV_LOCK)
	touch $@ $(VENV)/.installed

# axe-core for the accessibility tests, pinned by package-lock.json (skipped without npm).
node_modules/.package-lock.json: package-lock.json
	@if command -v npm >/dev/null; then npm ci --no-audit --no-fund --loglevel=error; \
	else echo "npm not found: the axe-core accessibility tests will be skipped."; fi

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev node_modules/.package-lock.json

## lock: re-pin every dependency with hashes after editing requirements*.txt
##       (keeps other pins; `make lock LOCK_ARGS=--upgrade` moves them all to the newest)
lock: $(VENV)/.installed-dev
	$(UV_COMPILE) --output-file $(LOCK) requirements.txt
	$(UV_COMPILE) --constraint $(LOCK) --output-file $(DEV_LOCK) requirements-dev.txt
	$(MAKE) install-dev

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

lint: install-dev typecheck
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

## typecheck: mypy, strict, over blogsite/ (settings in pyproject.toml, stubs in typings/)
typecheck: install-dev
	$(BIN)/mypy

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache instance/blogsite.sqlite
