from __future__ import annotations

import sqlite3
from pathlib import Path

import aiosqlite
import pytest

from bot.storage.errors import MigrationError, StorageError
from bot.storage.migrations import apply_migrations, current_version, discover, latest_version
from bot.storage.sqlite import SqliteDatabase


def test_migrations_are_numbered_without_gaps() -> None:
    versions = [m.version for m in discover()]
    assert versions == list(range(1, len(versions) + 1))


async def test_a_fresh_database_reaches_the_latest_version(tmp_path: Path) -> None:
    db = await SqliteDatabase.open(tmp_path / "closer.db")
    try:
        assert await db.fetchval("PRAGMA user_version") == latest_version()
        tables = set(await db.table_names())
        expected = {
            "guilds",
            "members",
            "invites",
            "circles",
            "circle_members",
            "circle_rounds",
            "pairs",
            "pair_members",
            "prompt_instances",
            "deliveries",
            "answers",
            "challenges",
            "meta",
        }
        assert expected <= tables
        assert await db.fetchval("PRAGMA journal_mode") == "wal"
        assert await db.fetchval("PRAGMA foreign_keys") == 1
    finally:
        await db.close()


async def test_every_earlier_version_upgrades_to_the_latest(tmp_path: Path) -> None:
    for start in range(latest_version()):
        path = tmp_path / f"from-{start}.db"
        async with aiosqlite.connect(path, isolation_level=None) as conn:
            assert await apply_migrations(conn, target=start) == start
        db = await SqliteDatabase.open(path)
        try:
            assert await db.fetchval("PRAGMA user_version") == latest_version()
        finally:
            await db.close()


async def test_reopening_is_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "closer.db"
    for _ in range(2):
        db = await SqliteDatabase.open(path)
        await db.close()
    async with aiosqlite.connect(path) as conn:
        assert await current_version(conn) == latest_version()


async def test_a_database_from_a_newer_closer_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {latest_version() + 5}")
    with pytest.raises(MigrationError, match="newer than this Closer"):
        await SqliteDatabase.open(path)


async def test_a_failed_migration_leaves_the_old_version(tmp_path: Path) -> None:
    path = tmp_path / "half.db"
    with sqlite3.connect(path) as conn:
        # A table the first migration wants to create already exists: the script fails midway.
        conn.execute("CREATE TABLE pairs (x)")
    with pytest.raises(StorageError):
        await SqliteDatabase.open(path)
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 0
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert "meta" not in tables, "the partial migration must roll back"


async def test_an_unusable_location_is_a_clear_error(tmp_path: Path) -> None:
    # Root ignores file modes, so use a path no user can create: a folder inside a file.
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    with pytest.raises(StorageError, match="cannot create the folder"):
        await SqliteDatabase.open(blocker / "closer.db")


async def test_transactions_roll_back_on_error(tmp_path: Path) -> None:
    db = await SqliteDatabase.open(tmp_path / "closer.db")
    try:
        with pytest.raises(RuntimeError):
            async with db.transaction() as conn:
                await conn.execute("INSERT INTO meta (key, value) VALUES ('a', 'b')")
                raise RuntimeError("boom")
        assert await db.fetchval("SELECT count(*) FROM meta") == 0
    finally:
        await db.close()


async def test_backup_is_a_consistent_copy(tmp_path: Path) -> None:
    from bot.storage.backup import backup_database

    db = await SqliteDatabase.open(tmp_path / "closer.db")
    try:
        await db.execute("INSERT INTO meta (key, value) VALUES ('k', 'v')")
        await backup_database(tmp_path / "closer.db", tmp_path / "copy.db")
    finally:
        await db.close()
    with sqlite3.connect(tmp_path / "copy.db") as conn:
        assert conn.execute("SELECT value FROM meta WHERE key='k'").fetchone()[0] == "v"
