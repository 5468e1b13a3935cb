"""Files that hold members' words are readable by the bot's own user only.

The mode is set explicitly rather than left to the umask: a container or service manager often
runs with 022, which would make every answer world-readable on a shared host. SQLite gives the
WAL and shared-memory files the database file's own permissions, so fixing the database's mode
before SQLite first opens it covers them too.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

PRIVATE_MODE = 0o600


def make_private(path: Path) -> None:
    """Create `path` empty with mode 0600 if it does not exist; else take away group and other.

    An empty file is what SQLite expects of a new database. An existing file keeps its owner
    bits (an operator may have made it read-only on purpose). A file we cannot change (owned by
    someone else, a read-only mount) is left for SQLite to accept or refuse with its own error.
    """
    if str(path) == ":memory:":
        return
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, PRIVATE_MODE)
    except OSError:
        _tighten(path)
    else:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.chmod(path, PRIVATE_MODE)  # the umask may have taken bits off; set them exactly


def _tighten(path: Path) -> None:
    with contextlib.suppress(OSError):
        current = stat.S_IMODE(path.stat().st_mode)
        if current & 0o077:
            os.chmod(path, current & 0o700)


def make_database_private(path: Path) -> None:
    """The database file, plus WAL and shared-memory files an older version left readable.

    SQLite copies the database's mode only onto WAL/SHM files it creates empty; ones that
    survived from an earlier run keep whatever mode they had.
    """
    make_private(path)
    for suffix in ("-wal", "-shm"):
        _tighten(path.with_name(path.name + suffix))
