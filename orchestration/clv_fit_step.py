"""The CLV fit step: the predictive CLV tables made outside dbt, for engines where dbt runs no
Python models (open-source Spark), or on DuckDB with LOYALTY_CLV_FIT_STEP=1.

`python -m orchestration.clv_fit_step` connects to the warehouse of dbt's
target (dbt_project/profiles.yml, rendered as dbt renders it, so the same
DuckDB file or the same Spark warehouse and metastore folders), reads this
build's inputs (intermediate.int_clv_fit_step_settings,
int_customer_purchase_days and int_customers_clv_summary), calls
orchestration.clv.tables.clv_tables (the function the DuckDB Python models
call) and writes the three tables to schema clv_fit_step, where the
same-named SQL models of models/intermediate/customers/clv_fit_step/ read
them. It runs between two dbt selections: after the one that builds its
inputs has ended (local Spark keeps its metastore in an embedded Derby
database that one process at a time can open), before the one that reads
its outputs. The Dagster asset clv_fit_step and `orchestration.cli build`
run it as a process of its own, for the same reason.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import pandas as pd
import yaml

from orchestration.settings import DBT_PROJECT_DIR, Settings

if TYPE_CHECKING:  # the CLV maths (scipy) load when the step runs, not with the code location
    from orchestration.clv.tables import ClvConfig

INPUT_SCHEMA = "intermediate"
OUTPUT_SCHEMA = "clv_fit_step"
SETTINGS_MODEL = "int_clv_fit_step_settings"
# The models the step's outputs stand in for, in the order they are made.
OUTPUT_TABLES = ("int_clv_model_validation", "int_clv_model_fit", "int_customers_predicted_value")
# The dbt selections before and after the step (the SQL models that read its tables are tagged).
BEFORE_STEP = ("--exclude", "tag:clv_fit_step+")
AFTER_STEP = ("--select", "tag:clv_fit_step+")
# Set for the dbt call that follows the step, so the models reading its tables do not warn
# that `dbt build` alone does not refit (macros/clv_fit_step.sql).
RAN_VARIABLE = "LOYALTY_CLV_FIT_STEP_RAN"


class Tables(Protocol):
    """Read and write tables of one warehouse as pandas DataFrames."""

    def read(self, schema: str, name: str, columns: Sequence[str] = ()) -> pd.DataFrame:
        """The table, or only these columns of it."""
        ...

    def write(self, schema: str, name: str, frame: pd.DataFrame) -> None: ...

    def close(self) -> None: ...


def dbt_output(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """dbt's target (the output of profiles.yml it would use), rendered as dbt renders it."""
    from dbt.config.profile import read_profile
    from dbt.config.renderer import ProfileRenderer
    from dbt_common.context import set_invocation_context

    set_invocation_context(dict(os.environ if environ is None else environ))
    profile = ProfileRenderer({}).render_data(read_profile(str(DBT_PROJECT_DIR))["loyalty_marts"])
    return {"name": profile["target"], **profile["outputs"][profile["target"]]}


class DuckDbTables:
    """The DuckDB file of the dbt target."""

    def __init__(self, path: Path) -> None:
        import duckdb

        self.connection = duckdb.connect(str(path))

    def read(self, schema: str, name: str, columns: Sequence[str] = ()) -> pd.DataFrame:
        selected = ", ".join(columns) or "*"
        return self.connection.execute(f"select {selected} from {schema}.{name}").df()

    def write(self, schema: str, name: str, frame: pd.DataFrame) -> None:
        # As dbt-duckdb materializes a Python model's DataFrame: DuckDB scans it.
        self.connection.execute(f"create schema if not exists {schema}")
        self.connection.register("clv_fit_step_frame", frame)
        try:
            self.connection.execute(
                f"create or replace table {schema}.{name} as select * from clv_fit_step_frame"
            )
        finally:
            self.connection.unregister("clv_fit_step_frame")

    def close(self) -> None:
        self.connection.close()


def _spark_type(dtype, values: pd.Series):
    from pyspark.sql import types

    kind = str(dtype).lower()
    if kind in ("string", "str"):
        return types.StringType()
    if kind.startswith("float"):
        return types.DoubleType()
    if kind.startswith("int"):
        return types.IntegerType() if kind in ("int32", "int16", "int8") else types.LongType()
    if kind == "boolean" or kind == "bool":
        return types.BooleanType()
    if kind == "object" and all(hasattr(value, "isoformat") for value in values.dropna()):
        return types.DateType()
    return types.StringType()


class SparkTables:
    """The Spark warehouse of the dbt target: a session built as dbt-spark's session method
    builds it (Hive support and the profile's server_side_parameters)."""

    def __init__(self, parameters: Mapping[str, Any]) -> None:
        from pyspark.sql import SparkSession

        builder = SparkSession.builder.enableHiveSupport()
        for name, value in parameters.items():
            builder = builder.config(name, value)
        self.session = builder.getOrCreate()

    def read(self, schema: str, name: str, columns: Sequence[str] = ()) -> pd.DataFrame:
        from pyspark.sql import types

        table = self.session.table(f"{schema}.{name}")
        if columns:
            table = table.select(*columns)
        frame = table.toPandas()
        # Decimals as floats (missing as NaN), as DuckDB hands them to pandas.
        for field in table.schema.fields:
            if isinstance(field.dataType, types.DecimalType):
                frame[field.name] = frame[field.name].astype("float64")
        return frame

    def write(self, schema: str, name: str, frame: pd.DataFrame) -> None:
        from pyspark.sql import types

        schema_type = types.StructType(
            [
                types.StructField(column, _spark_type(frame[column].dtype, frame[column]), True)
                for column in frame.columns
            ]
        )
        # Plain Python values, missing values (NaN, NA) as null: DuckDB reads a NaN of a
        # pandas column as null too.
        rows = [
            tuple(None if pd.isna(value) else _plain(value) for value in row)
            for row in frame.astype(object).itertuples(index=False, name=None)
        ]
        self.session.sql(f"create database if not exists {schema}")
        self.session.createDataFrame(rows, schema_type).write.mode("overwrite").saveAsTable(
            f"{schema}.{name}"
        )

    def close(self) -> None:
        self.session.stop()


def _plain(value):
    """A numpy scalar as the Python value Spark takes."""
    return value.item() if hasattr(value, "item") else value


def open_tables(output: Mapping[str, Any]) -> Tables:
    """The warehouse of a dbt output (dbt_output()), relative paths from the dbt project folder."""
    if output["type"] == "duckdb":
        return DuckDbTables(DBT_PROJECT_DIR / output["path"])
    if output["type"] == "spark":
        return SparkTables(output.get("server_side_parameters") or {})
    raise ValueError(
        f"The CLV fit step cannot read a {output['type']} warehouse yet "
        "(orchestration/clv_fit_step.py knows duckdb and spark)."
    )


def config_from(settings_row: pd.Series) -> ClvConfig:
    from orchestration.clv.tables import ClvConfig

    return ClvConfig.from_values(
        min_customers_to_fit=settings_row["min_customers_to_fit"],
        min_repeat_customers_to_fit=settings_row["min_repeat_customers_to_fit"],
        holdout_weeks=settings_row["holdout_weeks"],
        purchase_model=settings_row["purchase_model"],
        horizon_months=settings_row["horizon_months"],
        annual_discount_rate=settings_row["annual_discount_rate"],
    )


def run_step(tables: Tables) -> dict[str, int]:
    """Read the inputs, make the three tables, write them; rows written per table."""
    from orchestration.clv.tables import PURCHASE_DAY_COLUMNS, clv_tables

    settings_row = tables.read(INPUT_SCHEMA, SETTINGS_MODEL).iloc[0]
    made = clv_tables(
        settings_row["as_of_date"],
        tables.read(INPUT_SCHEMA, "int_customer_purchase_days", PURCHASE_DAY_COLUMNS),
        tables.read(INPUT_SCHEMA, "int_customers_clv_summary"),
        config_from(settings_row),
    )
    for name in OUTPUT_TABLES:
        tables.write(OUTPUT_SCHEMA, name, made[name])
    return {name: len(made[name]) for name in OUTPUT_TABLES}


def run_in_process(settings: Settings) -> subprocess.CompletedProcess:
    """The step as a process of its own (`python -m orchestration.clv_fit_step`), output captured.

    Its own process because local Spark's metastore (embedded Derby) takes one
    process at a time: the step's session ends with the process, before dbt runs again.
    """
    return subprocess.run(
        [sys.executable, "-m", "orchestration.clv_fit_step"],
        cwd=DBT_PROJECT_DIR,
        env={**os.environ, **settings.dbt_environment()},
        capture_output=True,
        text=True,
        check=False,
    )


def rows_text(count: int) -> str:
    return f"{count:,} row" if count == 1 else f"{count:,} rows"


def parse_rows(output: str) -> dict[str, int]:
    """The rows per table from the step's printed lines (`clv_fit_step.<table>: <n> rows`)."""
    rows = {}
    for line in output.splitlines():
        name, _, count = line.strip().partition(": ")
        name = name.removeprefix(f"{OUTPUT_SCHEMA}.")
        if name in OUTPUT_TABLES and count.split()[-1:] in (["row"], ["rows"]):
            rows[name] = int(count.split()[0].replace(",", ""))
    return rows


def uses_clv_fit_step(manifest: Mapping[str, Any]) -> bool:
    """True when a dbt manifest reads the predictive tables from the fit step."""
    return any(source["source_name"] == OUTPUT_SCHEMA for source in manifest["sources"].values())


def fits_outside_dbt(settings: Settings) -> bool:
    """True when the CLV fit step makes the predictive tables (as dbt_project.yml decides):
    dbt's target is not DuckDB, or LOYALTY_CLV_FIT_STEP is set."""
    if settings.clv_fit_step:
        return True
    return dbt_output_type(settings.dbt_target) != "duckdb"


def dbt_output_type(target: str) -> str:
    """The engine (`type`) of a dbt_project/profiles.yml output, read without dbt: the code
    location asks on every load, and importing dbt's profile renderer took about a second."""
    profiles = yaml.safe_load((DBT_PROJECT_DIR / "profiles.yml").read_text(encoding="utf-8"))
    outputs = profiles["loyalty_marts"]["outputs"]
    if target not in outputs:
        raise ValueError(
            f"LOYALTY_DBT_TARGET={target!r} names no output of dbt_project/profiles.yml "
            f"(it has {', '.join(sorted(outputs))})."
        )
    return outputs[target]["type"]


def main() -> int:
    output = dbt_output()
    tables = open_tables(output)
    try:
        rows = run_step(tables)
    finally:
        tables.close()
    print(f"CLV fit step on dbt target {output['name']} ({output['type']}):")
    for name, count in rows.items():
        print(f"  {OUTPUT_SCHEMA}.{name}: {rows_text(count)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
