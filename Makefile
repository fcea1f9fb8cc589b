# `make test` builds its own virtualenv, installs iamd with its test tools, lints, type-checks,
# checks the layer contracts and runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The aws CLI v1 swaps in its own botocore when imported: it lives in a virtualenv of its own
# and the integration tests run it as a subprocess.
AWSCLI_VENV := .venv-awscli
AWSCLI := $(AWSCLI_VENV)/bin/aws
AWSCLI_VERSION := 1.46.3

.PHONY: test lint typecheck contracts pytest bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

$(AWSCLI):
	$(PYTHON) -m venv $(AWSCLI_VENV)
	$(AWSCLI_VENV)/bin/pip install --quiet awscli==$(AWSCLI_VERSION)

test: lint typecheck contracts pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

contracts: $(STAMP)
	$(BIN)/lint-imports

pytest: $(STAMP) $(AWSCLI)
	$(BIN)/pytest -n 2

bench: $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	$(BIN)/python bench/engine.py
	$(BIN)/python bench/api.py --skip-scale

clean:
	rm -rf $(VENV) $(AWSCLI_VENV) .mypy_cache .pytest_cache .ruff_cache .hypothesis
