"""Members: a person's time zone, quiet hours, cached DM channel and reachability."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.storage.db import Database, Row
from bot.storage.timecodec import from_db, to_db


@dataclass(frozen=True, slots=True)
class MemberRow:
    user_id: int
    display_name: str
    timezone: str | None
    quiet_start: str | None
    quiet_end: str | None
    dm_channel_id: int | None
    unreachable_since: datetime | None


_COLUMNS = (
    "user_id, display_name, timezone, quiet_start, quiet_end, dm_channel_id, unreachable_since"
)


def _row(row: Row) -> MemberRow:
    unreachable = row["unreachable_since"]
    return MemberRow(
        user_id=int(row["user_id"]),
        display_name=str(row["display_name"]),
        timezone=row["timezone"],
        quiet_start=row["quiet_start"],
        quiet_end=row["quiet_end"],
        dm_channel_id=row["dm_channel_id"],
        unreachable_since=from_db(unreachable) if unreachable else None,
    )


UPSERT_SQL = (
    "INSERT INTO members (user_id, display_name, created_at, updated_at) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (user_id) DO UPDATE SET "
    "display_name = CASE WHEN excluded.display_name = '' THEN members.display_name "
    "ELSE excluded.display_name END, updated_at = excluded.updated_at"
)


async def upsert_member(db: Database, user_id: int, display_name: str, now: datetime) -> None:
    async with db.transaction() as conn:
        await conn.execute(UPSERT_SQL, (user_id, display_name, to_db(now), to_db(now)))


async def get_member(db: Database, user_id: int) -> MemberRow | None:
    row = await db.fetchone(f"SELECT {_COLUMNS} FROM members WHERE user_id = ?", (user_id,))
    return _row(row) if row is not None else None


async def get_members(db: Database, user_ids: list[int]) -> dict[int, MemberRow]:
    if not user_ids:
        return {}
    marks = ",".join("?" * len(user_ids))
    rows = await db.fetchall(
        f"SELECT {_COLUMNS} FROM members WHERE user_id IN ({marks})", tuple(user_ids)
    )
    return {int(r["user_id"]): _row(r) for r in rows}


async def set_timezone(db: Database, user_id: int, zone: str, now: datetime) -> None:
    await db.execute(
        "UPDATE members SET timezone = ?, updated_at = ? WHERE user_id = ?",
        (zone, to_db(now), user_id),
    )


async def set_quiet_hours(
    db: Database, user_id: int, start: str | None, end: str | None, now: datetime
) -> None:
    await db.execute(
        "UPDATE members SET quiet_start = ?, quiet_end = ?, updated_at = ? WHERE user_id = ?",
        (start, end, to_db(now), user_id),
    )


async def set_dm_channel(db: Database, user_id: int, channel_id: int) -> None:
    await db.execute(
        "UPDATE members SET dm_channel_id = ? WHERE user_id = ?", (channel_id, user_id)
    )


async def mark_unreachable(db: Database, user_id: int, now: datetime) -> int:
    """Record closed DMs and skip everything still waiting for them. Returns skipped count."""
    async with db.transaction() as conn:
        await conn.execute(
            "UPDATE members SET unreachable_since = COALESCE(unreachable_since, ?) "
            "WHERE user_id = ?",
            (to_db(now), user_id),
        )
        cur = await conn.execute(
            "UPDATE deliveries SET status = 'skipped', last_error = 'unreachable' "
            "WHERE user_id = ? AND status = 'pending'",
            (user_id,),
        )
        return int(cur.rowcount)


async def clear_unreachable(db: Database, user_id: int) -> bool:
    """They interacted with Closer again: DMs may work now. True when the flag was set."""
    async with db.transaction() as conn:
        cur = await conn.execute(
            "UPDATE members SET unreachable_since = NULL "
            "WHERE user_id = ? AND unreachable_since IS NOT NULL",
            (user_id,),
        )
        return cur.rowcount > 0
