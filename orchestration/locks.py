"""Exclusive locks between processes, with a record of who holds them.

A lock is an advisory `flock` on a small file beside what it protects. The
operating system releases it when the holding process ends, however it ends
(`kill -9` included), so a crashed run never leaves a stale lock behind. The
holder writes who it is (pid, start time, what it does) into the file, so a
process that has to wait can say what it is waiting for.
"""

from __future__ import annotations

import fcntl
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from orchestration.settings import Settings

# How often a waiting process tries the lock again.
_POLL_SECONDS = 0.2


class LockTimeoutError(RuntimeError):
    """The lock was not free within the time allowed; the message names its holder."""


@dataclass(frozen=True)
class Holder:
    """Who holds a lock: written into the lock file by the holder."""

    pid: int
    started_at: str
    purpose: str

    def describe(self) -> str:
        return f"{self.purpose} (pid {self.pid}, started {self.started_at})"


def read_holder(lock_path: Path) -> Holder | None:
    """The holder recorded in the lock file, or None (no file, or not written yet)."""
    try:
        return Holder(**json.loads(lock_path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None


def _try_lock(descriptor: int) -> bool:
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


@contextmanager
def exclusive_lock(
    lock_path: Path,
    purpose: str,
    timeout_seconds: float,
    on_wait: Callable[[Holder | None], None] | None = None,
) -> Iterator[Holder]:
    """Hold the lock on `lock_path` for the duration of the block.

    If another process holds it, on_wait is called once with that holder
    (None if it has not written itself in yet), then this waits up to
    timeout_seconds (0: not at all) and raises LockTimeoutError naming the
    holder if the lock is still taken.
    """
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        if not _try_lock(descriptor):
            if on_wait is not None:
                on_wait(read_holder(lock_path))
            deadline = time.monotonic() + timeout_seconds
            while not _try_lock(descriptor):
                if time.monotonic() >= deadline:
                    holder = read_holder(lock_path)
                    held_by = holder.describe() if holder else "another process"
                    raise LockTimeoutError(
                        f"{lock_path} is held by {held_by}; gave up after {timeout_seconds:g} s."
                    )
                time.sleep(_POLL_SECONDS)
        holder = Holder(
            pid=os.getpid(),
            started_at=datetime.now(UTC).isoformat(timespec="seconds"),
            purpose=purpose,
        )
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, json.dumps(asdict(holder)).encode(), 0)
        try:
            yield holder
        finally:
            os.ftruncate(descriptor, 0)
            fcntl.flock(descriptor, fcntl.LOCK_UN)
    finally:
        os.close(descriptor)


class RunLockError(RuntimeError):
    """Another run holds the build warehouse; the message names it."""


@contextmanager
def run_lock(
    settings: Settings, purpose: str, say: Callable[[str], None] | None = None
) -> Iterator[Holder]:
    """One run at a time on the build warehouse: wait for the one holding it, or say who it is.

    say(message) reports the wait (default: print to stderr). Raises
    RunLockError naming the holding run after settings.run_wait_minutes.
    """
    say = say or (lambda message: print(message, file=sys.stderr, flush=True))
    path = settings.run_lock_path
    minutes = settings.run_wait_minutes

    def waiting(holder: Holder | None) -> None:
        held_by = holder.describe() if holder else "another run"
        say(
            f"The build warehouse {settings.build_path} is in use by {held_by}; "
            f"waiting up to {minutes:g} minutes for it to finish "
            "(LOYALTY_RUN_WAIT_MINUTES)."
        )

    try:
        with exclusive_lock(path, purpose, minutes * 60, waiting) as holder:
            yield holder
    except LockTimeoutError as error:
        raise RunLockError(
            f"Another run holds the build warehouse {settings.build_path}: {error} "
            "Wait for it to finish (or stop it), then start this run again."
        ) from error
