"""The same project on Spark: the marts equal DuckDB's, and bad rows get the same reasons.

The tiny fixture is built on DuckDB (tests/conftest.py) and on Spark in local
mode (tests/spark_runner.py) as `make build` builds it: on Spark dbt, the CLV
fit step (the predictive models, which dbt runs as Python models on DuckDB
only), then dbt again. Every mart and restricted table is compared row for
row: keys and text equal, money (decimals) and counts exactly equal,
floating-point values within 1e-9 relative (docs/spark.md).

Marked `spark`: `make test-spark` runs these; without the Spark lane (`make
spark-venv`, Java 17) they are skipped. LOYALTY_SPARK_SAMPLE=1 (`make
test-spark SAMPLE=1`) adds the bundled sample.
"""

from __future__ import annotations

import csv
import json
import math
import os
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow
import pyarrow.csv
import pyarrow.parquet
import pytest
from dagster import materialize

from orchestration.assets.campaigns import build_campaign_wave
from orchestration.campaigns.config import load_config
from orchestration.project import mart_columns
from orchestration.resources import WarehouseResource
from orchestration.settings import Settings
from tests.dbt_runner import BUILD_OPTIONS, REPO_ROOT, Warehouse
from tests.fixtures.tiny import write_tiny_raw
from tests.spark_runner import spark_cli, spark_lane_missing, spark_query, spark_settings
from tests.test_quarantine import BAD_ROWS
from tests.test_unreadable_lines import BROKEN_QUOTING_FILE, CUSTOMER_LINES, _write_customers

pytestmark = [
    pytest.mark.spark,
    pytest.mark.skipif(spark_lane_missing() is not None, reason=str(spark_lane_missing())),
]

RELATIVE_TOLERANCE = 1e-9
# When and which build ran (and how long a fit took), not what it computed.
BUILD_TIME_COLUMNS = {"refreshed_at", "recorded_at", "built_at", "build_id", "fit_seconds"}


# The schemas compared: the marts BI tools read and the restricted lists.
COMPARED_SCHEMAS = ("marts", "restricted")
# The predictive models: dbt Python models on DuckDB, the CLV fit step on Spark.
PREDICTIVE_MODELS = (
    "int_clv_model_validation",
    "int_clv_model_fit",
    "int_customers_predicted_value",
)


def _value(value):
    """A cell as both engines can compare it: dates and times as ISO text, decimals exact."""
    if isinstance(value, datetime | date):
        return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    return value


def _sort_key(row: tuple) -> tuple:
    # Floats rounded for sorting only, so rows that differ in the last bits sort alike.
    return tuple(
        (0, "") if cell is None else (1, round(cell, 6) if isinstance(cell, float) else str(cell))
        for cell in row
    )


def _rows(rows) -> list[tuple]:
    return sorted((tuple(_value(cell) for cell in row) for row in rows), key=_sort_key)


def _columns(rows, positions: list[int]) -> list[tuple]:
    return [tuple(row[position] for position in positions) for row in rows]


def _cells_equal(duckdb_cell, spark_cell) -> bool:
    if duckdb_cell is None or spark_cell is None:
        return duckdb_cell is None and spark_cell is None
    if isinstance(duckdb_cell, Decimal) != isinstance(spark_cell, Decimal):
        return False  # money is a decimal on both engines, never a float on one
    if isinstance(duckdb_cell, float) or isinstance(spark_cell, float):
        return math.isclose(
            float(duckdb_cell), float(spark_cell), rel_tol=RELATIVE_TOLERANCE, abs_tol=1e-12
        )
    if isinstance(duckdb_cell, Decimal) or isinstance(spark_cell, Decimal):
        return Decimal(str(duckdb_cell)) == Decimal(str(spark_cell))
    return duckdb_cell == spark_cell


def _differences(name: str, duckdb_table, spark_table, left_out=BUILD_TIME_COLUMNS) -> list[str]:
    duckdb_columns, duckdb_rows = duckdb_table
    spark_columns, spark_rows = spark_table
    lower = [column.lower() for column in spark_columns]
    if sorted(lower) == sorted(column.lower() for column in duckdb_columns):
        # Spark stores a table's partition columns last (customer_segment_history).
        order = [lower.index(column.lower()) for column in duckdb_columns]
        spark_columns = [spark_columns[position] for position in order]
        spark_rows = [tuple(row[position] for position in order) for row in spark_rows]
    if [name.lower() for name in duckdb_columns] != [name.lower() for name in spark_columns]:
        return [f"{name}: columns {duckdb_columns} on DuckDB, {spark_columns} on Spark"]
    if len(duckdb_rows) != len(spark_rows):
        return [f"{name}: {len(duckdb_rows)} rows on DuckDB, {len(spark_rows)} on Spark"]
    compared = [
        position for position, column in enumerate(duckdb_columns) if column.lower() not in left_out
    ]
    problems = []
    for duckdb_row, spark_row in zip(
        _rows(_columns(duckdb_rows, compared)), _rows(_columns(spark_rows, compared)), strict=True
    ):
        for column, duckdb_cell, spark_cell in zip(
            [duckdb_columns[position] for position in compared], duckdb_row, spark_row, strict=True
        ):
            if not _cells_equal(duckdb_cell, spark_cell):
                problems.append(
                    f"{name}.{column}: {duckdb_cell!r} on DuckDB, {spark_cell!r} on Spark"
                )
    return problems


def _duckdb_table(warehouse: Warehouse, sql: str):
    with duckdb.connect(str(warehouse.database_path), read_only=True) as connection:
        cursor = connection.execute(sql)
        return [column[0] for column in cursor.description], cursor.fetchall()


def _spark_built(raw_dir: Path, work_dir: Path, *dbt_args: str) -> Path:
    """The raw folder built on Spark: everything, as `make build` builds it (dbt, the CLV fit
    step, dbt again); or, with dbt_args, one `dbt build` of what they select."""
    if dbt_args:
        command = ("dbt", "build", *dbt_args, *BUILD_OPTIONS)
    else:
        command = ("build", "--exclude-resource-type", "unit_test")
    result = spark_cli(raw_dir, work_dir, *command)
    assert result.returncode == 0, f"build on Spark failed:\n{result.stdout[-8000:]}"
    return work_dir


def _tables_sql(schema: str) -> str:
    return (
        "select table_name from information_schema.tables "
        f"where table_schema = '{schema}' order by table_name"
    )


def _compare_marts(duckdb_warehouse: Warehouse, spark_dir: Path) -> int:
    """Every table of the compared schemas on Spark against DuckDB's; returns how many."""
    expected = {
        schema: [name for (name,) in duckdb_warehouse.query(_tables_sql(schema))]
        for schema in COMPARED_SCHEMAS
    }
    sql = {
        f"{schema}.{name}": f"select * from {schema}.{name}"
        for schema in COMPARED_SCHEMAS
        for name in expected[schema]
    }
    # One Spark process (a JVM start) for the table lists and the tables.
    spark = spark_query(
        spark_dir, {**{schema: f"show tables in {schema}" for schema in COMPARED_SCHEMAS}, **sql}
    )
    for schema in COMPARED_SCHEMAS:
        assert sorted(row[1] for row in spark[schema][1]) == expected[schema], schema
    problems = []
    for name, query in sql.items():
        problems += _differences(name, _duckdb_table(duckdb_warehouse, query), spark[name])
    assert not problems, f"{len(problems)} differences, the first 40:\n" + "\n".join(problems[:40])
    return len(expected["marts"])


def _published_marts() -> int:
    """How many models the dbt project has in schema marts (read from its files)."""
    marts = REPO_ROOT / "dbt_project" / "models" / "marts"
    return len(list(marts.rglob("*.sql")))


@pytest.fixture(scope="module")
def tiny_on_spark(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("tiny_spark")
    raw = write_tiny_raw(root / "raw")
    _spark_built(raw, root)
    return root


def test_tiny_marts_equal_on_both_engines(tiny_warehouse, tiny_on_spark):
    compared = _compare_marts(tiny_warehouse, tiny_on_spark)
    # Every mart, the predictive ones included.
    assert compared == _published_marts()


def test_the_fit_step_makes_the_predictive_tables_on_spark(tiny_warehouse, tiny_on_spark):
    """On Spark dbt has no Python model: SQL models of the same names read the step's tables,
    which hold what DuckDB's Python models made."""
    manifest = json.loads((tiny_on_spark / "target" / "manifest.json").read_text())
    models = {
        node["name"]: node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
    }
    assert not [name for name, node in models.items() if node["language"] == "python"]
    for name in PREDICTIVE_MODELS:
        assert models[name]["language"] == "sql"
        assert "clv_fit_step" in models[name]["tags"]
    sql = {
        f"{schema}.{name}": f"select * from {schema}.{name}"
        for name in PREDICTIVE_MODELS
        for schema in ("clv_fit_step", "intermediate")
    }
    spark = spark_query(tiny_on_spark, sql)
    problems = []
    compared_rows = 0
    for name in PREDICTIVE_MODELS:
        duckdb_table = _duckdb_table(tiny_warehouse, f"select * from intermediate.{name}")
        compared_rows += len(duckdb_table[1])
        for schema in ("clv_fit_step", "intermediate"):
            problems += _differences(
                f"{schema}.{name}", duckdb_table, spark[f"{schema}.{name}"], _NOT_COMPARED
            )
    assert not problems, f"{len(problems)} differences, the first 40:\n" + "\n".join(problems[:40])
    # The tiny fixture has too few buyers to fit (validation and fit say so in a row each;
    # no predictions): rows were compared all the same.
    assert compared_rows >= 2


# When a fit ran, not what it found.
_NOT_COMPARED = BUILD_TIME_COLUMNS | {"fitted_at", "dbt_invocation_id"}


def test_dbt_build_alone_on_spark_says_it_did_not_refit(tiny_on_spark):
    result = spark_cli(
        tiny_on_spark / "raw",
        tiny_on_spark,
        *("dbt", "build", "--select", "int_clv_model_fit", "--exclude-resource-type", "unit_test"),
    )
    assert result.returncode == 0, result.stdout[-4000:]
    output = " ".join(result.stdout.split())
    assert "reads clv_fit_step.int_clv_model_fit as the last CLV fit step wrote it" in output
    assert "`dbt build` alone does not refit the predictive models" in output
    # Spark's log keeps to what matters: not a warning per model that the session is reused
    # (dbt_project/spark_log4j2.properties).
    assert "Using an existing Spark session" not in result.stdout + result.stderr


def _unit_tests_in_yaml() -> int:
    """How many dbt unit tests the project's YAML files declare."""
    count = 0
    for path in (REPO_ROOT / "dbt_project" / "models").rglob("*.yml"):
        in_unit_tests = False
        for line in path.read_text(encoding="utf-8").splitlines():
            if line and not line.startswith((" ", "#")):
                in_unit_tests = line.startswith("unit_tests:")
            elif in_unit_tests and line.startswith("  - name: "):
                count += 1
    return count


def test_unit_tests_pass_on_spark(tiny_on_spark):
    """Every dbt unit test, run on Spark (on the tiny build, whose tables give the mocked
    inputs their column types)."""
    result = spark_cli(
        tiny_on_spark / "raw", tiny_on_spark, "dbt", "test", "--resource-type", "unit_test"
    )
    run_results = json.loads((tiny_on_spark / "target" / "run_results.json").read_text())
    statuses = {
        result["unique_id"]: result["status"]
        for result in run_results["results"]
        if result["unique_id"].startswith("unit_test.")
    }
    failed = {unique_id: status for unique_id, status in statuses.items() if status != "pass"}
    assert not failed, f"{failed}\n{result.stdout[-6000:]}"
    assert len(statuses) == _unit_tests_in_yaml()
    assert result.returncode == 0, result.stdout[-6000:]


QUARANTINE_TABLES = sorted(BAD_ROWS)


def _write_bad_input(raw: Path, unreadable_lines: bool) -> None:
    """Rows failing a check (tests/test_quarantine.py) and, with unreadable_lines, lines
    the CSV reader cannot parse (tests/test_unreadable_lines.py), beside the tiny fixture."""
    for table, (_, bad_rows) in BAD_ROWS.items():
        rows = [row for row, _ in bad_rows]
        columns = list(dict.fromkeys(column for row in rows for column in row))
        with (raw / f"{table}_late_export.csv").open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns, restval="")
            writer.writeheader()
            writer.writerows(rows)
    if not unreadable_lines:
        return
    _write_customers(raw / "customers_broken.csv")
    (raw / "customers_quote.csv").write_text(BROKEN_QUOTING_FILE, encoding="utf-8")


def _as_parquet(csv_dir: Path, parquet_dir: Path) -> Path:
    """Each CSV file of a raw folder as a Parquet file of text columns (as the sample
    generator's --format parquet writes them)."""
    parquet_dir.mkdir(parents=True)
    for path in sorted(csv_dir.glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            header = next(csv.reader(handle))
        table = pyarrow.csv.read_csv(
            path,
            convert_options=pyarrow.csv.ConvertOptions(
                column_types={name: pyarrow.string() for name in header}
            ),
        )
        pyarrow.parquet.write_table(table, parquet_dir / f"{path.stem}.parquet")
    return parquet_dir


_QUARANTINE_SELECTION = ("--select", "+tag:staging", "tag:quarantine")


@pytest.fixture(scope="module", params=["csv", "parquet"])
def bad_input(request, tmp_path_factory: pytest.TempPathFactory) -> tuple[Warehouse, Path, str]:
    """The tiny fixture with bad rows, built through staging and quarantine on both
    engines: as CSV (with lines the CSV reader cannot parse) and as Parquet files."""
    file_format = request.param
    root = tmp_path_factory.mktemp(f"bad_input_{file_format}")
    raw = write_tiny_raw(root / "raw")
    _write_bad_input(raw, unreadable_lines=file_format == "csv")
    if file_format == "parquet":
        raw = _as_parquet(raw, root / "raw_parquet")
    selection = (
        *_QUARANTINE_SELECTION,
        "--vars",
        f"{{max_quarantined_share: 1, raw_file_format: {file_format}}}",
    )
    # raw_file_format is read while dbt parses: Parquet needs a manifest of its own.
    parse_vars = "{raw_file_format: parquet}" if file_format == "parquet" else ""
    duckdb_warehouse = Warehouse(raw, root / "duckdb", parse_vars=parse_vars).built(*selection)
    spark_dir = _spark_built(raw, root / "spark_build", *selection)
    return duckdb_warehouse, spark_dir, file_format


def _quarantine_sql(table: str) -> str:
    # The file's name: both engines name the same file, by its path.
    return (
        "select quarantine_reason, regexp_replace(source_file, '^.*/', '') as file_name, "
        f"source_line_number, raw_line, * except (quarantine_reason, source_file, "
        f"source_line_number, raw_line) from quarantine.quarantine_{table}"
    )


def test_bad_rows_get_the_same_reasons_on_both_engines(bad_input):
    duckdb_warehouse, spark_dir, file_format = bad_input
    sql = {table: _quarantine_sql(table) for table in QUARANTINE_TABLES}
    staging = {
        f"staging.stg_crm__{table}": f"select * from staging.stg_crm__{table}"
        for table in QUARANTINE_TABLES
    }
    spark = spark_query(spark_dir, {**sql, **staging})
    problems = []
    for table in QUARANTINE_TABLES:
        # raw_line, the text of a line the reader rejected, is shown differently: DuckDB
        # writes bytes that are not UTF-8 as '?' and keeps the line end of a quote left
        # open; Spark writes U+FFFD and drops the line end. Reasons and line numbers agree.
        problems += _differences(
            table,
            _duckdb_table(duckdb_warehouse, sql[table]),
            spark[table],
            left_out=BUILD_TIME_COLUMNS | {"raw_line"},
        )
    # What passed: the staged rows, equal on both engines.
    for name, query in staging.items():
        problems += _differences(name, _duckdb_table(duckdb_warehouse, query), spark[name])
    assert not problems, f"{len(problems)} differences, the first 40:\n" + "\n".join(problems[:40])
    # And the reasons are the ones the bad rows were written to get.
    for table, (key, bad_rows) in BAD_ROWS.items():
        columns, rows = spark[table]
        key_position = [column.lower() for column in columns].index(f"raw_{key}")
        late_file = f"{table}_late_export.{file_format}"
        found = sorted((row[key_position] or "", row[0]) for row in rows if row[1] == late_file)
        assert found == sorted((row.get(key, ""), reason) for row, reason in bad_rows), table
    # Every raw row accounted for: the reconciliation tests ran on Spark, and passed.
    run_results = json.loads((spark_dir / "target" / "run_results.json").read_text())
    reconciled = {
        result["unique_id"].split(".")[2]: result["status"]
        for result in run_results["results"]
        if "raw_rows_reconcile" in result["unique_id"]
    }
    assert reconciled == {f"{table}_raw_rows_reconcile": "pass" for table in QUARANTINE_TABLES}
    if file_format == "parquet":
        return
    unreadable = sorted(
        (row[1], row[2], row[0]) for row in spark["customers"][1] if row[2] is not None
    )
    assert unreadable == sorted(
        [
            ("customers_broken.csv", line_number, reason)
            for line_number, (_, reason) in enumerate(CUSTOMER_LINES, start=2)
            if reason
        ]
        + [("customers_quote.csv", 2, "unreadable_line_broken_quoting")]
    )


@pytest.mark.skipif(
    os.environ.get("LOYALTY_SPARK_SAMPLE", "") not in ("1", "true", "yes"),
    reason="the bundled sample on Spark takes several minutes: make test-spark SAMPLE=1",
)
def test_sample_marts_equal_on_both_engines(sample_warehouse, tmp_path):
    spark_dir = _spark_built(REPO_ROOT / "seeds" / "sample", tmp_path)
    assert _compare_marts(sample_warehouse, spark_dir) == _published_marts()


WAVE_DATE = "2026-07-01"  # the day after the tiny fixture's as-of date


def _wave(warehouse: WarehouseResource, manifest: dict) -> None:
    rules = load_config(Settings().campaigns_file, mart_columns(manifest))
    result = materialize(
        [build_campaign_wave(rules, Settings().timezone_info)],
        resources={"warehouse": warehouse},
        run_config={"ops": {"campaign_wave": {"config": {"wave_date": WAVE_DATE}}}},
    )
    assert result.success


def test_campaign_lists_from_the_spark_marts_equal_duckdbs(tiny_warehouse, tiny_on_spark):
    """The wave of campaigns.yml, once on DuckDB's marts and once on Spark's: the same
    files, and on Spark its lists and contact history written as Spark tables."""
    root = tiny_on_spark / "waves"
    duckdb_warehouse = tiny_warehouse.copy(root / "duckdb")
    manifest = json.loads((tiny_on_spark / "target" / "manifest.json").read_text())
    _wave(
        WarehouseResource(
            raw_dir=str(duckdb_warehouse.raw_dir),
            build_path=str(duckdb_warehouse.database_path),
            exports_dir=str(root / "duckdb_exports"),
        ),
        manifest,
    )
    settings = spark_settings(tiny_on_spark / "raw", tiny_on_spark)
    _wave(
        WarehouseResource(
            raw_dir=str(settings.raw_dir),
            build_path=str(settings.build_path),
            exports_dir=str(root / "spark_exports"),
            dbt_target="spark",
            spark_dir=str(settings.spark_dir),
        ),
        manifest,
    )
    duckdb_files = sorted(path.name for path in (root / "duckdb_exports" / WAVE_DATE).glob("*.csv"))
    assert "summary.csv" in duckdb_files
    for name in duckdb_files:
        duckdb_text = (root / "duckdb_exports" / WAVE_DATE / name).read_text(encoding="utf-8")
        spark_text = (root / "spark_exports" / WAVE_DATE / name).read_text(encoding="utf-8")
        assert spark_text == duckdb_text, name
    # Someone is on a list: the comparison compared people.
    with (root / "duckdb_exports" / WAVE_DATE / "summary.csv").open(encoding="utf-8-sig") as f:
        assert sum(int(row["treatment"]) for row in csv.DictReader(f)) > 0
    # On Spark the lists and the history are Spark tables, equal to DuckDB's.
    lists = [name.removesuffix(".csv") for name in duckdb_files if name not in _WAVE_FILES]
    sql = {name: f"select * from campaigns.{name}" for name in [*lists, "contact_history"]}
    spark = spark_query(tiny_on_spark, sql)
    problems = []
    for name, query in sql.items():
        problems += _differences(name, _duckdb_table(duckdb_warehouse, query), spark[name])
    assert not problems, f"{len(problems)} differences, the first 40:\n" + "\n".join(problems[:40])


# The files of a wave that are not one campaign's send list.
_WAVE_FILES = {"summary.csv", "held_back.csv", "holdout.csv"}
