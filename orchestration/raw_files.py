"""The raw export folder: which files belong to which raw table, and what they hold.

Pure helpers used by the raw-file source assets, the freshness check and the
new-files sensor. A raw table `orders` is every file `orders*.csv` (or
`.parquet`) directly in the raw folder, as in the dbt sources; the tables and
the column that says how recent each is come from the dbt manifest
(orchestration.project.raw_tables).
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import yaml

from orchestration.settings import DBT_PROJECT_DIR


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


# The folder's settings file: its CSV dialect overrides the dbt vars raw_csv_*; its
# encodings say which files are not UTF-8 (orchestration/raw_encodings.py).
EXPORT_SETTINGS_FILE = "loyalty_export.yml"
DIALECT_SETTINGS = ("delimiter", "quote", "escape", "header")


def export_settings(raw_dir: Path) -> dict[str, Any]:
    """The settings of the raw folder's loyalty_export.yml; {} when there is none."""
    settings_file = raw_dir / EXPORT_SETTINGS_FILE
    if not settings_file.is_file():
        return {}
    return yaml.safe_load(settings_file.read_text("utf-8")) or {}


def csv_dialect(raw_dir: Path) -> dict[str, Any]:
    """{delimiter, quote, escape, header} of the raw folder's CSV files, as dbt reads them.

    The defaults are the dbt vars raw_csv_* (dbt_project/dbt_project.yml); a
    loyalty_export.yml in the folder overrides them (dbt_project/macros/read_raw_files.sql).
    """
    project_vars = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text("utf-8"))["vars"]
    dialect = {name: project_vars[f"raw_csv_{name}"] for name in DIALECT_SETTINGS}
    settings = export_settings(raw_dir)
    dialect.update({name: settings[name] for name in DIALECT_SETTINGS if name in settings})
    return dialect


def _literal(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def csv_header(path: Path, dialect: dict[str, Any]) -> list[str]:
    """The column names in the first line of a CSV file, parsed with the folder's dialect."""
    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        reader = csv.reader(
            handle,
            delimiter=dialect["delimiter"],
            quotechar=dialect["quote"],
            doublequote=dialect["escape"] == dialect["quote"],
            escapechar=None if dialect["escape"] == dialect["quote"] else dialect["escape"],
        )
        return [name.strip().lstrip("\ufeff") for name in next(reader, [])]


@dataclass(frozen=True)
class RawTableSummary:
    table: str
    files: list[str]
    row_count: int
    latest_at: datetime | None


def _csv_reader(path: Path, dialect: dict[str, Any]) -> tuple[str, list[str]]:
    """read_csv of one file with the stated dialect (no detection, unreadable lines skipped)."""
    header = csv_header(path, dialect) if dialect["header"] else []
    columns = ", ".join(f"{_literal(name)}: 'varchar'" for name in header)
    reader = (
        f"read_csv({_literal(path)}, delim = {_literal(dialect['delimiter'])}, "
        f"quote = {_literal(dialect['quote'])}, escape = {_literal(dialect['escape'])}, "
        f"header = {str(bool(dialect['header'])).lower()}, auto_detect = false, "
        f"columns = {{{columns}}}, ignore_errors = true)"
    )
    return reader, [name.lower() for name in header]


def summarize_raw_table(
    raw_dir: Path,
    table: RawTable,
    file_format: str = "csv",
    utf8_copies: Mapping[str, str] | None = None,
) -> RawTableSummary:
    """Rows and latest timestamp of one raw table, read straight from its files.

    CSV files are read as dbt reads them (the folder's dialect, one file at a
    time, a file that is not UTF-8 from its UTF-8 copy: utf8_copies maps the
    original's path to the copy's); lines the reader cannot parse are not
    counted (the build quarantines them).
    """
    paths = raw_files(raw_dir, table.name, file_format)
    if not paths:
        return RawTableSummary(table.name, [], 0, None)
    dialect = csv_dialect(raw_dir) if file_format == "csv" else {}
    row_count, latest_at = 0, None
    with duckdb.connect() as connection:
        for path in paths:
            if file_format == "csv":
                read_path = Path((utf8_copies or {}).get(str(raw_dir.resolve() / path.name), path))
                reader, columns = _csv_reader(read_path, dialect)
            else:
                reader = f"read_parquet({_literal(path)})"
                columns = [
                    name.lower()
                    for (name, *_) in connection.execute(
                        f"describe select * from {reader}"
                    ).fetchall()
                ]
            latest = (
                f'max(try_cast("{table.recency_column}" as timestamp))'
                if table.recency_column in columns
                else "null"
            )
            count, file_latest = connection.execute(
                f"select count(*), {latest} from {reader}"
            ).fetchone()
            row_count += count
            if file_latest is not None and (latest_at is None or file_latest > latest_at):
                latest_at = file_latest
    return RawTableSummary(table.name, [path.name for path in paths], row_count, latest_at)
