"""`python -m bot db copy --to postgresql://…`: move an SQLite database into PostgreSQL.

The copy is one PostgreSQL transaction: it lands whole or not at all, so an interrupted copy
leaves an empty database and the command can simply be run again. A re-run against a database
that already holds the same rows changes nothing and says so. Row counts are compared table by
table before the transaction commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from bot.storage.errors import StorageError
from bot.storage.lock import ProcessLock
from bot.storage.postgres import PgTx, PostgresDatabase
from bot.storage.sqlite import SqliteDatabase

BATCH = 5000
# Written by each engine's own migrations, never copied.
_OWN_META = "schema_version"


@dataclass(frozen=True, slots=True)
class CopyReport:
    rows: dict[str, int]
    already_there: bool

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def _in_dependency_order(tables: Iterable[str], edges: Iterable[tuple[str, str]]) -> list[str]:
    """Referenced tables before the tables that reference them."""
    needs: dict[str, set[str]] = {t: set() for t in tables}
    for child, parent in edges:
        if child != parent and child in needs and parent in needs:
            needs[child].add(parent)
    ordered: list[str] = []
    while needs:
        ready = sorted(t for t, parents in needs.items() if not parents)
        if not ready:
            raise StorageError(f"foreign keys form a cycle among {sorted(needs)}")
        for table in ready:
            ordered.append(table)
            del needs[table]
        for parents in needs.values():
            parents.difference_update(ready)
    return ordered


def _copied_rows(table: str) -> str:
    """The rows of `table` a copy carries: all but each engine's own schema version."""
    return f"{table} WHERE key != '{_OWN_META}'" if table == "meta" else f"{table} WHERE 1 = 1"


async def _count(db: SqliteDatabase | PgTx, table: str) -> int:
    return int(await db.fetchval(f"SELECT COUNT(*) FROM {_copied_rows(table)}"))


async def _copy_table(source: SqliteDatabase, tx: PgTx, table: str, columns: list[str]) -> None:
    names = ", ".join(columns)
    last = 0
    while True:
        # By rowid, in pages: a large database is never held in memory whole.
        rows = await source.fetchall(
            f"SELECT rowid, {names} FROM {_copied_rows(table)} AND rowid > ? "
            "ORDER BY rowid LIMIT ?",
            (last, BATCH),
        )
        if not rows:
            return
        last = int(rows[-1][0])
        records = [tuple(row[1:]) for row in rows]
        await tx.conn.copy_records_to_table(table, records=records, columns=columns)


async def copy_database(source_path: Path, url: str) -> CopyReport:
    lock = ProcessLock(source_path)
    # A copy taken while the bot writes would miss what it writes next: stop it first.
    lock.acquire()
    try:
        source = await SqliteDatabase.open(source_path)
        try:
            target = await PostgresDatabase.open(url, source_path)
            try:
                return await _copy(source, target)
            finally:
                await target.close()
        finally:
            await source.close()
    finally:
        lock.release()


async def _copy(source: SqliteDatabase, target: PostgresDatabase) -> CopyReport:
    tables = await source.table_names()
    if set(tables) != set(await target.table_names()):
        raise StorageError("the two databases have different tables; are both up to date?")
    source_columns: dict[str, list[str]] = {t: [] for t in tables}
    for table, column in await source.columns():
        source_columns[table].append(column)
    edges = [
        (str(r[0]), str(r[1]))
        for r in await target.fetchall(
            "SELECT conrelid::regclass::text, confrelid::regclass::text FROM pg_constraint "
            "WHERE contype = 'f' AND connamespace = current_schema()::regnamespace"
        )
    ]
    order = _in_dependency_order(tables, edges)
    wanted = {t: await _count(source, t) for t in order}
    async with target.transaction() as tx:
        if not isinstance(tx, PgTx):
            raise TypeError("the target must be PostgreSQL")
        present = {t: await _count(tx, t) for t in order}
        if any(present.values()):
            if present == wanted:
                return CopyReport(wanted, already_there=True)
            raise StorageError(
                "the PostgreSQL database already holds other data; copy into an empty one"
            )
        for table in order:
            try:
                await _copy_table(source, tx, table, source_columns[table])
            except asyncpg.PostgresError as exc:
                raise StorageError(f"PostgreSQL refused a row of {table}: {exc}") from exc
        copied = {t: await _count(tx, t) for t in order}
        if copied != wanted:
            differ = sorted(t for t in order if copied[t] != wanted[t])
            raise StorageError(f"row counts differ after the copy in {', '.join(differ)}")
        # Copied rows kept their ids; new rows must be numbered after them.
        for table in order:
            if "id" in source_columns[table]:
                await tx.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
                )
    return CopyReport(copied, already_there=False)
