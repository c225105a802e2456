"""Spark tables read and written from a process of its own, for the steps of a run on Spark.

Local Spark keeps its metastore in an embedded Derby database that one
process at a time can open, and a Python process cannot stop its JVM and
start another: a Spark session opened in the Dagster process would lock the
metastore for good, and the next dbt call or CLV fit step of the run would
fail. So the steps that read or write Spark tables from Python (the
campaign wave, the publish step on Spark) each start a `SparkWorker`: a
child process holding a session built as dbt builds it (the `spark` output
of profiles.yml, through orchestration.clv_fit_step), answering over a
pipe, and ended (its metastore released) when the step is done.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import traceback
from collections.abc import Mapping
from typing import Any

import pandas as pd

from orchestration.settings import Settings


class SparkWorkerError(RuntimeError):
    """A request the Spark worker could not answer; the message is Spark's."""


class SparkWorker:
    """A Spark session in a child process: `query`, `read`, `write`, then `close`."""

    def __init__(self, settings: Settings) -> None:
        context = multiprocessing.get_context("spawn")
        self._connection, child = context.Pipe()
        self._process = context.Process(
            target=_serve, args=(child, settings.dbt_environment()), daemon=True
        )
        self._process.start()
        child.close()

    def __enter__(self) -> SparkWorker:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _call(self, *request: Any) -> Any:
        self._connection.send(request)
        try:
            ok, value = self._connection.recv()
        except EOFError as error:
            raise SparkWorkerError(
                f"The Spark worker ended (exit {self._process.exitcode})."
            ) from error
        if not ok:
            raise SparkWorkerError(value)
        return value

    def query(self, sql: str) -> list[tuple]:
        """The rows of a Spark SQL query, as tuples."""
        return self._call("query", sql)

    def columns(self, schema: str, name: str) -> list[tuple[str, str]]:
        """(name, Spark type) of a table's columns, in order."""
        return self._call("columns", schema, name)

    def read(self, schema: str, name: str) -> pd.DataFrame:
        """A whole table (decimals as floats, as DuckDB hands them to pandas)."""
        return self._call("read", schema, name)

    def write(self, schema: str, name: str, frame: pd.DataFrame, keep_schema: bool) -> None:
        """Replace a table's rows with the frame's: keep_schema, into the existing table
        (its columns and types: a dbt model's contract); otherwise a new table."""
        self._call("write", schema, name, frame, keep_schema)

    def close(self) -> None:
        if self._process.is_alive():
            with contextlib.suppress(BrokenPipeError, OSError):
                self._connection.send(("close",))
            self._process.join(timeout=120)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join()
        self._connection.close()


def _serve(connection, environment: Mapping[str, str]) -> None:
    os.environ.update(environment)
    from orchestration.clv_fit_step import SparkTables, dbt_output

    tables = SparkTables(dbt_output().get("server_side_parameters") or {})
    tables.session.sparkContext.setLogLevel("ERROR")
    try:
        while True:
            request = connection.recv()
            if request[0] == "close":
                return
            try:
                connection.send((True, _answer(tables, *request)))
            except Exception:  # sent to the caller, which raises SparkWorkerError
                connection.send((False, traceback.format_exc(limit=3)))
    finally:
        tables.close()


def _answer(tables, kind: str, *arguments: Any) -> Any:
    if kind == "query":
        (sql,) = arguments
        return [tuple(row) for row in tables.session.sql(sql).collect()]
    if kind == "columns":
        schema, name = arguments
        fields = tables.session.table(f"{schema}.{name}").schema.fields
        return [(field.name, field.dataType.simpleString()) for field in fields]
    if kind == "read":
        return tables.read(*arguments)
    if kind == "write":
        schema, name, frame, keep_schema = arguments
        if not keep_schema:
            tables.write(schema, name, frame)
            return None
        table = tables.session.table(f"{schema}.{name}")
        columns = [field.name for field in table.schema.fields]
        kinds = [field.dataType for field in table.schema.fields]
        rows = [
            tuple(
                None if pd.isna(value) else _as_type(_plain(value), kind)
                for value, kind in zip(row, kinds, strict=True)
            )
            for row in frame[columns].astype(object).itertuples(index=False, name=None)
        ]
        tables.session.createDataFrame(rows, table.schema).write.insertInto(
            f"{schema}.{name}", overwrite=True
        )
        return None
    raise ValueError(f"unknown request {kind!r}")


def _plain(value):
    """A numpy or pandas scalar as the Python value Spark takes (a timestamp of a date
    column as its date: the table's schema says which)."""
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value.item() if hasattr(value, "item") else value


def _as_type(value, kind):
    """A value as a column of this Spark type takes it (pandas holds a nullable integer
    column as floats, a date column as timestamps)."""
    from datetime import datetime
    from decimal import Decimal

    from pyspark.sql import types

    if isinstance(kind, types.IntegralType):
        return int(value)
    if isinstance(kind, types.DateType) and isinstance(value, datetime):
        return value.date()
    if isinstance(kind, types.DecimalType):
        return Decimal(str(value))
    if isinstance(kind, types.DoubleType | types.FloatType):
        return float(value)
    return value
