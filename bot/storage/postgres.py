"""PostgreSQL (`DATABASE_URL=postgresql://…`), through asyncpg: where a growing instance moves.

Several processes may share one database. Inside a process, write transactions still run one at
a time, exactly as on SQLite, so a use case sees the same world on either engine; across
processes, the outbox claims rows with `FOR UPDATE SKIP LOCKED` and once-only work takes an
advisory lock (`locked`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import uuid
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Literal

import asyncpg

from bot.storage.db import Database, Params, Result, Row, Tx
from bot.storage.dialect import bulk_insert, schema_to_postgres, to_postgres
from bot.storage.errors import IntegrityError, MigrationError, StorageError
from bot.storage.migrations import discover

log = logging.getLogger(__name__)

# Every process takes this before migrating, so two starting together migrate once.
_MIGRATION_LOCK = 0x636C6F73  # "clos"
# Held by the one process that runs the outbox's producers and sends (see `lead`).
_LEADER_LOCK = 0x6C656164  # "lead"
# NOTIFYed in the transaction that queues deliveries; delivered to listeners at commit.
NEW_WORK_CHANNEL = "closer_outbox"
# NOTIFYed by a process that does not send, with `<origin> <delivery id>`: a member's command
# wants that row sent now, and only the sending process spends Discord's budget.
SEND_NOW_CHANNEL = "closer_send_now"
# A process about to make its start-up calls to Discord asks the sender for room in the bot's
# budget (`ask_for_room`: `<token> <calls> <seconds>`); the sender answers with the token.
ROOM_CHANNEL = "closer_room"
ROOM_MADE_CHANNEL = "closer_room_made"


def _changed(status: str) -> int:
    """asyncpg's command tag, `UPDATE 3` or `INSERT 0 5`, as a row count."""
    tail = status.rsplit(" ", 1)[-1]
    return int(tail) if tail.isdigit() else -1


def lock_key(name: str) -> int:
    """A stable 32-bit advisory-lock key for a lock name (the same in every process)."""
    return zlib.crc32(name.encode())


def _no_nul(args: Sequence[Any]) -> Sequence[Any]:
    # PostgreSQL text cannot hold U+0000 (SQLite can): such a character, typed into a free-text
    # field, is stored as U+FFFD rather than failing the whole use case.
    if not any(isinstance(a, str) and "\x00" in a for a in args):
        return args
    return [a.replace("\x00", "\ufffd") if isinstance(a, str) else a for a in args]


class PgResult:
    def __init__(self, rows: Sequence[Row], rowcount: int) -> None:
        self._rows = rows
        self.rowcount = rowcount

    async def fetchall(self) -> Sequence[Row]:
        return self._rows

    async def fetchone(self) -> Row | None:
        return self._rows[0] if self._rows else None


class PgTx(Tx):
    engine: Literal["postgresql"] = "postgresql"

    def __init__(self, conn: Any, origin: str = "") -> None:
        self.conn = conn
        self.origin = origin

    async def new_work(self) -> None:
        # NOTIFY is transactional: listeners hear it at commit, never for a rolled-back queue.
        await self.conn.execute("SELECT pg_notify($1, $2)", NEW_WORK_CHANNEL, self.origin)

    async def execute(self, sql: str, params: Params = ()) -> Result:
        query = to_postgres(sql)
        args = _no_nul(query.args(params))
        try:
            if query.returns_rows:
                rows = await self.conn.fetch(query.sql, *args)
                return PgResult(rows, len(rows))
            return PgResult((), _changed(await self.conn.execute(query.sql, *args)))
        except asyncpg.IntegrityConstraintViolationError as exc:
            raise IntegrityError(str(exc)) from exc

    async def executemany(self, sql: str, rows: Iterable[Params]) -> int:
        query = to_postgres(sql)
        batch = [_no_nul(query.args(row)) for row in rows]
        if not batch:
            return 0
        if len(batch) > 1 and not query.returns_rows:
            changed = await self._in_one_pass(query.sql, batch)
            if changed is not None:
                return changed
        # One row back per row changed: asyncpg's executemany reports no count.
        sql = query.sql if query.returns_rows else f"{query.sql} RETURNING 1"
        try:
            return len(await self.conn.fetchmany(sql, batch))
        except asyncpg.IntegrityConstraintViolationError as exc:
            raise IntegrityError(str(exc)) from exc

    async def _in_one_pass(self, sql: str, batch: list[Sequence[Any]]) -> int | None:
        """An INSERT for many rows as one statement over arrays (see `bulk_insert`): one
        statement for the server instead of one per row. None: run it row by row instead."""
        if sql.lstrip()[:6].upper() != "INSERT":  # UPDATE, DELETE: row by row
            return None
        types = _PARAMETER_TYPES.get(sql)
        if types is None:
            statement = await self.conn.prepare(sql)
            given = statement.get_parameters()
            # An IN list is already an array (see `to_postgres`): that one goes row by row.
            types = (
                ()
                if any(t.kind == "array" for t in given)
                else tuple(f"{t.schema}.{t.name}" for t in given)
            )
            _PARAMETER_TYPES[sql] = types
        bulk = bulk_insert(sql, types)
        if bulk is None:
            return None
        columns = [list(column) for column in zip(*batch, strict=True)]
        try:
            if _DO_UPDATE.search(bulk) is None:
                return _changed(await self.conn.execute(bulk, *columns))
            # A key twice in one pass is refused under DO UPDATE: then row by row, in order,
            # as SQLite does it (the savepoint undoes the refused pass).
            async with self.conn.transaction():
                return _changed(await self.conn.execute(bulk, *columns))
        except asyncpg.CardinalityViolationError:
            return None
        except asyncpg.IntegrityConstraintViolationError as exc:
            raise IntegrityError(str(exc)) from exc


# The server's type for each parameter of a statement: the arrays `bulk_insert` passes.
_PARAMETER_TYPES: dict[str, tuple[str, ...]] = {}
_DO_UPDATE = re.compile(r"\bDO\s+UPDATE\b", re.IGNORECASE)


class PostgresDatabase(Database):
    engine: Literal["postgresql"] = "postgresql"

    def __init__(self, pool: Any, url: str, path: Path) -> None:
        self._pool = pool
        self.url = url
        self.path = path
        self._write_lock = asyncio.Lock()
        # Names this process in its notifications, so it does not wake itself (it already has).
        self._origin = uuid.uuid4().hex
        self._leader: Any = None  # the connection holding the lead, while we hold it
        self._closed = False
        self._lead_lock = asyncio.Lock()
        self._listener: Any = None
        self._answers: set[asyncio.Task[None]] = set()  # replies to `ask_for_room` being sent

    @classmethod
    async def open(cls, url: str, path: Path) -> PostgresDatabase:
        try:
            pool = await asyncpg.create_pool(url, min_size=1, max_size=8, reset=_no_session_state)
        except (OSError, asyncpg.PostgresError) as exc:
            raise StorageError(f"cannot connect to the PostgreSQL database: {exc}") from None
        try:
            await _migrate(pool)
        except BaseException:
            await pool.close()
            raise
        return cls(pool, url, path)

    async def close(self) -> None:
        self._closed = True
        async with self._write_lock:
            await self._drop_leader(unlock=True)
            listener, self._listener = self._listener, None
            if listener is not None:
                listener.terminate()
                with contextlib.suppress(Exception):
                    await self._pool.release(listener)
            await self._pool.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        async with self._write_lock, self._pool.acquire() as conn, conn.transaction():
            yield PgTx(conn, self._origin)

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        query = to_postgres(sql)
        async with self._pool.acquire() as conn:
            return list(await conn.fetch(query.sql, *_no_nul(query.args(params))))

    async def checkpoint(self) -> None:
        # Erased rows leave the live tables at once; PostgreSQL reuses their space after
        # (auto)vacuum. Wiping the files themselves takes VACUUM FULL, an operator's call
        # (README, "Moving to PostgreSQL").
        return None

    async def table_names(self) -> list[str]:
        rows = await self.fetchall(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
        )
        return [str(r[0]) for r in rows]

    async def columns(self) -> list[tuple[str, str]]:
        rows = await self.fetchall(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position"
        )
        return [(str(r[0]), str(r[1])) for r in rows]

    async def schema_version(self) -> int:
        async with self._pool.acquire() as conn:
            return await _version(conn)

    @asynccontextmanager
    async def locked(self, name: str) -> AsyncIterator[bool]:
        key = lock_key(name)
        async with self._pool.acquire() as conn:
            got = bool(await conn.fetchval("SELECT pg_try_advisory_lock($1)", key))
            try:
                yield got
            finally:
                if got:
                    try:
                        await conn.execute("SELECT pg_advisory_unlock($1)", key)
                    except BaseException:
                        # Never back in the pool still holding the lock (see _no_session_state).
                        conn.terminate()
                        raise

    async def lead(self) -> bool:
        # One look at a time: two at once (the tick, on_ready, a DM channel opened ahead) would
        # each try the lock on a connection of its own, and the one that lost would report
        # another process leading.
        async with self._lead_lock:
            return await self._lead()

    async def _lead(self) -> bool:
        # A session advisory lock held on a connection of its own: it lasts while this process
        # and its connection live, and PostgreSQL drops it the moment either dies, so another
        # process's next try takes over.
        if self._leader is not None:
            try:
                await self._leader.fetchval("SELECT 1")
                return True
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                log.warning("lost the connection that held the lead; trying again")
                await self._drop_leader()
        conn = await self._pool.acquire()
        try:
            got = bool(await conn.fetchval("SELECT pg_try_advisory_lock($1)", _LEADER_LOCK))
        except BaseException:
            await self._pool.release(conn)
            raise
        if not got:
            await self._pool.release(conn)
            return False
        if self._closed:
            # close() began meanwhile and waits for every connection: never keep this one.
            conn.terminate()
            with contextlib.suppress(Exception):
                await self._pool.release(conn)
            return False
        log.info("this process now sends the outbox")
        self._leader = conn
        return True

    async def _drop_leader(self, *, unlock: bool = False) -> None:
        conn, self._leader = self._leader, None
        if conn is not None:
            if unlock:
                # Stopping: hand the lead over now rather than when the server notices the
                # closed connection, so a restarted or waiting process sends at once.
                with contextlib.suppress(Exception):
                    await conn.execute("SELECT pg_advisory_unlock($1)", _LEADER_LOCK)
            # Terminated rather than released: a pooled connection would keep the lock.
            conn.terminate()
            with contextlib.suppress(Exception):
                await self._pool.release(conn)

    async def listen(
        self,
        wake: Callable[[], None],
        asked: Callable[[int], None] | None = None,
        room: Callable[[int, float], Awaitable[bool]] | None = None,
    ) -> None:
        if self._listener is not None:
            return
        conn = await self._pool.acquire()

        def heard(_conn: object, _pid: int, _channel: str, origin: str) -> None:
            if origin != self._origin:
                wake()

        await conn.add_listener(NEW_WORK_CHANNEL, heard)
        if asked is not None:
            answer = asked

            def heard_ask(_conn: object, _pid: int, _channel: str, payload: str) -> None:
                origin, _, delivery_id = payload.partition(" ")
                if origin != self._origin and delivery_id.isdigit():
                    answer(int(delivery_id))

            await conn.add_listener(SEND_NOW_CHANNEL, heard_ask)
        if room is not None:
            make_room = room

            def heard_room(_conn: object, _pid: int, _channel: str, payload: str) -> None:
                token, calls, asked_seconds = [*payload.split(" "), "", ""][:3]
                seconds = _seconds(asked_seconds)
                if calls.isdigit() and seconds is not None:
                    task = asyncio.get_running_loop().create_task(
                        self._make_room(make_room, int(calls), seconds, token)
                    )
                    self._answers.add(task)
                    task.add_done_callback(self._answers.discard)

            await conn.add_listener(ROOM_CHANNEL, heard_room)
        self._listener = conn

    async def _make_room(
        self,
        make_room: Callable[[int, float], Awaitable[bool]],
        calls: int,
        seconds: float,
        token: str,
    ) -> None:
        # The asker stops waiting soon whatever happens here: nothing is lost if this fails.
        with contextlib.suppress(Exception):
            if await make_room(calls, seconds):
                await self._notify(ROOM_MADE_CHANNEL, token)

    async def ask_to_send(self, delivery_id: int) -> None:
        await self._notify(SEND_NOW_CHANNEL, f"{self._origin} {delivery_id}")

    async def _notify(self, channel: str, payload: str) -> None:
        async with self._pool.acquire() as conn:
            await conn.execute("SELECT pg_notify($1, $2)", channel, payload)


def _seconds(text: str) -> float | None:
    """A reservation's length as asked, if it is one: a minute at most, so a garbled or
    hostile ask cannot hold the sender's budget for long."""
    try:
        value = float(text)
    except ValueError:
        return None
    return value if 0 < value <= 60 else None


async def ask_for_room(
    url: str, calls: int, seconds: float, *, each: float = 1.5, at_most: float = 10.0
) -> bool:
    """Before a process's own start-up calls to Discord: ask the process that sends, if one
    does, to leave `calls` of the bot's budget free for `seconds`. True once it has said so;
    False when no process sends (or the database cannot be reached: opening it reports that
    properly).

    Asked again every `each` seconds while a sender holds the lead but does not answer: the
    holder may be a process that has just died, whose lock PostgreSQL has not let go of yet,
    and the one that takes over from it sends at full pace a second later. Gives up after
    `at_most` seconds (a sender that never answers: the calls go ahead unbudgeted)."""
    try:
        conn = await asyncpg.connect(url)
    except (OSError, asyncpg.PostgresError):
        return False
    try:
        token = uuid.uuid4().hex
        made = asyncio.Event()

        def heard(_conn: object, _pid: int, _channel: str, payload: str) -> None:
            if payload == token:
                made.set()

        await conn.add_listener(ROOM_MADE_CHANNEL, heard)
        deadline = asyncio.get_running_loop().time() + at_most
        while asyncio.get_running_loop().time() < deadline:
            if not await conn.fetchval(_SOMEONE_SENDS, _LEADER_LOCK):
                return False
            await conn.execute(
                "SELECT pg_notify($1, $2)", ROOM_CHANNEL, f"{token} {calls} {seconds}"
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(made.wait(), each)
            if made.is_set():
                return True
        return False
    finally:
        await conn.close()


# Whether some process holds the lead on this database (advisory locks are per database).
_SOMEONE_SENDS = (
    "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted "
    "AND classid = 0 AND objid = $1 AND database = "
    "(SELECT oid FROM pg_database WHERE datname = current_database()))"
)


async def _no_session_state(conn: Any) -> None:
    """What the pool does to a connection handed back, after rolling back any open transaction:
    nothing. asyncpg's default sends `pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET
    ALL` first, a round trip on every release, inside the write lock after each commit, which
    cost a fan-out on PostgreSQL a good part of its pace. Connections here carry no session
    state back: `locked` unlocks (or drops the connection), and the two that hold state, the
    lead and the listener, never return to the pool."""
    return None


async def _version(conn: Any) -> int:
    # The schema version lives in `meta`, which the first migration creates.
    if await conn.fetchval("SELECT to_regclass('meta')") is None:
        return 0
    value = await conn.fetchval("SELECT value FROM meta WHERE key = 'schema_version'")
    return int(value) if value is not None else 0


async def _migrate(pool: Any) -> None:
    migrations = discover()
    newest = len(migrations)
    async with pool.acquire() as conn:
        while True:
            async with conn.transaction():
                await conn.execute("SELECT pg_advisory_xact_lock($1)", _MIGRATION_LOCK)
                version = await _version(conn)
                if version > newest:
                    raise MigrationError(
                        f"the database is at schema version {version}, newer than this Closer "
                        f"understands ({newest}); run a newer Closer or restore a backup"
                    )
                if version == newest:
                    return
                migration = migrations[version]
                await conn.execute(schema_to_postgres(migration.sql))
                await conn.execute(
                    "INSERT INTO meta (key, value) VALUES ('schema_version', $1) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    str(migration.version),
                )
                log.info("migrated PostgreSQL to schema version %s", migration.version)
