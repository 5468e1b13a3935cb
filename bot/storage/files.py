"""Files that hold members' words are readable by the bot's own user only.

The mode is set explicitly rather than left to the umask: a container or service manager often
runs with 022, which would make every answer world-readable on a shared host. SQLite gives the
WAL and shared-memory files the database file's own permissions, so fixing the database's mode
before SQLite first opens it covers them too.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

PRIVATE_MODE = 0o600


def make_private(path: Path) -> None:
    """Create `path` empty with mode 0600 if it does not exist, and tighten it if it does.

    An empty file is what SQLite expects of a new database. A file we cannot chmod (owned by
    someone else, a read-only mount) is left for SQLite to accept or refuse with its own error.
    """
    if str(path) == ":memory:":
        return
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, PRIVATE_MODE)
        os.close(fd)
    with contextlib.suppress(OSError):
        os.chmod(path, PRIVATE_MODE)


def make_database_private(path: Path) -> None:
    """The database file, plus WAL and shared-memory files an older version left readable.

    SQLite copies the database's mode only onto WAL/SHM files it creates empty; ones that
    survived from an earlier run keep whatever mode they had.
    """
    make_private(path)
    for suffix in ("-wal", "-shm"):
        sidecar = path.with_name(path.name + suffix)
        if sidecar.exists():
            with contextlib.suppress(OSError):
                os.chmod(sidecar, PRIVATE_MODE)
