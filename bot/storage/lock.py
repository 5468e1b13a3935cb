"""One Closer per database: an exclusive lock on a file beside it, held while the bot runs.

Two bots on one file would each claim the same due deliveries and send every prompt twice, and
their writers would queue behind each other's transactions. `flock` locks belong to an open
file, so the kernel drops this one when the process dies however it dies: a crash never leaves
a stale lock to clean up by hand. The lock file itself stays; deleting it could let a third
process lock a fresh inode while the second still holds the old one.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path

from bot.storage.errors import StorageError
from bot.storage.files import PRIVATE_MODE


class AlreadyRunning(StorageError):
    """Another process holds the database's lock."""


def lock_path(database_path: Path) -> Path:
    return database_path.with_name(database_path.name + ".lock")


class ProcessLock:
    """The database's lock. `acquire` is idempotent; `release` lets another process in."""

    def __init__(self, database_path: Path, *, shared: bool = False) -> None:
        # shared: the data lives in PostgreSQL, which admits several processes; nothing to lock.
        self.shared = shared
        self.database_path = database_path
        self.path = lock_path(database_path)
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> None:
        if self.shared or self._fd is not None or str(self.database_path) == ":memory:":
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            # Worded as Database.open words it: this is the first place a bad path shows.
            raise StorageError(
                f"cannot create the folder for {self.database_path}: {exc.strerror}"
            ) from None
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, PRIVATE_MODE)
        except OSError as exc:
            raise StorageError(f"cannot create the lock file {self.path}: {exc.strerror}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_pid(fd)
            os.close(fd)
            who = f" (pid {holder})" if holder else ""
            raise AlreadyRunning(
                f"another Closer is running on {self.database_path}{who}; stop it first"
            ) from None
        except OSError as exc:
            os.close(fd)
            raise StorageError(f"cannot lock {self.path}: {exc.strerror}") from None
        # For the operator reading the refusal above; the lock, not this number, is the truth.
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)  # closing the last descriptor drops the flock


def _read_pid(fd: int) -> str:
    try:
        text = os.pread(fd, 32, 0).decode(errors="replace").strip()
    except OSError:
        return ""
    return text if text.isdigit() else ""
