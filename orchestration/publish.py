"""Publish the BI-facing schemas of the build warehouse to the file BI tools read.

DuckDB locks a whole database file: a BI tool holding the warehouse open would
make `dbt build` fail, and a build would lock the BI tool out. So dbt builds
into its own file, and publishing copies the BI-facing schemas (with their
table and column descriptions) into a fresh file that atomically replaces the
published one. Readers that already have the old file open keep reading it;
the next connection sees the new one. Personal data (schema `restricted`) and
raw rows (schemas `staging`, `quarantine`) are never published.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import duckdb

PUBLISHED_SCHEMAS: tuple[str, ...] = ("marts",)
# DuckDB 2.x files are unreadable by 1.x readers (most BI drivers) unless written
# with a storage version they know. Override with LOYALTY_DUCKDB_STORAGE_VERSION.
DEFAULT_STORAGE_VERSION = "v1.0.0"


class PublishError(RuntimeError):
    """The build warehouse cannot be published."""


@dataclass(frozen=True)
class PublishedTable:
    schema: str
    name: str
    row_count: int


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _copy_schema(
    connection: duckdb.DuckDBPyConnection, build: str, schema: str
) -> list[PublishedTable]:
    """Write every table and view of `schema` in the attached build as a table."""
    tables = connection.execute(
        """
        select table_name, comment
        from duckdb_tables()
        where database_name = ? and schema_name = ?
        union all
        select view_name, comment
        from duckdb_views()
        where database_name = ? and schema_name = ? and not internal
        order by 1
        """,
        [build, schema, build, schema],
    ).fetchall()
    connection.execute(f"create schema if not exists {_quote(schema)}")
    published = []
    for table_name, comment in tables:
        target = f"{_quote(schema)}.{_quote(table_name)}"
        connection.execute(
            f"create table {target} as "
            f"select * from {_quote(build)}.{_quote(schema)}.{_quote(table_name)}"
        )
        if comment:
            connection.execute(f"comment on table {target} is {_literal(comment)}")
        column_comments = connection.execute(
            """
            select column_name, comment
            from duckdb_columns()
            where database_name = ? and schema_name = ? and table_name = ?
              and comment is not null
            """,
            [build, schema, table_name],
        ).fetchall()
        for column_name, column_comment in column_comments:
            connection.execute(
                f"comment on column {target}.{_quote(column_name)} is {_literal(column_comment)}"
            )
        (row_count,) = connection.execute(f"select count(*) from {target}").fetchone()
        published.append(PublishedTable(schema, table_name, row_count))
    return published


def publish(
    build_path: Path,
    warehouse_path: Path,
    schemas: tuple[str, ...] = PUBLISHED_SCHEMAS,
    storage_version: str | None = None,
) -> list[PublishedTable]:
    """Copy `schemas` from the build file into a new file that replaces `warehouse_path`."""
    if not build_path.exists():
        raise PublishError(
            f"No build warehouse at {build_path}: run `dbt build` (or `make run`) first."
        )
    storage_version = storage_version or os.environ.get(
        "LOYALTY_DUCKDB_STORAGE_VERSION", DEFAULT_STORAGE_VERSION
    )
    warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    staging_path = warehouse_path.with_name(f".{warehouse_path.name}.publishing")
    staging_path.unlink(missing_ok=True)
    staging_path.with_name(staging_path.name + ".wal").unlink(missing_ok=True)
    connection = duckdb.connect(
        str(staging_path), config={"storage_compatibility_version": storage_version}
    )
    try:
        # Attached under the name dbt gave it (the file's stem), so views that
        # name their tables by catalog resolve.
        build = build_path.stem
        connection.execute(f"attach {_literal(str(build_path))} as {_quote(build)} (read_only)")
        missing = [
            schema
            for schema in schemas
            if not connection.execute(
                "select 1 from duckdb_schemas() where database_name = ? and schema_name = ?",
                [build, schema],
            ).fetchone()
        ]
        if missing:
            raise PublishError(
                f"The build warehouse {build_path} has no schema {', '.join(missing)}: "
                "the dbt build did not finish. Fix the build, then publish again."
            )
        published = [
            table for schema in schemas for table in _copy_schema(connection, build, schema)
        ]
        connection.execute(f"detach {_quote(build)}")
        connection.execute("checkpoint")
    except Exception:
        connection.close()
        staging_path.unlink(missing_ok=True)
        raise
    connection.close()
    os.replace(staging_path, warehouse_path)
    return published
