"""What the build warehouse was built from, and when a build must start over.

The incremental base models find new raw rows by the file they sit in
(dbt_project/macros/incremental.sql), so they are right only while every file
they read stays as it was. The build warehouse therefore records the raw
folder and a fingerprint of each file it read (name, size, modification
time), in table `build_state.raw_files`, after every successful build. Before
the next build, `full_refresh_reason` compares the folder with that record:
another folder, or a file rewritten or removed under a name already read,
means the build must start over (`dbt build --full-refresh`); files only
added are what an incremental build is for.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from orchestration.raw_files import EXPORT_SETTINGS_FILE, RawTable, folder_fingerprint
from orchestration.settings import Settings

STATE_TABLE = "build_state.raw_files"


@dataclass(frozen=True)
class RawFolderState:
    """A raw folder and {file name: [size in bytes, modification time in ns]} of its files."""

    raw_dir: str
    files: dict[str, list[int]]


def current_state(
    raw_dir: Path, tables: tuple[RawTable, ...], file_format: str = "csv"
) -> RawFolderState:
    """The raw folder as it is now: every file of the raw tables, and the export settings file
    (its dialect changes what every file reads as)."""
    files = folder_fingerprint(raw_dir, tables, file_format)
    settings_file = raw_dir / EXPORT_SETTINGS_FILE
    if settings_file.is_file():
        status = settings_file.stat()
        files[settings_file.name] = [status.st_size, status.st_mtime_ns]
    return RawFolderState(str(raw_dir.resolve()), files)


def recorded_state(build_path: Path) -> RawFolderState | None:
    """The state the build warehouse records; None when it has no record (or does not exist)."""
    if not build_path.exists():
        return None
    with duckdb.connect(str(build_path), read_only=True) as connection:
        exists = connection.execute(
            "select count(*) from duckdb_tables() "
            "where schema_name = 'build_state' and table_name = 'raw_files'"
        ).fetchone()[0]
        if not exists:
            return None
        rows = connection.execute(
            f"select raw_dir, file_name, size_bytes, modified_ns from {STATE_TABLE}"
        ).fetchall()
    if not rows:
        return None
    return RawFolderState(rows[0][0], {name: [size, mtime] for _, name, size, mtime in rows})


def has_built_models(build_path: Path) -> bool:
    """True when the build warehouse holds base models (which an incremental build reuses)."""
    if not build_path.exists():
        return False
    with duckdb.connect(str(build_path), read_only=True) as connection:
        return bool(
            connection.execute(
                "select count(*) from duckdb_tables() "
                "where schema_name = 'staging' and table_name like 'base_crm__%'"
            ).fetchone()[0]
        )


def full_refresh_reason(recorded: RawFolderState | None, current: RawFolderState) -> str | None:
    """Why the next build must start over, in a few words; None when an incremental build is right.

    `recorded` None with base models present means a warehouse built before
    this record existed: it is rebuilt once, since what it read is unknown.
    """
    if recorded is None:
        return "the build warehouse does not record which raw files it was built from"
    if recorded.raw_dir != current.raw_dir:
        return f"the raw folder changed from {recorded.raw_dir} to {current.raw_dir}"
    removed = sorted(set(recorded.files) - set(current.files))
    if removed:
        return f"raw file {removed[0]} was removed" + (
            f" (and {len(removed) - 1} more)" if len(removed) > 1 else ""
        )
    rewritten = sorted(
        name
        for name, fingerprint in recorded.files.items()
        if list(current.files[name]) != list(fingerprint)
    )
    if rewritten:
        return f"raw file {rewritten[0]} was rewritten" + (
            f" (and {len(rewritten) - 1} more)" if len(rewritten) > 1 else ""
        )
    return None


def record_state(build_path: Path, state: RawFolderState) -> None:
    """Record in the build warehouse the raw folder and files a successful build read."""
    rows = [
        (state.raw_dir, name, size, mtime) for name, (size, mtime) in sorted(state.files.items())
    ]
    with duckdb.connect(str(build_path)) as connection:
        connection.execute("create schema if not exists build_state")
        connection.execute(
            f"create or replace table {STATE_TABLE} (raw_dir varchar, file_name varchar, "
            "size_bytes bigint, modified_ns bigint, "
            "recorded_at timestamp default current_timestamp)"
        )
        if rows:
            connection.executemany(
                f"insert into {STATE_TABLE} (raw_dir, file_name, size_bytes, modified_ns) "
                "values (?, ?, ?, ?)",
                rows,
            )


def full_refresh_announcement(
    settings: Settings, tables: tuple[RawTable, ...], requested: bool = False
) -> tuple[RawFolderState, str | None]:
    """The raw folder now, and the one line announcing a full refresh (None: incremental is right).

    A requested one (`make run FULL_REFRESH=1`, the job's run config) always
    happens; otherwise one happens when the build warehouse holds base models
    built from another folder, or from files since rewritten or removed.
    """
    state = current_state(settings.raw_dir, tables)
    if requested:
        reason = "it was requested"
    elif has_built_models(settings.build_path):
        reason = full_refresh_reason(recorded_state(settings.build_path), state)
    else:
        reason = None
    if reason is None:
        return state, None
    return state, (
        f"Full refresh: {reason}; every model is rebuilt from the raw files "
        "(dbt build --full-refresh; the campaign contact history and the customer segment history "
        "are kept)."
    )
