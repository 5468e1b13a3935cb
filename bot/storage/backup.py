"""`python -m bot backup PATH`: SQLite's online backup API, consistent while the bot writes."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import aiosqlite

from bot.storage.errors import StorageError
from bot.storage.files import make_private


def _check_paths(source: Path, target: Path) -> None:
    if not source.exists():
        raise StorageError(f"no database at {source}")
    if target.resolve() == source.resolve():
        raise StorageError("the backup path must differ from the database itself")
    target.parent.mkdir(parents=True, exist_ok=True)


async def backup_database(source: Path, target: Path) -> None:
    _check_paths(source, target)
    # A copy of every member's answers: as private as the database itself.
    make_private(target)
    try:
        async with (
            aiosqlite.connect(f"file:{source}?mode=ro", uri=True) as src,
            aiosqlite.connect(target) as dest,
        ):
            await src.execute("PRAGMA busy_timeout = 5000")
            await dest.execute("PRAGMA secure_delete = ON")
            await src.backup(dest)
    except sqlite3.Error as exc:
        raise StorageError(str(exc)) from None
