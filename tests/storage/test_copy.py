"""`python -m bot db copy --to …`: every row arrives, a re-run is harmless, and the copy works."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from bot.core.models import Cadence, PairKind, Relationship
from bot.storage import pairs
from bot.storage.copy import copy_database
from bot.storage.errors import StorageError
from bot.storage.postgres import PostgresDatabase
from bot.storage.sqlite import SqliteDatabase
from tests.storage.test_privacy import NOW, seed, snapshot


async def _filled_sqlite(path: Path) -> dict[str, list[dict[str, Any]]]:
    db = await SqliteDatabase.open(path)
    try:
        await seed(db)
        return await snapshot(db)
    finally:
        await db.close()


def _without_own_meta(tables: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    tables["meta"] = [r for r in tables["meta"] if r["key"] != "schema_version"]
    return tables


async def test_every_row_arrives_and_a_second_run_changes_nothing(
    tmp_path: Path, postgres_url: str
) -> None:
    source = tmp_path / "closer.db"
    before = await _filled_sqlite(source)
    assert sum(len(rows) for rows in before.values()) > 30

    first = await copy_database(source, postgres_url)
    assert not first.already_there
    assert first.total == sum(len(rows) for rows in before.values())

    target = await PostgresDatabase.open(postgres_url, tmp_path)
    try:
        assert _without_own_meta(await snapshot(target)) == before
        # Ids continue after the copied ones: a new pair does not collide with an old one.
        async with target.transaction() as tx:
            pair_id = await pairs.insert_pair(
                tx,
                guild_id=1,
                kind=PairKind.COUPLE,
                member_ids=(),
                local_time="19:00",
                cadence=Cadence.DAILY,
                anchor=NOW.date(),
                seed=1,
                now=NOW + timedelta(days=1),
                relationship=Relationship.FRIENDS,
            )
        assert pair_id > max(int(r["id"]) for r in before["pairs"])
        await target.execute("DELETE FROM pairs WHERE id = ?", (pair_id,))
    finally:
        await target.close()

    again = await copy_database(source, postgres_url)
    assert again.already_there and again.total == first.total


async def test_a_database_holding_other_data_is_refused_untouched(
    tmp_path: Path, postgres_url: str
) -> None:
    source = tmp_path / "closer.db"
    await _filled_sqlite(source)
    target = await PostgresDatabase.open(postgres_url, tmp_path)
    try:
        await target.execute(
            "INSERT INTO members (user_id, display_name, created_at, updated_at) "
            "VALUES (5, 'Someone else', 'x', 'x')"
        )
        with pytest.raises(StorageError, match="already holds other data"):
            await copy_database(source, postgres_url)
        assert await target.fetchval("SELECT COUNT(*) FROM members") == 1
    finally:
        await target.close()


async def test_a_failed_copy_leaves_the_target_empty(tmp_path: Path, postgres_url: str) -> None:
    source = tmp_path / "closer.db"
    await _filled_sqlite(source)
    conn = await asyncpg.connect(postgres_url)
    try:
        # A row the copy will try to insert again fails midway (after earlier tables landed).
        await conn.execute("ALTER TABLE schedules ADD CONSTRAINT never CHECK (pair_id < 0)")
        with pytest.raises(StorageError, match="refused a row of schedules"):
            await copy_database(source, postgres_url)
        assert await conn.fetchval("SELECT COUNT(*) FROM members") == 0
        assert await conn.fetchval("SELECT COUNT(*) FROM pairs") == 0
    finally:
        # Test databases are reused: leave the schema as the migrations made it.
        await conn.execute("ALTER TABLE schedules DROP CONSTRAINT IF EXISTS never")
        await conn.close()


def test_the_command_copies_and_says_so(tmp_path: Path, postgres_url: str) -> None:
    import asyncio

    source = tmp_path / "closer.db"
    asyncio.run(_filled_sqlite(source))
    env = {**os.environ, "DATABASE_PATH": str(source)}
    env.pop("DATABASE_URL", None)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot", *args],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )

    done = run("db", "copy", "--to", postgres_url)
    assert done.returncode == 0, done.stderr
    assert "every table's row count matches" in done.stdout
    again = run("db", "copy", "--to", postgres_url)
    assert again.returncode == 0 and again.stdout.startswith("Nothing to do:")
    wrong = run("db", "copy", "--to", "mysql://nope")
    assert wrong.returncode == 2
    assert wrong.stderr.strip() == (
        "error: --to must be a PostgreSQL URL such as postgresql://user@host/closer"
    )


def test_backup_says_to_use_pg_dump_when_the_data_is_in_postgresql(tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": "postgresql://closer@db-host/closer"}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "backup", str(tmp_path / "copy.db")],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "error: DATABASE_URL is set: back up PostgreSQL with its own tools (pg_dump); "
        "this command copies the SQLite file"
    )
