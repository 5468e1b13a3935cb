"""Numbered SQL migrations, each applied in one transaction with `PRAGMA user_version`.

`user_version` is transactional, so a crash mid-migration leaves the old version and the old
schema; the next start simply tries again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

import aiosqlite

from bot.storage.errors import MigrationError

_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def discover() -> list[Migration]:
    folder = resources.files("bot.storage") / "migrations"
    found: list[Migration] = []
    for entry in folder.iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), entry.name, entry.read_text("utf-8")))
    found.sort(key=lambda m: m.version)
    expected = list(range(1, len(found) + 1))
    if [m.version for m in found] != expected:
        raise MigrationError(f"migrations must be numbered 1..n without gaps, found {found}")
    return found


def latest_version() -> int:
    return len(discover())


async def current_version(conn: aiosqlite.Connection) -> int:
    async with conn.execute("PRAGMA user_version") as cur:
        row = await cur.fetchone()
    return int(row[0]) if row else 0


async def apply_migrations(conn: aiosqlite.Connection, target: int | None = None) -> int:
    """Bring the schema to `target` (default: newest). Returns the version reached."""
    migrations = discover()
    newest = len(migrations)
    target = newest if target is None else target
    version = await current_version(conn)
    if version > newest:
        raise MigrationError(
            f"the database is at schema version {version}, newer than this Closer understands "
            f"({newest}); run a newer Closer or restore a backup"
        )
    for migration in migrations[version:target]:
        # executescript would COMMIT any open transaction first, so the script carries its own.
        script = (
            "BEGIN IMMEDIATE;\n"
            f"{migration.sql}\n;\n"
            f"PRAGMA user_version = {migration.version};\n"
            "COMMIT;"
        )
        try:
            await conn.executescript(script)
        except Exception:
            if conn.in_transaction:
                await conn.execute("ROLLBACK")
            raise
    return await current_version(conn)
