"""Which engine holds the data: PostgreSQL when DATABASE_URL is set, else the SQLite file."""

from __future__ import annotations

from pathlib import Path

from bot.storage.db import Database
from bot.storage.sqlite import SqliteDatabase


async def open_database(path: Path, url: str | None = None) -> Database:
    """`url` (postgresql://…) when given, else the SQLite file at `path`."""
    if url:
        # Imported here: an SQLite-only install never loads asyncpg.
        from bot.storage.postgres import PostgresDatabase

        return await PostgresDatabase.open(url, path)
    return await SqliteDatabase.open(path)


async def ask_for_room(url: str | None, calls: int, seconds: float, asking: float) -> bool:
    """Before a process's start-up calls to Discord, ask the process that sends (PostgreSQL,
    several processes) to leave them room in the bot's budget, for up to `asking` seconds;
    False when there is none."""
    if not url:
        return False
    from bot.storage.postgres import ask_for_room as ask

    return await ask(url, calls, seconds, at_most=asking)
