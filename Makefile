# Two commands for a fresh clone: `make demo` and `make test`. Each sets up .venv when it is missing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.circles-installed

.PHONY: demo test lint setup docs lab clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,dask,docs,postgres]'
	@touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(BIN)/circles demo

# every core: a module's tests stay in one worker (--dist loadfile), so module fixtures are made once
test: $(STAMP)
	$(BIN)/python -m pytest -q -n auto --dist loadfile

# The documentation site (mkdocs-material + mkdocstrings), warnings as errors; built into build/site.
# (make test builds it too, in tests/test_docs.py: CI fails on a docs warning.)
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir build/site

# JupyterLab on the notebooks, for analysts.
lab: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[notebooks]'
	$(BIN)/jupyter lab notebooks/

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf reports/demo data/demo .pytest_cache
