# loyalty-marts: `make run` builds the marts on the bundled sample, `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

# Paths and other settings: LOYALTY_* variables, defaults in orchestration/settings.py
# (`.venv/bin/python -m orchestration.cli --help` lists them).
export DBT_PROJECT_DIR := $(CURDIR)/dbt_project
export DBT_PROFILES_DIR := $(CURDIR)/dbt_project
export DBT_SEND_ANONYMOUS_USAGE_STATS := False
export DAGSTER_DISABLE_TELEMETRY := 1
# Spark (LOYALTY_DBT_TARGET=spark) binds to this machine only.
export SPARK_LOCAL_IP ?= 127.0.0.1

DAGSTER_PORT ?= 3000

.PHONY: venv spark-venv run dev build test test-spark lint format sample-data docs metrics clean

$(VENV)/.installed: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# setuptools prints an information-only notice for every editable install of
	# a package found in two folders (orchestration/ and seeds/); nothing to fix.
	PYTHONWARNINGS='ignore:Editable installation' \
		$(BIN)/pip install --quiet --constraint requirements.lock --editable '.[dev]'
	# The dbt manifest Dagster loads, made locally (no network) at install time,
	# with the environment runs give dbt (so runs can parse only what changed).
	$(BIN)/python -m orchestration.cli dbt parse --quiet
	touch $@

venv: $(VENV)/.installed

# The Spark lane (docs/spark.md), never installed by `make venv`: dbt-spark and
# pyspark (a 456 MB source package, about a minute) beside the stack in .venv,
# dbt-core pinned in the same command. Spark needs Java 17.
$(VENV)/.spark-installed: $(VENV)/.installed
	@java -version >/dev/null 2>&1 || { echo "Spark needs Java 17 (Debian: apt-get install -y openjdk-17-jre-headless)." >&2; exit 1; }
	$(BIN)/pip install --quiet --constraint requirements.lock dbt-core==1.11.16 --editable '.[dev,spark]'
	touch $@

spark-venv: $(VENV)/.spark-installed

# make run / make build on Spark: LOYALTY_DBT_TARGET=spark installs the Spark lane first.
TARGET_VENV := $(if $(filter spark,$(LOYALTY_DBT_TARGET)),spark-venv,venv)

run: $(TARGET_VENV)
	LOYALTY_DBT_VARS='$(DBT_VARS)' LOYALTY_FULL_REFRESH='$(FULL_REFRESH)' \
		LOYALTY_ALLOW_STALE_DATA='$(ALLOW_STALE_DATA)' $(BIN)/python -m orchestration.cli run

dev: venv
	$(BIN)/python -m orchestration.cli dev --host 127.0.0.1 --port $(DAGSTER_PORT)

build: $(TARGET_VENV)
	$(BIN)/python -m orchestration.cli build $(DBT_ARGS)

test: venv
	$(BIN)/python -m pytest

# The Spark tests (tiny fixture on DuckDB and on Spark, marts compared); SAMPLE=1
# adds the bundled sample (several minutes).
test-spark: spark-venv
	LOYALTY_SPARK_SAMPLE='$(SAMPLE)' $(BIN)/python -m pytest -n 0 -m spark tests/test_spark.py

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/sqlfluff lint dbt_project

format: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .
	$(BIN)/sqlfluff fix dbt_project

sample-data: venv
	$(BIN)/python -m sample_generator --customers 5000 --seed 20261124 --out seeds/sample

# docs/raw-data-contract.md from the sources YAML, then the dbt docs as one
# offline file (the catalog is read from the build warehouse, if there is one).
docs: venv
	$(BIN)/python -m orchestration.docs_contract
	$(BIN)/python -m orchestration.cli dbt docs generate --static
	@echo "Open dbt_project/target/static_index.html in a browser."

# The semantic layer on the last build: `make metrics` lists the metrics;
# MF='query --metrics total_clv --group-by customer__value_tier' asks one.
MF ?= list metrics
metrics: venv
	$(BIN)/python -m orchestration.metrics $(MF)

clean:
	rm -rf data dbt_project/target dbt_project/logs
