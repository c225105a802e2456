"""The same project on Spark: the marts equal DuckDB's, and bad rows get the same reasons.

The tiny fixture is built on DuckDB (tests/conftest.py) and on Spark in local
mode (tests/spark_runner.py), and every mart Spark builds is compared row for
row: keys and text equal, money (decimals) and counts exactly equal,
floating-point values within 1e-9 relative. The predictive models (dbt Python
models) and what is built on them do not run on open-source Spark; they are
left out of the Spark build and of the comparison (docs/spark.md).

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

import pytest

from tests.dbt_runner import REPO_ROOT, Warehouse
from tests.fixtures.tiny import write_tiny_raw
from tests.spark_runner import (
    SPARK_SELECTOR,
    spark_build,
    spark_lane_missing,
    spark_query,
)
from tests.test_quarantine import BAD_ROWS
from tests.test_unreadable_lines import BROKEN_QUOTING_FILE, CUSTOMER_LINES, _write_customers

pytestmark = [
    pytest.mark.spark,
    pytest.mark.skipif(spark_lane_missing() is not None, reason=str(spark_lane_missing())),
]

RELATIVE_TOLERANCE = 1e-9
# When the build ran (the start of the dbt run), not what it computed.
BUILD_TIME_COLUMNS = {"refreshed_at"}


def _manifest() -> dict:
    return json.loads((REPO_ROOT / "dbt_project" / "target" / "manifest.json").read_text())


def _python_models() -> set[str]:
    return {
        node["name"]
        for node in _manifest()["nodes"].values()
        if node["resource_type"] == "model" and node["language"] == "python"
    }


def _built_on_python_models() -> set[str]:
    """The Python models and every model built on them, read from the dbt manifest."""
    children = _manifest()["child_map"]
    stack = [f"model.loyalty_marts.{model}" for model in _python_models()]
    found = set(stack)
    while stack:
        for child in children.get(stack.pop(), []):
            if child.startswith("model.") and child not in found:
                found.add(child)
                stack.append(child)
    return {node.split(".")[-1] for node in found}


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
    with __import__("duckdb").connect(str(warehouse.database_path), read_only=True) as connection:
        cursor = connection.execute(sql)
        return [column[0] for column in cursor.description], cursor.fetchall()


def _spark_built(raw_dir: Path, work_dir: Path, *args: str) -> Path:
    """The raw folder built on Spark: what `args` select, or the selector `spark`."""
    result = spark_build(raw_dir, work_dir, *(args or SPARK_SELECTOR))
    assert result.returncode == 0, f"dbt build on Spark failed:\n{result.stdout[-8000:]}"
    return work_dir


def _compare_marts(duckdb_warehouse: Warehouse, spark_dir: Path) -> int:
    """Every mart Spark built against DuckDB's; returns how many marts were compared."""
    left_out = _built_on_python_models()
    duckdb_marts = {
        name
        for (name,) in duckdb_warehouse.query(
            "select table_name from information_schema.tables where table_schema = 'marts'"
        )
    }
    expected = sorted(duckdb_marts - left_out)
    spark_tables = spark_query(spark_dir, {"marts": "show tables in marts"})["marts"][1]
    assert sorted(row[1] for row in spark_tables) == expected
    sql = {name: f"select * from marts.{name}" for name in expected}
    spark = spark_query(spark_dir, sql)
    problems = []
    for name in expected:
        problems += _differences(name, _duckdb_table(duckdb_warehouse, sql[name]), spark[name])
    assert not problems, "\n".join(problems[:40])
    return len(expected)


@pytest.fixture(scope="module")
def tiny_on_spark(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("tiny_spark")
    return _spark_built(write_tiny_raw(root / "raw"), root)


def test_tiny_marts_equal_on_both_engines(tiny_warehouse, tiny_on_spark):
    compared = _compare_marts(tiny_warehouse, tiny_on_spark)
    # Built on Spark: every mart but those on the predictive models (6 of them today).
    assert compared >= 6


def test_the_python_models_are_left_out_on_spark(tiny_on_spark):
    tables = spark_query(tiny_on_spark, {"t": "show tables in intermediate"})["t"][1]
    names = {row[1] for row in tables}
    assert "int_customers_clv_summary" in names
    assert len(_python_models()) == 3
    assert not names & _built_on_python_models()


QUARANTINE_TABLES = sorted(BAD_ROWS)


def _write_bad_input(raw: Path) -> None:
    """Rows failing a check (tests/test_quarantine.py) and lines the CSV reader cannot
    parse (tests/test_unreadable_lines.py), beside the tiny fixture."""
    for table, (_, bad_rows) in BAD_ROWS.items():
        rows = [row for row, _ in bad_rows]
        columns = list(dict.fromkeys(column for row in rows for column in row))
        with (raw / f"{table}_late_export.csv").open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns, restval="")
            writer.writeheader()
            writer.writerows(rows)
    _write_customers(raw / "customers_broken.csv")
    (raw / "customers_quote.csv").write_text(BROKEN_QUOTING_FILE, encoding="utf-8")


_QUARANTINE_SELECTION = ("--select", "+tag:staging", "tag:quarantine")
_ALL_QUARANTINED = ("--vars", "{max_quarantined_share: 1}")


@pytest.fixture(scope="module")
def bad_input(tmp_path_factory: pytest.TempPathFactory) -> tuple[Warehouse, Path]:
    root = tmp_path_factory.mktemp("bad_input")
    raw = write_tiny_raw(root / "raw")
    _write_bad_input(raw)
    duckdb_warehouse = Warehouse(raw_dir=raw, work_dir=root / "duckdb").built(
        *_QUARANTINE_SELECTION, *_ALL_QUARANTINED
    )
    spark_dir = _spark_built(raw, root / "spark_build", *_QUARANTINE_SELECTION, *_ALL_QUARANTINED)
    return duckdb_warehouse, spark_dir


def _quarantine_sql(table: str) -> str:
    # The file's name: both engines name the same file, by its path.
    return (
        "select quarantine_reason, regexp_replace(source_file, '^.*/', '') as file_name, "
        f"source_line_number, raw_line, * except (quarantine_reason, source_file, "
        f"source_line_number, raw_line) from quarantine.quarantine_{table}"
    )


def test_bad_rows_get_the_same_reasons_on_both_engines(bad_input):
    duckdb_warehouse, spark_dir = bad_input
    sql = {table: _quarantine_sql(table) for table in QUARANTINE_TABLES}
    spark = spark_query(spark_dir, sql)
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
    assert not problems, "\n".join(problems[:40])
    # And the reasons are the ones the bad rows were written to get.
    for table, (key, bad_rows) in BAD_ROWS.items():
        columns, rows = spark[table]
        key_position = [column.lower() for column in columns].index(f"raw_{key}")
        late_file = f"{table}_late_export.csv"
        found = sorted((row[key_position] or "", row[0]) for row in rows if row[1] == late_file)
        assert found == sorted((row.get(key, ""), reason) for row, reason in bad_rows), table
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
    assert _compare_marts(sample_warehouse, spark_dir) >= 6
