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
