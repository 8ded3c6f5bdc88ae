# codelens: every target sets up what it needs.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.codelens-installed

.PHONY: setup demo lab test lint typecheck pytest chromium bench clean

# torch is pinned to the CPU build this machine keeps on disk; installing it first
# keeps pip from resolving a CUDA build of several GB.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet "torch==2.13.0"
	$(BIN)/pip install --quiet -e ".[dev,notebook]"
	touch $(STAMP)

setup: $(STAMP)

## The main job: start the embedded server, index a few stdlib packages, search them.
demo: setup
	HF_HUB_OFFLINE=1 $(BIN)/codelens demo

## JupyterLab on the quickstart notebook.
lab: setup
	HF_HUB_OFFLINE=1 $(BIN)/jupyter lab notebooks/quickstart.ipynb

## Everything CI checks: lint, types, and the whole test suite with its coverage gate.
test: setup chromium lint typecheck pytest

lint: setup
	$(BIN)/ruff check codelens tests benchmarks
	$(BIN)/ruff format --check codelens tests benchmarks
	$(BIN)/lint-imports

typecheck: setup
	$(BIN)/mypy --strict codelens

pytest: setup
	HF_HUB_OFFLINE=1 $(BIN)/pytest -p randomly --cov=codelens --cov-report=term-missing:skip-covered --cov-fail-under=95 tests

chromium:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }

bench: setup
	HF_HUB_OFFLINE=1 $(BIN)/python benchmarks/index_stdlib.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .coverage
