"""Servers Closer is in: the announce channel, and the grace period after the bot is removed.

Shared file: circles read the announce channel, trust (leave/purge, admin setup) owns the rest.
Add functions; don't reshape the ones here without telling the other side.

NOTE for the circles author: at about 19:59 UTC the trust helper created this file a moment after
you had (a race; reported to the lead). If a function of yours is missing, please add it back;
`get_announce_channel` / `set_announce_channel` below are meant to serve circles too.

A removal is not a purge. Servers kick and re-add bots by accident, so leaving only stamps
`left_at` and `purge_after`; a producer purges the server's data once `purge_after` passes, and
coming back before then clears both stamps. The stamps live in SQLite, so the countdown survives
restarts and downtime.
"""

from __future__ import annotations

from datetime import datetime

from bot.storage.db import Database
from bot.storage.timecodec import to_db

# Every write upserts: a server Closer never wrote a row for (it joined before this table was
# used, or only ever ran commands there) still gets one the first time it matters.
_UPSERT_JOINED = (
    "INSERT INTO guilds (guild_id, joined_at) VALUES (?, ?) "
    "ON CONFLICT (guild_id) DO UPDATE SET left_at = NULL, purge_after = NULL"
)


async def mark_joined(db: Database, guild_id: int, now: datetime) -> bool:
    """Closer is (back) in the server: cancel any pending purge. True if one was cancelled."""
    async with db.transaction() as conn:
        row = await conn.fetchone("SELECT left_at FROM guilds WHERE guild_id = ?", (guild_id,))
        await conn.execute(_UPSERT_JOINED, (guild_id, to_db(now)))
    return row is not None and row[0] is not None


async def mark_left(db: Database, guild_id: int, now: datetime, purge_after: datetime) -> None:
    """Closer was removed: purge at `purge_after` unless it is added back first.

    A second removal notice (e.g. replayed after a RESUME) keeps the first countdown rather than
    restarting it."""
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO guilds (guild_id, joined_at, left_at, purge_after) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (guild_id) DO UPDATE SET "
            "left_at = coalesce(guilds.left_at, excluded.left_at), "
            "purge_after = coalesce(guilds.purge_after, excluded.purge_after)",
            (guild_id, to_db(now), to_db(now), to_db(purge_after)),
        )


async def present_guild_ids(db: Database) -> list[int]:
    """Servers Closer believes it is still in (no pending removal)."""
    rows = await db.fetchall("SELECT guild_id FROM guilds WHERE left_at IS NULL ORDER BY guild_id")
    return [int(r[0]) for r in rows]


async def due_purges(db: Database, now: datetime) -> list[int]:
    rows = await db.fetchall(
        "SELECT guild_id FROM guilds WHERE left_at IS NOT NULL AND purge_after <= ? "
        "ORDER BY guild_id",
        (to_db(now),),
    )
    return [int(r[0]) for r in rows]


async def set_announce_channel(
    db: Database, guild_id: int, channel_id: int | None, now: datetime
) -> None:
    """Where Closer posts circle rounds and challenge summaries (None: nowhere)."""
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO guilds (guild_id, joined_at, announce_channel_id) VALUES (?, ?, ?) "
            "ON CONFLICT (guild_id) DO UPDATE SET "
            "announce_channel_id = excluded.announce_channel_id",
            (guild_id, to_db(now), channel_id),
        )


async def get_announce_channel(db: Database, guild_id: int) -> int | None:
    value = await db.fetchval(
        "SELECT announce_channel_id FROM guilds WHERE guild_id = ?", (guild_id,)
    )
    return None if value is None else int(value)
