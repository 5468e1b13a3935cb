"""SQLite, the embedded default: one writer behind a lock, one reader.

WAL lets the reader see the last committed state while the writer holds a transaction, so slash
commands that only read never wait for a large fan-out's bookkeeping.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Literal

import aiosqlite

from bot.storage.db import Database, Params, Result, Row, Tx
from bot.storage.errors import IntegrityError, StorageError
from bot.storage.files import make_database_private, make_private
from bot.storage.migrations import apply_migrations, current_version

log = logging.getLogger(__name__)

_PRAGMAS = (
    # foreign_keys is a no-op inside a transaction, so it goes first on a fresh connection.
    "PRAGMA foreign_keys = ON",
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = NORMAL",
    "PRAGMA busy_timeout = 5000",
    # Deleted rows are overwritten with zeros, not just unlinked: a forgotten answer must not
    # linger in free pages for anyone who later copies the file.
    "PRAGMA secure_delete = ON",
)


async def _connect(path: Path, *, readonly: bool = False) -> aiosqlite.Connection:
    if readonly:
        uri = f"file:{path}?mode=ro"
        conn = await aiosqlite.connect(uri, uri=True, isolation_level=None)
    else:
        conn = await aiosqlite.connect(path, isolation_level=None)
    conn.row_factory = sqlite3.Row
    for pragma in _PRAGMAS:
        if readonly and "journal_mode" in pragma:
            continue
        await conn.execute(pragma)
    return conn


class SqliteTx(Tx):
    engine: Literal["sqlite"] = "sqlite"

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    async def execute(self, sql: str, params: Params = ()) -> Result:
        try:
            cursor: Result = await self.conn.execute(sql, params)
        except sqlite3.IntegrityError as exc:
            raise IntegrityError(str(exc)) from exc
        return cursor

    async def executemany(self, sql: str, rows: Iterable[Params]) -> int:
        before = self.conn.total_changes
        try:
            await self.conn.executemany(sql, rows)
        except sqlite3.IntegrityError as exc:
            raise IntegrityError(str(exc)) from exc
        return self.conn.total_changes - before


class SqliteDatabase(Database):
    engine: Literal["sqlite"] = "sqlite"

    def __init__(self, path: Path, writer: aiosqlite.Connection, reader: aiosqlite.Connection):
        self.path = path
        self._writer = writer
        self._reader = reader
        self._tx = SqliteTx(writer)
        self._write_lock = asyncio.Lock()
        self._read_lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path) -> SqliteDatabase:
        if str(path) != ":memory:":
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StorageError(f"cannot create the folder for {path}: {exc.strerror}") from None
            make_database_private(path)
        try:
            writer = await _connect(path)
        except sqlite3.OperationalError as exc:
            raise StorageError(f"cannot open the database {path} for writing: {exc}") from None
        try:
            await apply_migrations(writer)
            # Probe for a read-only file now rather than at the first write, minutes later.
            await writer.execute("BEGIN IMMEDIATE")
            await writer.execute("ROLLBACK")
            reader = await _connect(path, readonly=True)
        except BaseException as exc:
            # A refused start must not leave a connection thread behind.
            await writer.close()
            if isinstance(exc, sqlite3.OperationalError):
                raise StorageError(f"cannot open the database {path} for writing: {exc}") from None
            raise
        return cls(path, writer, reader)

    async def close(self) -> None:
        async with self._write_lock:
            await self._reader.close()
            await self._writer.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        """One write transaction. `BEGIN IMMEDIATE` takes the write lock up front, so two
        writers never deadlock upgrading from a read."""
        async with self._write_lock:
            await self._begin()
            try:
                yield self._tx
            except BaseException:
                if self._writer.in_transaction:
                    await self._writer.execute("ROLLBACK")
                raise
            else:
                await self._writer.execute("COMMIT")

    async def _begin(self) -> None:
        try:
            await self._writer.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if "within a transaction" not in str(exc):
                raise
            # A writer cancelled mid-transaction (at shutdown, say) can leave its BEGIN open
            # after giving the lock back. Nothing of it was committed: undo it, as a killed
            # process's journal would be, and start afresh.
            log.warning("rolled back a transaction a cancelled writer left open")
            await self._writer.execute("ROLLBACK")
            await self._writer.execute("BEGIN IMMEDIATE")

    # One read at a time on the reader: a SELECT that is not finished keeps SQLite's read
    # snapshot open, and another read interleaved on the same connection would see that old
    # snapshot instead of a write that committed a moment ago.
    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        async with self._read_lock, self._reader.execute(sql, params) as cur:
            return list(await cur.fetchall())

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        async with self._read_lock, self._reader.execute(sql, params) as cur:
            row: Row | None = await cur.fetchone()
            return row

    async def checkpoint(self) -> None:
        """Fold the WAL into the database and truncate it to zero bytes.

        Until then the WAL still holds copies of the pages a delete replaced, so after erasing
        someone their words would stay on disk until later writes happen to overwrite them.
        """
        async with (
            self._write_lock,
            self._writer.execute("PRAGMA wal_checkpoint(TRUNCATE)") as cur,
        ):
            row = await cur.fetchone()
        if row is not None and row[0]:
            # A reader held an old snapshot past busy_timeout; the next checkpoint finishes it.
            log.warning("the WAL checkpoint after an erasure could not complete")

    async def table_names(self) -> list[str]:
        rows = await self.fetchall(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
        return [str(r[0]) for r in rows]

    async def columns(self) -> list[tuple[str, str]]:
        rows = await self.fetchall(
            "SELECT m.name, p.name FROM sqlite_master AS m JOIN pragma_table_info(m.name) AS p "
            "WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY m.name, p.cid"
        )
        return [(str(r[0]), str(r[1])) for r in rows]

    async def schema_version(self) -> int:
        async with self._write_lock:
            return await current_version(self._writer)

    async def backup_to(self, target: Path) -> None:
        """A consistent copy via SQLite's online backup API, safe while the bot writes."""
        target.parent.mkdir(parents=True, exist_ok=True)
        make_private(target)
        async with self._write_lock:
            dest = await aiosqlite.connect(target)
            try:
                await self._writer.backup(dest)
            finally:
                await dest.close()

    @asynccontextmanager
    async def locked(self, name: str) -> AsyncIterator[bool]:
        # One process per SQLite file (bot.storage.lock), so the file lock already makes
        # once-only work run once.
        yield True
