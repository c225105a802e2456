# loyalty-marts: `make run` builds the marts on the bundled sample, `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

export LOYALTY_RAW_DIR ?= $(CURDIR)/seeds/sample
export LOYALTY_DUCKDB_PATH ?= $(CURDIR)/data/loyalty.duckdb
export LOYALTY_DUCKDB_BUILD_PATH ?= $(CURDIR)/data/build/loyalty_build.duckdb
export LOYALTY_DUCKDB_TEMP_DIR ?= $(CURDIR)/data/build/tmp
export DBT_PROJECT_DIR := $(CURDIR)/dbt_project
export DBT_PROFILES_DIR := $(CURDIR)/dbt_project
export DBT_SEND_ANONYMOUS_USAGE_STATS := False
export DAGSTER_DISABLE_TELEMETRY := 1

.PHONY: venv run build test lint format sample-data docs clean

$(VENV)/.installed: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --constraint requirements.lock --editable '.[dev]'
	touch $@

venv: $(VENV)/.installed

run: venv
	$(BIN)/python -m orchestration.cli run $(DBT_ARGS)

build: venv
	$(BIN)/python -m orchestration.cli build $(DBT_ARGS)

test: venv
	$(BIN)/python -m pytest

lint: venv
	$(BIN)/ruff check orchestration tests
	$(BIN)/ruff format --check orchestration tests

format: venv
	$(BIN)/ruff format orchestration tests
	$(BIN)/ruff check --fix orchestration tests

sample-data: venv
	$(BIN)/python -m orchestration.sample_data --customers 5000 --seed 20261124 --out seeds/sample

docs: venv
	cd dbt_project && ../$(BIN)/dbt docs generate

clean:
	rm -rf data dbt_project/target dbt_project/logs
