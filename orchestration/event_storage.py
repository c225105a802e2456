"""Dagster's SQLite event log, with one open connection per database file.

Dagster's SqliteEventLogStorage opens a new SQLite connection for every
event it stores (the run's own file, and the index file for asset and check
events) and closes it after one commit. A `make run` on the sample stores
about 1,600 events (three per dbt test: check planned, step output, check
result), so 2,500 transactions each opening a connection, committing with
an fsync, and closing it, which in WAL mode also checkpoints the file: about
2/3 of the run's Python time, measured with py-spy
(tests/benchmarks/bench_run.py has the figures).

This storage keeps the same files, tables and schema (runs recorded by
either class are read by the other) and differs only in how it connects:

- one connection per database file, kept open (the most recently used
  KEEP_OPEN_FILES files), instead of one per event;
- whether the index file has a table (Dagster asks before storing each
  check result) is asked once;
- `PRAGMA synchronous=NORMAL` on those connections: in WAL mode a commit no
  longer waits for the disk; a power cut (not a crash of the process) can
  lose the last events written, never corrupt the file;
- a checkpoint of the files written to, at most CHECKPOINT_SECONDS after
  a write (a background timer) and when the storage is disposed. The Dagster
  UI follows a run in progress by watching its database file, which in WAL
  mode changes only when the log is checkpointed; Dagster's own storage
  checkpoints when it closes each connection.

The instance's dagster.yaml selects it (orchestration/dagster_home.py).
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as db
from dagster._config import StringSource
from dagster._core.storage.event_log import SqliteEventLogStorage
from dagster._core.storage.sql import create_engine
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from dagster._serdes import ConfigurableClassData
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import StaticPool

# Dagster's default place for the event files in an instance folder.
EVENTS_FOLDER = ("history", "runs")


def _set_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class ProjectSqliteEventLogStorage(SqliteEventLogStorage):
    """SqliteEventLogStorage with kept-open connections (see the module's docstring).

    Configured by the instance folder (dagster.yaml: `dagster_home: {env: DAGSTER_HOME}`),
    its files are where Dagster's default storage keeps them, `history/runs/`.
    """

    # Files with a connection kept open; the least recently used beyond this is closed.
    KEEP_OPEN_FILES = 8
    # How long after the last write a written file is checkpointed.
    CHECKPOINT_SECONDS = 0.5

    def __init__(self, dagster_home: str, inst_data: ConfigurableClassData | None = None):
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        self._written: set[str] = set()
        self._checkpoint_timer: threading.Timer | None = None
        self._tables_present: set[str] = set()
        super().__init__(os.path.join(dagster_home, *EVENTS_FOLDER, ""), inst_data=inst_data)

    @classmethod
    def config_type(cls) -> dict:
        return {"dagster_home": StringSource}

    @classmethod
    def from_config_value(
        cls, inst_data: ConfigurableClassData | None, config_value: dict
    ) -> ProjectSqliteEventLogStorage:
        return cls(inst_data=inst_data, **config_value)

    def has_table(self, table_name: str) -> bool:
        """Whether the index file has the table; once it has, not asked again.

        Dagster asks before storing each asset check event, each time through a
        new connection to the index file (about 800 a make run on the sample).
        """
        if table_name in self._tables_present:
            return True
        present = super().has_table(table_name)
        if present:
            self._tables_present.add(table_name)
        return present

    def _engine(self, shard: str) -> Engine:
        """The shard's engine (one connection, kept open), created and initialized once."""
        engine = self._engines.get(shard)
        if engine is not None:
            self._engines.move_to_end(shard)
            return engine
        engine = create_engine(
            self.conn_string_for_shard(shard),
            poolclass=StaticPool,
            # The connection is used by one thread at a time (self._db_lock).
            connect_args={
                "timeout": SQLITE_BUSY_TIMEOUT_SECONDS,
                "check_same_thread": False,
            },
        )
        db.event.listen(engine, "connect", _set_pragmas)
        if shard not in self._initialized_dbs:
            self._initdb(engine)
            self._initialized_dbs.add(shard)
        self._engines[shard] = engine
        while len(self._engines) > self.KEEP_OPEN_FILES:
            oldest, evicted = self._engines.popitem(last=False)
            self._written.discard(oldest)
            evicted.dispose()  # closing the last connection checkpoints the file
        return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        with self._db_lock:
            with self._engine(shard).connect() as conn, conn.begin():
                yield conn
                # pysqlite opens a transaction of its own only for a write.
                wrote = conn.connection.dbapi_connection.in_transaction
            if wrote:
                self._written.add(shard)
                if self._checkpoint_timer is None:
                    self._checkpoint_timer = threading.Timer(
                        self.CHECKPOINT_SECONDS, self.checkpoint
                    )
                    self._checkpoint_timer.daemon = True
                    self._checkpoint_timer.start()

    def checkpoint(self) -> None:
        """Copy the written files' logs into the files (what the UI's file watcher sees)."""
        with self._db_lock:
            self._checkpoint_timer = None
            for shard in sorted(self._written):
                engine = self._engines.get(shard)
                if engine is not None:
                    with engine.connect() as conn:
                        conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
            self._written.clear()

    def _close_shard(self, shard: str) -> None:
        with self._db_lock:
            engine = self._engines.pop(shard, None)
            self._written.discard(shard)
        if engine is not None:
            engine.dispose()

    def delete_events(self, run_id: str) -> None:
        # The run's file may be deleted next (orchestration/retention.py): not kept open.
        super().delete_events(run_id)
        self._close_shard(run_id)

    def wipe(self) -> None:
        self.close_files()
        super().wipe()

    def close_files(self) -> None:
        """Close every kept-open connection (each close checkpoints its file)."""
        with self._db_lock:
            if self._checkpoint_timer is not None:
                self._checkpoint_timer.cancel()
                self._checkpoint_timer = None
            engines = list(self._engines.values())
            self._engines.clear()
            self._written.clear()
        for engine in engines:
            engine.dispose()

    def dispose(self) -> None:
        self.close_files()
        super().dispose()
