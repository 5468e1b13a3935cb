"""The database, whichever engine holds it: the few operations every repository uses.

SQLite (`bot.storage.sqlite`) is the embedded default; PostgreSQL (`bot.storage.postgres`) is
where a growing instance moves. Repositories write one text per query (see
`bot.storage.dialect`) and call only what is declared here, so they run on either.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any, Literal, Protocol

from bot.storage.errors import IntegrityError

Params = Sequence[Any] | Mapping[str, Any]
Engine = Literal["sqlite", "postgresql"]


class Row(Protocol):
    """A result row: by position or column name (sqlite3.Row and asyncpg's Record both are)."""

    def __getitem__(self, key: Any, /) -> Any: ...
    def keys(self) -> Any: ...


class Result(Protocol):
    """What `Tx.execute` returns: the rows it produced and how many rows it changed."""

    @property
    def rowcount(self) -> int: ...
    async def fetchall(self) -> Iterable[Row]: ...
    async def fetchone(self) -> Row | None: ...


class Tx(ABC):
    """An open write transaction, as services hold one across the storage calls of a use case.

    Services name this type, never a driver's, so the engine can change under them.
    """

    engine: Engine

    @abstractmethod
    async def execute(self, sql: str, params: Params = ()) -> Result: ...

    @abstractmethod
    async def executemany(self, sql: str, rows: Iterable[Params]) -> int:
        """Run `sql` once per row; returns how many rows were changed in all."""

    async def new_work(self) -> None:
        """Tell other processes, when this transaction commits, that deliveries were queued."""
        return None

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        return list(await (await self.execute(sql, params)).fetchall())

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        return await (await self.execute(sql, params)).fetchone()

    async def fetchval(self, sql: str, params: Params = ()) -> Any:
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]


class Database(ABC):
    """Owns the connections. Every write goes through `transaction()`; reads see committed
    state and never wait for a large fan-out's bookkeeping."""

    engine: Engine
    # Where files that belong beside the data live (heartbeat, process lock, backups). For
    # PostgreSQL it is DATABASE_PATH's folder still: the bot's own folder.
    path: Path

    @abstractmethod
    def transaction(self) -> AbstractAsyncContextManager[Tx]: ...

    @abstractmethod
    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]: ...

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def fetchval(self, sql: str, params: Params = ()) -> Any:
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]

    async def execute(self, sql: str, params: Params = ()) -> None:
        async with self.transaction() as tx:
            await tx.execute(sql, params)

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        async with self.transaction() as tx:
            await tx.executemany(sql, rows)

    @abstractmethod
    async def close(self) -> None: ...

    @abstractmethod
    async def checkpoint(self) -> None:
        """After erasing data: make the erased rows' old copies unreadable where the engine
        allows (see the implementations)."""

    @abstractmethod
    async def table_names(self) -> list[str]: ...

    @abstractmethod
    async def columns(self) -> list[tuple[str, str]]:
        """(table, column) of every column of the live schema, in table then column order."""

    @abstractmethod
    async def schema_version(self) -> int: ...

    async def lead(self) -> bool:
        """True while this process is the one that produces and sends the outbox's work.

        On SQLite that is always this process (one per file). On PostgreSQL one process at a
        time holds the lead; the others serve interactions and take over when it goes away.
        """
        return True

    async def listen(
        self,
        wake: Callable[[], None],
        asked: Callable[[int], None] | None = None,
        room: Callable[[int, float], Awaitable[bool]] | None = None,
    ) -> None:
        """Call `wake()` when any other process queues new outbox work, `asked(id)` when
        another process asks for delivery `id` to be sent now (`ask_to_send`), and
        `room(calls, seconds)` when a starting process asks the sender to leave that much of
        Discord's budget free (`postgres.ask_for_room`; True once room is made: answer it).
        PostgreSQL only; a no-op on SQLite, where the only process wakes and sends itself."""
        return None

    async def ask_to_send(self, delivery_id: int) -> None:
        """Ask whichever process sends to send this delivery now (see `listen`). Only a
        process that does not lead asks, and on SQLite the one process always leads."""
        return None

    @abstractmethod
    def locked(self, name: str) -> AbstractAsyncContextManager[bool]:
        """Hold the named once-only lock across processes if it is free (yields True), or
        yield False at once when another process holds it."""


async def checkpoint(db: Database) -> None:
    """Call after erasing data (forget, server purge): see `Database.checkpoint`."""
    await db.checkpoint()


async def new_id(result: Result) -> int:
    """The id an `INSERT … RETURNING id` gave the new row."""
    row = await result.fetchone()
    if row is None:
        raise IntegrityError("the insert returned no id")
    return int(row[0])
