"""Small key/value facts about this installation (e.g. the synced command set's hash)."""

from __future__ import annotations

from bot.storage.db import Database


async def get_meta(db: Database, key: str) -> str | None:
    value = await db.fetchval("SELECT value FROM meta WHERE key = ?", (key,))
    return None if value is None else str(value)


async def set_meta(db: Database, key: str, value: str) -> None:
    await db.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, value),
    )


# How many times a process has become the outbox's sender on this database (PostgreSQL).
SENDERS = "senders"


async def count_new_sender(db: Database) -> int:
    """Record that this process has just become the sender; returns how many did before it."""
    async with db.transaction() as conn:
        value = await conn.fetchval("SELECT value FROM meta WHERE key = ?", (SENDERS,))
        before = int(value) if value is not None else 0
        await conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (SENDERS, str(before + 1)),
        )
    return before
