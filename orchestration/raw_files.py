"""The raw export folder: which files belong to which raw table, and what they hold.

Pure helpers used by the raw-file source assets, the freshness check and the
new-files sensor. A raw table `orders` is every file `orders*.csv` (or
`.parquet`) directly in the raw folder, as in the dbt sources.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

RAW_TABLES: tuple[str, ...] = (
    "customers",
    "orders",
    "order_lines",
    "products",
    "survey_responses",
    "service_tickets",
    "consent_events",
    "suppressions",
)

# The column that says how recent a raw table is (as the dbt sources' loaded_at_field).
RECENCY_COLUMNS: dict[str, str] = {
    "customers": "created_at",
    "orders": "ordered_at",
    "survey_responses": "responded_at",
    "service_tickets": "opened_at",
    "consent_events": "recorded_at",
    "suppressions": "suppressed_at",
}


def raw_files(raw_dir: Path, table: str, file_format: str = "csv") -> list[Path]:
    """The files of one raw table, sorted by name."""
    return sorted(path for path in raw_dir.glob(f"{table}*.{file_format}") if path.is_file())


def folder_fingerprint(raw_dir: Path, file_format: str = "csv") -> dict[str, list[int]]:
    """{file name: [size, modification time in ns]} for every raw file in the folder."""
    fingerprint = {}
    for table in RAW_TABLES:
        for path in raw_files(raw_dir, table, file_format):
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


def summarize_raw_table(raw_dir: Path, table: str, file_format: str = "csv") -> RawTableSummary:
    """Row count and latest timestamp of one raw table, read straight from its files."""
    paths = raw_files(raw_dir, table, file_format)
    if not paths:
        return RawTableSummary(table, [], 0, None)
    recency_column = RECENCY_COLUMNS.get(table)
    latest = f"max(try_cast({recency_column} as timestamp))" if recency_column else "null"
    with duckdb.connect() as connection:
        row_count, latest_at = connection.execute(
            f"select count(*), {latest} from {_reader(paths, file_format)}"
        ).fetchone()
    return RawTableSummary(table, [path.name for path in paths], row_count, latest_at)
