"""The connection a campaign wave works on, on either engine.

On DuckDB it is the build warehouse itself. On Spark (LOYALTY_DBT_TARGET=spark)
the wave reads the Spark tables: the tables it needs (marts.customers, the
marts its campaigns' own columns read, restricted.customer_contacts,
restricted.marketing_suppressions, campaigns.contact_history) are copied
from Spark, with their types, into a DuckDB database in memory; the wave runs
on it as on the build warehouse (one set of rules, orchestration/campaigns/);
then every table of schema `campaigns` it holds is written back to Spark:
the lists as new tables with the same column types, the contact history
into the dbt model's table (its contract's columns and types kept).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import duckdb

from orchestration.settings import Settings
from orchestration.spark_worker import SparkWorker

# The tables every wave reads besides the marts of its campaigns' own columns.
WAVE_INPUTS = (
    ("marts", "customers"),
    ("restricted", "customer_contacts"),
    ("restricted", "marketing_suppressions"),
    ("campaigns", "contact_history"),
)
# Written back to Spark into the existing table (the dbt model's contract).
HISTORY = ("campaigns", "contact_history")

_SPARK_TO_DUCKDB = {
    "string": "varchar",
    "int": "integer",
    "bigint": "bigint",
    "smallint": "smallint",
    "tinyint": "tinyint",
    "double": "double",
    "float": "real",
    "boolean": "boolean",
    "date": "date",
    "timestamp": "timestamp",
    "timestamp_ntz": "timestamp",
}


def duckdb_type(spark_type: str) -> str:
    """DuckDB's name of a Spark column type (its simpleString)."""
    if re.fullmatch(r"decimal\(\d+,\d+\)", spark_type):
        return spark_type
    array = re.fullmatch(r"array<(.+)>", spark_type)
    if array:
        return f"{duckdb_type(array.group(1))}[]"
    if spark_type not in _SPARK_TO_DUCKDB:
        raise ValueError(f"No DuckDB type for the Spark type {spark_type}")
    return _SPARK_TO_DUCKDB[spark_type]


_DUCKDB_TO_SPARK = {
    "VARCHAR": "string",
    "INTEGER": "int",
    "BIGINT": "bigint",
    "SMALLINT": "smallint",
    "TINYINT": "tinyint",
    "DOUBLE": "double",
    "FLOAT": "float",
    "BOOLEAN": "boolean",
    "DATE": "date",
    "TIMESTAMP": "timestamp",
    # pandas' datetime64 columns come back from DuckDB as these.
    "TIMESTAMP_NS": "timestamp",
    "TIMESTAMP_MS": "timestamp",
    "TIMESTAMP_S": "timestamp",
    "TIMESTAMP WITH TIME ZONE": "timestamp",
}


def spark_type(duckdb_type_name: str) -> str:
    """Spark's name of a DuckDB column type (as DESCRIBE names it)."""
    if duckdb_type_name.startswith("DECIMAL("):
        return duckdb_type_name.lower()
    if duckdb_type_name.endswith("[]"):
        return f"array<{spark_type(duckdb_type_name[:-2])}>"
    if duckdb_type_name not in _DUCKDB_TO_SPARK:
        raise ValueError(f"No Spark type for the DuckDB type {duckdb_type_name}")
    return _DUCKDB_TO_SPARK[duckdb_type_name]


@contextmanager
def wave_connection(
    settings: Settings, marts: Sequence[str]
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A DuckDB connection holding what the wave reads; on Spark, its writes go back to Spark."""
    if settings.dbt_target != "spark":
        with duckdb.connect(str(settings.build_path)) as connection:
            yield connection
        return
    inputs = [*WAVE_INPUTS, *(("marts", name) for name in marts if name != "customers")]
    with SparkWorker(settings) as spark, duckdb.connect() as connection:
        for schema, name in dict.fromkeys(inputs):
            copy_from_spark(spark, connection, schema, name)
        yield connection
        for (name,) in connection.execute(
            "select table_name from duckdb_tables() where schema_name = 'campaigns' "
            "order by table_name"
        ).fetchall():
            if ("campaigns", name) != HISTORY:
                # A list: a new Spark table with the DuckDB table's column types.
                columns = connection.execute(f"describe campaigns.{name}").fetchall()
                spark.query(f"drop table if exists campaigns.{name}")
                spark.query(
                    f"create table campaigns.{name} ("
                    + ", ".join(f"`{row[0]}` {spark_type(row[1])}" for row in columns)
                    + ") using parquet"
                )
            frame = connection.execute(f"select * from campaigns.{name}").df()
            spark.write("campaigns", name, frame, keep_schema=True)


def copy_from_spark(
    spark: SparkWorker, connection: duckdb.DuckDBPyConnection, schema: str, name: str
) -> None:
    """A Spark table as a DuckDB table of the same name, columns and types."""
    described = spark.columns(schema, name)
    frame = spark.read(schema, name)
    connection.execute(f"create schema if not exists {schema}")
    connection.execute(
        f"create table {schema}.{name} ("
        + ", ".join(f'"{column}" {duckdb_type(kind)}' for column, kind in described)
        + ")"
    )
    connection.register("spark_frame", frame)
    try:
        connection.execute(
            f"insert into {schema}.{name} select "
            + ", ".join(f'cast("{column}" as {duckdb_type(kind)})' for column, kind in described)
            + " from spark_frame"
        )
    finally:
        connection.unregister("spark_frame")
