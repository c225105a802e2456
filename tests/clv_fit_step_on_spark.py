"""The CLV fit step on Spark in local mode, for tests/test_clv_fit_step.py (a process of its own).

`python -m tests.clv_fit_step_on_spark <duckdb file> <folder>`: a throw-away
Spark warehouse and metastore in <folder>, the step's three inputs copied
into it from the DuckDB file, the step run there through SparkTables (the
engine code of orchestration/clv_fit_step.py), and the three tables it
wrote read back through Spark and saved as <folder>/<table>.parquet.
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb

from orchestration.clv_fit_step import (
    INPUT_SCHEMA,
    OUTPUT_SCHEMA,
    OUTPUT_TABLES,
    SparkTables,
    run_step,
)

INPUTS = ("int_clv_fit_step_settings", "int_customer_purchase_days", "int_customers_clv_summary")


def spark_parameters(folder: Path) -> dict[str, str]:
    """Local mode on two cores, tables and metastore in `folder`, nothing listening outside."""
    return {
        "spark.master": "local[2]",
        "spark.driver.memory": "1g",
        "spark.ui.enabled": "false",
        "spark.driver.host": "127.0.0.1",
        "spark.driver.bindAddress": "127.0.0.1",
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.shuffle.partitions": "2",
        "spark.sql.warehouse.dir": str(folder / "warehouse"),
        "spark.hadoop.javax.jdo.option.ConnectionURL": (
            f"jdbc:derby:;databaseName={folder / 'metastore_db'};create=true"
        ),
        "spark.driver.extraJavaOptions": f"-Dderby.system.home={folder}",
    }


def main(database: str, folder: str) -> int:
    out = Path(folder)
    tables = SparkTables(spark_parameters(out))
    try:
        with duckdb.connect(database, read_only=True) as connection:
            for name in INPUTS:
                frame = connection.execute(f"select * from {INPUT_SCHEMA}.{name}").df()
                tables.write(INPUT_SCHEMA, name, frame)
        rows = run_step(tables)
        for name in OUTPUT_TABLES:
            tables.read(OUTPUT_SCHEMA, name).to_parquet(out / f"{name}.parquet")
            print(f"{name}: {rows[name]} rows")
    finally:
        tables.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
