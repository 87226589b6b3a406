# lotusar — two commands: `make demo` and `make test` (README.md); `make lint` runs the static checks alone.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
OUT ?= out/demo
PYTEST_ARGS ?=
# `mypy --strict` on the shared vocabulary and the SAR product model; the non-strict pass over
# the type-clean packages is configured in pyproject.toml ([tool.mypy]).
MYPY_STRICT := src/lotusar/constants.py src/lotusar/geodesy.py src/lotusar/timeutil.py src/lotusar/errors.py \
	src/lotusar/sar/model.py

.PHONY: setup system web demo docs lint test bench clean

# Python environment with the pinned dependencies (requirements.lock) and lotusar itself.
setup: $(VENV)/.installed
$(VENV)/.installed: requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements.lock
	$(BIN)/pip install -q --no-deps -e .
	touch $@

# Debian packages the real-part tests use (PostgreSQL/PostGIS, headless Chromium, Node for the
# web map's npm packages). Under CI=true a test whose part is missing fails (tests/conftest.py);
# elsewhere it skips with the reason.
system:
	-bash scripts/install-system-deps.sh

# Web map assets from the npm registry, served locally (no CDN).
web:
	-bash scripts/install-web-deps.sh

demo: setup web
	$(BIN)/lotusar scenario run typhoon --scale full --out $(OUT)

# The documentation site (Sphinx + executed tutorials, offline) into docs/site/_build/html,
# served by `lotusar serve` at /guide.
docs: setup
	bash scripts/build-docs.sh

# Static checks, before any test runs: ruff (pyproject.toml [tool.ruff]) and mypy.
lint: setup
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy --strict $(MYPY_STRICT)
	$(BIN)/mypy

test: lint system web
	$(BIN)/python -m pytest -n 2 --dist loadfile $(PYTEST_ARGS)

# Peers measured in the same run (pgstac, TiTiler): their own lock, installed without
# dependency resolution because pypgstac declares cachetools<6.1 (it runs with the main lock's 8.0.2).
bench: setup
	$(BIN)/pip install -q --no-deps -r requirements-bench.lock
	for b in bench/*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) out .pytest_cache
