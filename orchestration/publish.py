"""Publish the marts of the build warehouse to the file BI tools read.

DuckDB locks a whole database file: a BI tool holding the warehouse open would
make `dbt build` fail, and a build would lock the BI tool out. So dbt builds
into its own file, and publishing copies the marts (the models of schema
`marts` in the dbt manifest, with their table and column descriptions) into a
fresh file that atomically replaces the published one. Readers that already
have the old file open keep reading it; the next connection sees the new one.

Publishes may overlap (a scheduled run, `cli publish` by hand, a second
clone's run): each writes its own staging file, named uniquely beside the
published one, and they take turns under an exclusive lock, so the rename
of a finished file is the only change a reader can see.
Personal data (schema `restricted`) and raw rows (schemas `staging`,
`quarantine`) are never published.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from orchestration.locks import LockTimeoutError, exclusive_lock
from orchestration.project import PUBLISHED_SCHEMA as SCHEMA
from orchestration.project import load_manifest, published_marts
from orchestration.settings import Settings

# How long a publish waits for another publish of the same file to finish.
PUBLISH_LOCK_TIMEOUT_SECONDS = 600.0


class PublishError(RuntimeError):
    """The build warehouse cannot be published."""


@dataclass(frozen=True)
class PublishedTable:
    schema: str
    name: str
    row_count: int

    @property
    def rows_text(self) -> str:
        """`1 row`, `5,000 rows`."""
        return f"{self.row_count:,} row{'' if self.row_count == 1 else 's'}"


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _relations(connection: duckdb.DuckDBPyConnection, build: str) -> set[str]:
    """Names of the tables and views of schema marts in the attached build."""
    return {
        name
        for (name,) in connection.execute(
            """
            select table_name from duckdb_tables() where database_name = ? and schema_name = ?
            union all
            select view_name from duckdb_views() where database_name = ? and schema_name = ?
            """,
            [build, SCHEMA, build, SCHEMA],
        ).fetchall()
    }


def _copy_mart(connection: duckdb.DuckDBPyConnection, build: str, name: str) -> PublishedTable:
    """Write one table or view of schema marts in the attached build as a table."""
    ((comment,),) = connection.execute(
        """
        select comment from duckdb_tables()
        where database_name = ? and schema_name = ? and table_name = ?
        union all
        select comment from duckdb_views()
        where database_name = ? and schema_name = ? and view_name = ?
        """,
        [build, SCHEMA, name, build, SCHEMA, name],
    ).fetchall()
    target = f"{_quote(SCHEMA)}.{_quote(name)}"
    connection.execute(
        f"create table {target} as select * from {_quote(build)}.{_quote(SCHEMA)}.{_quote(name)}"
    )
    if comment:
        connection.execute(f"comment on table {target} is {_literal(comment)}")
    column_comments = connection.execute(
        """
        select column_name, comment
        from duckdb_columns()
        where database_name = ? and schema_name = ? and table_name = ? and comment is not null
        """,
        [build, SCHEMA, name],
    ).fetchall()
    for column_name, column_comment in column_comments:
        connection.execute(
            f"comment on column {target}.{_quote(column_name)} is {_literal(column_comment)}"
        )
    (row_count,) = connection.execute(f"select count(*) from {target}").fetchone()
    return PublishedTable(SCHEMA, name, row_count)


def publish(
    build_path: Path,
    warehouse_path: Path,
    marts: Sequence[str] | None = None,
    storage_version: str = Settings.storage_version,
    lock_timeout_seconds: float = PUBLISH_LOCK_TIMEOUT_SECONDS,
) -> list[PublishedTable]:
    """Copy the marts from the build file into a new file that replaces `warehouse_path`.

    marts: the names of the models to publish; by default those of schema marts
    in the dbt manifest (orchestration.project.published_marts). Another
    publish of the same file is waited for, up to lock_timeout_seconds.
    """
    if not build_path.exists():
        raise PublishError(
            f"No build warehouse at {build_path}: run `dbt build` (or `make run`) first."
        )
    if marts is None:
        marts = published_marts(load_manifest())
    warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    lock_path = warehouse_path.with_name(f".{warehouse_path.name}.publish.lock")
    try:
        with exclusive_lock(lock_path, f"publish to {warehouse_path}", lock_timeout_seconds):
            # A folder of its own in the same directory (so the rename stays on
            # one file system): DuckDB creates the file and its WAL there.
            staging_dir = Path(
                tempfile.mkdtemp(
                    prefix=f".{warehouse_path.name}.",
                    suffix=".publishing",
                    dir=warehouse_path.parent,
                )
            )
            try:
                staging_path = staging_dir / warehouse_path.name
                published = _write_marts(build_path, staging_path, marts, storage_version)
                os.replace(staging_path, warehouse_path)
            finally:
                shutil.rmtree(staging_dir, ignore_errors=True)
    except LockTimeoutError as error:
        raise PublishError(
            f"Another publish is still writing {warehouse_path}: {error} "
            "Try again when it has finished."
        ) from error
    return published


def _write_marts(
    build_path: Path, staging_path: Path, marts: Sequence[str], storage_version: str
) -> list[PublishedTable]:
    """Copy the marts into a new DuckDB file at staging_path, fully written and closed."""
    connection = duckdb.connect(
        str(staging_path), config={"storage_compatibility_version": storage_version}
    )
    try:
        # Attached under the name dbt gave it (the file's stem), so views that
        # name their tables by catalog resolve.
        build = build_path.stem
        connection.execute(f"attach {_literal(str(build_path))} as {_quote(build)} (read_only)")
        missing = sorted(set(marts) - _relations(connection, build))
        if missing:
            named = ", ".join(f"{SCHEMA}.{name}" for name in missing)
            raise PublishError(
                f"The build warehouse {build_path} has no {named}: the dbt build did not "
                "finish. Fix the build, then publish again."
            )
        connection.execute(f"create schema {_quote(SCHEMA)}")
        published = [_copy_mart(connection, build, name) for name in sorted(marts)]
        connection.execute(f"detach {_quote(build)}")
        connection.execute("checkpoint")
    finally:
        connection.close()
    return published


# On Spark the marts are already tables BI tools can read: through a Spark Thrift
# server on the same warehouse and metastore (docs/spark.md, "BI tools on Spark").
SPARK_BI_NOTE = (
    "On Spark the marts are Spark tables (database `marts`); BI tools read them through a "
    "Spark Thrift server on the same warehouse and metastore (docs/spark.md, BI tools on "
    "Spark). No DuckDB file is published."
)


def spark_marts(settings: Settings, marts: Sequence[str] | None = None) -> list[PublishedTable]:
    """The marts of a Spark build with their row counts: what BI tools read there."""
    from orchestration.spark_worker import SparkWorker

    names = sorted(published_marts(load_manifest()) if marts is None else marts)
    if not names:
        return []
    with SparkWorker(settings) as spark:
        counts = dict(
            spark.query(
                "\nunion all\n".join(
                    f"select '{name}' as name, count(*) from {SCHEMA}.{name}" for name in names
                )
            )
        )
    return [PublishedTable(SCHEMA, name, int(counts[name])) for name in names]
