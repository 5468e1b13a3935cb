"""What Closer leaves on disk: private file modes, no erased words in free pages or the WAL,
and one process per database file."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.services.guilds import GuildService
from bot.services.privacy import PrivacyService
from bot.storage import guilds as guild_store
from bot.storage.backup import backup_database
from bot.storage.lock import AlreadyRunning, ProcessLock, lock_path
from bot.storage.sqlite import SqliteDatabase
from tests.storage.test_privacy import (
    ALICE,
    ALICE_COUPLE,
    BOB_B_SIDE,
    BOB_COUPLE,
    GUILD_B,
    NOW,
    seed,
)


@pytest.fixture
def loose_umask() -> Iterator[None]:
    """The umask a container or a service manager often has: new files world-readable."""
    saved = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(saved)


@pytest.fixture
def sqlite_without_secure_delete(monkeypatch: pytest.MonkeyPatch) -> None:
    """Behave like an SQLite built without SQLITE_SECURE_DELETE (python.org's builds, say).

    Debian compiles it in, so without this a missing pragma would go unnoticed here.
    """
    real = sqlite3.connect

    def connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        conn = real(*args, **kwargs)
        conn.execute("PRAGMA secure_delete = OFF")
        return conn

    monkeypatch.setattr(sqlite3, "connect", connect)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def on_disk(db_path: Path) -> bytes:
    """Every byte SQLite keeps for this database: the file, its WAL and shared memory."""
    out = b""
    for suffix in ("", "-wal", "-shm"):
        part = db_path.with_name(db_path.name + suffix)
        if part.exists():
            out += part.read_bytes()
    return out


# File modes -----------------------------------------------------------------------------------
@pytest.mark.usefixtures("loose_umask")
async def test_database_wal_shm_and_backups_are_private_whatever_the_umask(
    tmp_path: Path,
) -> None:
    path = tmp_path / "data" / "closer.db"
    db = await SqliteDatabase.open(path)
    try:
        await seed(db)  # a write, so the WAL and shared-memory files exist
        wal, shm = path.with_name("closer.db-wal"), path.with_name("closer.db-shm")
        assert wal.exists() and shm.exists()
        copy = tmp_path / "backups" / "online.db"
        await db.backup_to(copy)
        cli_copy = tmp_path / "backups" / "cli.db"
        await backup_database(path, cli_copy)
        for made in (path, wal, shm, copy, cli_copy):
            assert mode(made) == 0o600, made
    finally:
        await db.close()


@pytest.mark.usefixtures("loose_umask")
async def test_a_database_left_readable_by_an_older_version_is_tightened(tmp_path: Path) -> None:
    path = tmp_path / "closer.db"
    db = await SqliteDatabase.open(path)
    await seed(db)
    await db.close()
    for suffix in ("", "-wal", "-shm"):
        sidecar = path.with_name(path.name + suffix)
        if sidecar.exists():
            sidecar.chmod(0o644)
    db = await SqliteDatabase.open(path)
    try:
        for suffix in ("", "-wal", "-shm"):
            sidecar = path.with_name(path.name + suffix)
            if sidecar.exists():
                assert mode(sidecar) == 0o600, sidecar
    finally:
        await db.close()


# Erased means gone from the files ---------------------------------------------------------------
@pytest.mark.usefixtures("sqlite_without_secure_delete")
async def test_forget_leaves_no_copy_of_the_words_in_the_database_files(tmp_path: Path) -> None:
    path = tmp_path / "closer.db"
    db = await SqliteDatabase.open(path)
    try:
        await seed(db)
        assert ALICE_COUPLE.encode() in on_disk(path)
        await PrivacyService(db, lambda: NOW, lambda: None).forget(ALICE)
        # Not in a free page (secure_delete), not in an old WAL frame (the checkpoint).
        assert ALICE_COUPLE.encode() not in on_disk(path)
        assert path.with_name("closer.db-wal").stat().st_size == 0
        # Her partner's words are theirs and stay.
        assert BOB_COUPLE.encode() in on_disk(path)
    finally:
        await db.close()


@pytest.mark.usefixtures("sqlite_without_secure_delete")
async def test_a_purged_server_leaves_no_copy_of_its_words_in_the_files(tmp_path: Path) -> None:
    path = tmp_path / "closer.db"
    db = await SqliteDatabase.open(path)
    try:
        await seed(db)
        await guild_store.mark_left(db, GUILD_B, NOW - timedelta(days=8), NOW - timedelta(days=1))
        assert BOB_B_SIDE.encode() in on_disk(path)
        assert await GuildService(db, lambda: NOW).purge_due(NOW) == 1
        assert BOB_B_SIDE.encode() not in on_disk(path)
        assert BOB_COUPLE.encode() in on_disk(path)  # server A is untouched
    finally:
        await db.close()


# One process per database ---------------------------------------------------------------------
@pytest.mark.usefixtures("loose_umask")
def test_a_second_lock_on_the_same_database_is_refused_until_the_first_lets_go(
    tmp_path: Path,
) -> None:
    path = tmp_path / "closer.db"
    first, second = ProcessLock(path), ProcessLock(path)
    first.acquire()
    try:
        first.acquire()  # idempotent for its owner
        assert mode(lock_path(path)) == 0o600
        with pytest.raises(AlreadyRunning) as refused:
            second.acquire()
        assert str(refused.value) == (
            f"another Closer is running on {path} (pid {os.getpid()}); stop it first"
        )
        assert not second.held
        # Another file is another Closer's business.
        other = ProcessLock(tmp_path / "other.db")
        other.acquire()
        other.release()
    finally:
        first.release()
    second.acquire()
    second.release()
