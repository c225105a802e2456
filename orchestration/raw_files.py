"""The raw export folder: which files belong to which raw table, and what they hold.

Pure helpers used by the raw-file source assets, the freshness check and the
new-files sensor. A raw table `orders` is every file `orders*.csv` (or
`.parquet`) directly in the raw folder, as in the dbt sources; the tables and
the column that says how recent each is come from the dbt manifest
(orchestration.project.raw_tables).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb


@dataclass(frozen=True)
class RawTable:
    """A table of the raw export and the column that says how recent it is (if any)."""

    name: str
    recency_column: str | None


def raw_files(raw_dir: Path, table: str, file_format: str = "csv") -> list[Path]:
    """The files of one raw table, sorted by name."""
    return sorted(path for path in raw_dir.glob(f"{table}*.{file_format}") if path.is_file())


def folder_fingerprint(
    raw_dir: Path, tables: Iterable[RawTable], file_format: str = "csv"
) -> dict[str, list[int]]:
    """{file name: [size, modification time in ns]} for every file of these raw tables."""
    fingerprint = {}
    for table in tables:
        for path in raw_files(raw_dir, table.name, file_format):
            status = path.stat()
            fingerprint[path.name] = [status.st_size, status.st_mtime_ns]
    return fingerprint


def fingerprint_key(fingerprint: dict[str, list[int]]) -> str:
    """A short stable digest of a folder fingerprint (a run key or data version)."""
    text = json.dumps(fingerprint, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class RawTableSummary:
    table: str
    files: list[str]
    row_count: int
    latest_at: datetime | None


def _reader(paths: list[Path], file_format: str) -> str:
    listed = ", ".join("'" + str(path).replace("'", "''") + "'" for path in paths)
    if file_format == "parquet":
        return f"read_parquet([{listed}], union_by_name = true)"
    return f"read_csv([{listed}], header = true, all_varchar = true, union_by_name = true)"


def summarize_raw_table(
    raw_dir: Path, table: RawTable, file_format: str = "csv"
) -> RawTableSummary:
    """Row count and latest timestamp of one raw table, read straight from its files."""
    paths = raw_files(raw_dir, table.name, file_format)
    if not paths:
        return RawTableSummary(table.name, [], 0, None)
    latest = (
        f"max(try_cast({table.recency_column} as timestamp))" if table.recency_column else "null"
    )
    with duckdb.connect() as connection:
        row_count, latest_at = connection.execute(
            f"select count(*), {latest} from {_reader(paths, file_format)}"
        ).fetchone()
    return RawTableSummary(table.name, [path.name for path in paths], row_count, latest_at)
